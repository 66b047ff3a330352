"""Batched, left-padded generation with `model.generate`, from our GenerationConfig."""

from __future__ import annotations

import copy
import logging
from typing import Any

import attrs

from evalscope.core.types import GenerationConfig, TokenLogprob

log = logging.getLogger(__name__)

#: GenerationConfig fields that HF generate has no equivalent for; ignored with a warning
UNSUPPORTED = ("presence_penalty", "frequency_penalty", "top_logprobs", "reasoning_effort")


@attrs.frozen
class GenParams:
    """The HF-facing generation settings of one request (hashable, so requests group by it)."""

    max_new_tokens: int
    do_sample: bool
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    repetition_penalty: float | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    logprobs: bool = False
    n: int = 1


def to_gen_params(config: GenerationConfig, default_max_tokens: int) -> GenParams:
    """Greedy unless sampling was asked for (do_sample, or a temperature above 0)."""
    for name in UNSUPPORTED:
        if getattr(config, name) not in (None, 0, 0.0):
            log.warning("the hf backend ignores %s=%r", name, getattr(config, name))
    if config.do_sample is not None:
        sample = bool(config.do_sample)
    else:
        sample = bool(config.temperature)  # None and 0 mean greedy
    if sample and config.temperature == 0:
        sample = False
    return GenParams(
        max_new_tokens=int(config.max_tokens or default_max_tokens),
        do_sample=sample,
        temperature=config.temperature if sample else None,
        top_p=config.top_p if sample else None,
        top_k=config.top_k if sample and config.top_k and config.top_k > 0 else None,  # -1 and 0: no top-k
        repetition_penalty=config.repetition_penalty,
        stop=tuple(s for s in (config.stop or []) if s),
        seed=config.seed,
        logprobs=bool(config.logprobs),
        n=max(1, int(config.n or 1)),
    )


def hf_generation_config(model: Any, params: GenParams, pad_id: int, eos_ids: set[int]) -> Any:
    """A copy of the model's generation config with our settings applied."""
    gc = copy.deepcopy(model.generation_config)
    gc.max_new_tokens = params.max_new_tokens
    gc.max_length = None
    gc.do_sample = params.do_sample
    # greedy: clear sampling knobs the checkpoint may default to, so HF does not warn
    gc.temperature = params.temperature if params.do_sample else None
    gc.top_p = params.top_p if params.do_sample else None
    gc.top_k = params.top_k if params.do_sample else None
    if params.repetition_penalty is not None:
        gc.repetition_penalty = params.repetition_penalty
    gc.stop_strings = list(params.stop) or None
    gc.pad_token_id = pad_id
    gc.eos_token_id = sorted(eos_ids) if len(eos_ids) > 1 else next(iter(eos_ids), None)
    # greedy decoding gives one answer; n identical copies are made by the caller
    gc.num_return_sequences = params.n if params.do_sample else 1
    gc.return_dict_in_generate = True
    gc.output_logits = params.logprobs
    gc.output_scores = False
    return gc


@attrs.define
class GeneratedRow:
    text: str
    output_tokens: int
    finish_reason: str
    logprobs: list[TokenLogprob] | None = None


def cut_at_stop(text: str, stops: tuple[str, ...]) -> tuple[str, bool]:
    """Text before the earliest stop string, and whether one was found."""
    cut = min((i for i in (text.find(s) for s in stops) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


def decode_rows(
    tokenizer: Any,
    generated: Any,
    params: GenParams,
    pad_id: int,
    eos_ids: set[int],
    step_logits: tuple[Any, ...] | None = None,
) -> list[GeneratedRow]:
    """Per row: text (cut at EOS and stop strings), token count, finish reason, logprobs."""
    import torch

    rows: list[GeneratedRow] = []
    ids = generated.tolist()
    for r, row in enumerate(ids):
        end = next((i for i, tok in enumerate(row) if tok in eos_ids), None)
        if end is not None:
            content, count, reason = row[:end], end + 1, "stop"
        else:
            # a row stopped early by a stop string is padded after its last token
            last = len(row)
            while last > 0 and row[last - 1] == pad_id and pad_id not in eos_ids:
                last -= 1
            content, count = row[:last], last
            reason = "length" if last >= params.max_new_tokens else "stop"
        text = tokenizer.decode(content, skip_special_tokens=True)
        text, stopped = cut_at_stop(text, params.stop)
        if stopped:
            reason = "stop"
        logprobs = None
        if step_logits is not None:
            logprobs = []
            for t, tok in enumerate(content):
                lp = torch.log_softmax(step_logits[t][r].float(), dim=-1)[tok].item()
                logprobs.append(TokenLogprob(token=tokenizer.decode([tok]), logprob=lp))
        rows.append(GeneratedRow(text=text, output_tokens=count, finish_reason=reason, logprobs=logprobs))
    return rows
