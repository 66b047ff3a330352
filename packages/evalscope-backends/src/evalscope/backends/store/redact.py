"""Defensive secret removal before anything reaches the database."""

from __future__ import annotations

import re
from typing import Any

REDACTED = "***"

# api_key, openai-api-key, hf_token, access_token, client_secret, password, Authorization...
# but not max_tokens, tokenizer, stop_token_ids
_SECRET_KEY = re.compile(
    r"(api[_-]?key|secret|passw(or)?d|authori[sz]ation|credential|cookie|(^|[_-])token$)",
    re.IGNORECASE,
)
# scheme://user:password@host
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/\s:@]*:)(?P<pw>[^@\s/]+)(?=@)", re.IGNORECASE)
# bearer tokens and OpenAI-style keys inside free text
_INLINE_SECRET = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}|\bsk-[A-Za-z0-9_-]{16,}")


# special tokens of a tokenizer are settings, not secrets
_TOKENIZER_TOKEN = re.compile(
    r"^(bos|eos|pad|unk|sep|cls|mask|stop|start|end|image|audio)[_-]token$", re.IGNORECASE
)


def is_secret_key(key: str) -> bool:
    return bool(_SECRET_KEY.search(key)) and not _TOKENIZER_TOKEN.match(key)


def redact_text(text: str) -> str:
    """Hide URL passwords, bearer tokens and `sk-...` keys inside a string."""
    if "://" in text:
        text = _URL_PASSWORD.sub(lambda m: m.group("head") + REDACTED, text)
    if "Bearer" in text or "sk-" in text:
        text = _INLINE_SECRET.sub(lambda m: (m.group(1) or "") + REDACTED, text)
    return text


def redact(value: Any) -> Any:
    """A copy of `value` with every secret-looking key's value and inline secret replaced."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(key, str) and is_secret_key(key) and item not in (None, ""):
                out[key] = REDACTED
            else:
                out[key] = redact(item)
        return out
    if isinstance(value, (list, tuple)):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
