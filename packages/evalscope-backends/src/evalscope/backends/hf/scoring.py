"""Scoring without generation: option-letter probabilities and continuation log-likelihoods."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs


def left_pad(rows: Sequence[Sequence[int]], pad_id: int, device: Any) -> tuple[Any, Any, Any]:
    """(input_ids, attention_mask, position_ids) for left-padded rows.

    Position ids count real tokens only, so a padded row scores exactly like the same row alone.
    """
    import torch

    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        if row:
            ids[i, width - len(row) :] = torch.tensor(list(row), dtype=torch.long)
            mask[i, width - len(row) :] = 1
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    return ids.to(device), mask.to(device), positions.to(device)


def forward_tail_logits(model: Any, rows: Sequence[Sequence[int]], pad_id: int, keep: int) -> Any:
    """fp32 logits of the last `keep` positions of each left-padded row: [batch, keep, vocab]."""
    import torch

    ids, mask, positions = left_pad(rows, pad_id, model.device)
    with torch.inference_mode():
        out = model(
            input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=False, logits_to_keep=keep
        )
    return out.logits[:, -keep:, :].float()


#: `ModelRequest.letter_rule` values: our sum of both spellings, or EvalScope 0.12's bare letter
LETTER_RULES = ("sum", "bare")


def letter_token_ids(tokenizer: Any, letter: str, rule: str = "sum") -> list[int]:
    """Token ids that start the answer `letter`.

    rule "sum": the bare letter and the space-prefixed one. Only single-token variants count (a
    split " A" would start with a bare space shared by every letter); when neither variant is one
    token, the first token of the bare letter is used.
    rule "bare" (EvalScope 0.12): the last token of the bare letter alone, as 0.12 read it (without
    special tokens, so a tokenizer that appends EOS does not make every letter read EOS).
    """
    if rule == "bare":
        return tokenizer.encode(letter, add_special_tokens=False)[-1:]
    if rule != "sum":
        raise ValueError(f"letter_rule must be one of {', '.join(LETTER_RULES)}, not {rule!r}")
    ids: list[int] = []
    for variant in (letter, " " + letter):
        toks = tokenizer.encode(variant, add_special_tokens=False)
        if len(toks) == 1 and toks[0] not in ids:
            ids.append(toks[0])
    if not ids:
        toks = tokenizer.encode(letter, add_special_tokens=False)
        ids = toks[:1]
    return ids


def choice_probabilities(last_logits: Any, letter_ids: Sequence[Sequence[int]]) -> list[float]:
    """P(letter) per option = SUM of the next-token probabilities of its variants ("A", " A"; or
    the bare letter alone under rule "bare").

    The sum is the probability that the answer starts with that letter in either spelling; the
    values are not renormalised, so they add up to at most 1.
    """
    import torch

    probs = torch.softmax(last_logits.float(), dim=-1)
    return [float(probs[list(ids)].sum().item()) if ids else 0.0 for ids in letter_ids]


@attrs.define
class ScoringPair:
    """One (context, continuation) pair as token ids, with the continuation length at the end."""

    tokens: list[int]
    continuation: int


def build_pair(
    context_ids: list[int], whole_ids: list[int], start_id: int | None, max_length: int
) -> ScoringPair:
    """Continuation tokens are `whole_ids` after the longest prefix shared with the context.

    Tokenising context+continuation together keeps the tokens the model would see (a leading
    space merges into the first word); the sequence is left-truncated to `max_length` + 1.
    """
    shared = 0
    for a, b in zip(context_ids, whole_ids, strict=False):
        if a != b:
            break
        shared += 1
    tokens = list(whole_ids)
    if shared == 0 and start_id is not None:
        tokens, shared = [start_id, *tokens], 1  # an empty context still needs a first position
    continuation = len(tokens) - shared
    if len(tokens) > max_length + 1:
        tokens = tokens[-(max_length + 1) :]
        continuation = min(continuation, max_length)
    return ScoringPair(tokens=tokens, continuation=continuation)


def score_pairs(model: Any, pairs: Sequence[ScoringPair], pad_id: int, batch_size: int) -> list[float]:
    """Summed log-probability of each pair's continuation, through padded batched forwards."""
    import torch

    scores = [0.0] * len(pairs)
    todo = [i for i, p in enumerate(pairs) if p.continuation > 0]
    todo.sort(key=lambda i: len(pairs[i].tokens), reverse=True)  # similar lengths pad less
    for start in range(0, len(todo), max(1, batch_size)):
        chunk = todo[start : start + max(1, batch_size)]
        keep = max(pairs[i].continuation for i in chunk)
        logits = forward_tail_logits(model, [pairs[i].tokens[:-1] for i in chunk], pad_id, keep)
        logprobs = torch.log_softmax(logits, dim=-1)
        for row, i in enumerate(chunk):
            n = pairs[i].continuation
            targets = torch.tensor(pairs[i].tokens[-n:], device=logprobs.device)
            picked = logprobs[row, keep - n :, :].gather(-1, targets[:, None]).squeeze(-1)
            scores[i] = float(picked.sum().item())
    return scores
