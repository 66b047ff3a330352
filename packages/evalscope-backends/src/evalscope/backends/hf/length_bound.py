"""A lower bound on a text's token count without tokenising it.

With a byte-level BPE tokenizer (GPT-2, SmolLM, Llama 3, Qwen...) and no normaliser, every
character of the text ends up in some token, and no token stands for more characters than its
own string is long. So a text of C characters has at least C / L tokens, L being the longest
token string in the vocabulary (81 for SmolLM2). A prompt of a few megabytes can then be refused
at once, instead of after seconds of tokenising and a gigabyte of transient memory. For other
tokenizers (a normaliser may shorten the text, a pre-tokenizer may drop whitespace) the bound is
0: the text is tokenised as usual.
"""

from __future__ import annotations

from typing import Any

_BOUNDED_PRE_TOKENIZERS = {"ByteLevel", "Sequence", "Split", "Digits"}
#: shorter texts are tokenised (fast enough), so their errors give the exact token count
WORTH_BOUNDING_CHARS = 64 * 1024


def longest_token(tokenizer: Any) -> int | None:
    """L for tokenizers where the bound holds, else None."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None or backend.normalizer is not None:
        return None
    pre = backend.pre_tokenizer
    text = repr(pre)
    if pre is None or "ByteLevel" not in text or "Removed" in text or "Whitespace" in text:
        return None
    if type(pre).__name__ not in _BOUNDED_PRE_TOKENIZERS:
        return None
    vocab = tokenizer.get_vocab()
    added = [str(t) for t in getattr(tokenizer, "all_special_tokens", [])]
    return max([len(t) for t in vocab] + [len(t) for t in added]) or None


def min_tokens(text: str, longest: int | None) -> int:
    """At least this many tokens (0 when nothing is known)."""
    return len(text) // longest if longest else 0
