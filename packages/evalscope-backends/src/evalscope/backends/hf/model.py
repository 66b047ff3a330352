"""`HFModelAPI`: a local transformers causal LM as a ModelAPI (generate, choice probs, loglikelihood)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from evalscope.backends import context_window, memory
from evalscope.backends.hf import continuations, generation, length_bound, prompts, scoring
from evalscope.backends.hf.loader import ResolvedModel, load_model_and_tokenizer
from evalscope.backends.hf.streaming import BatchStreamer, Emit, abandoned_rows_stop
from evalscope.core import reasoning
from evalscope.core.ports import DeltaCallback, ModelAPI, ModelOptions
from evalscope.core.types import Feature, ModelChoice, ModelOutput, ModelRequest, RequestKind, Usage

if TYPE_CHECKING:
    from typing_extensions import Unpack

log = logging.getLogger(__name__)

_MODEL_ARG_KEYS = {"revision", "precision", "device_map", "chat_template", "trust_remote_code", "gguf_file"}


class HFModelAPI(ModelAPI):
    """A transformers model run in-process.

    model_args: revision, precision (float16/bfloat16/float32/auto; float32 on CPU by default),
    device_map, chat_template (a template string or a file holding one), trust_remote_code,
    gguf_file. Options: batch_size (requests per `call`), max_tokens (default generation
    length, 512), max_length (context limit; default from the model config),
    loglikelihood_batch_size ((context, continuation) pairs per forward; default 4 x batch_size),
    truncation ("error", the default, or "left": what to do with a prompt that does not fit the
    context; see `evalscope.backends.context_window`), overflow_hint (the advice that ends a
    context-length error; a server passes its own).
    Work runs in a worker thread, one batch at a time, so the event loop stays free.
    `call_streaming` reports each request's new text after every decoding step.
    """

    capabilities = frozenset({RequestKind.GENERATE, RequestKind.CHOICE_PROBS, RequestKind.LOGLIKELIHOOD})
    #: conversations through the chat template; n completions as `num_return_sequences`; tools
    #: through the chat template when it takes them, else in the system prompt (`tool_mode`)
    features = frozenset({Feature.MULTI_TURN, Feature.N_CHOICES, Feature.REASONING, Feature.TOOLS})
    streams = True
    counts_tokens = True
    #: the model object belongs to the caller (`from_loaded`): never dropped by `aclose`
    borrowed = False

    def __init__(
        self,
        model: str,
        model_args: dict[str, Any] | None = None,
        *,
        max_tokens: int | None = None,
        max_length: int | None = None,
        loglikelihood_batch_size: int | None = None,
        overflow_hint: str | None = None,
        **options: Unpack[ModelOptions],
    ) -> None:
        super().__init__(model, model_args, **options)
        self._configure(max_tokens, loglikelihood_batch_size, overflow_hint)
        args = self.model_args
        unknown = set(args) - _MODEL_ARG_KEYS
        if unknown:
            log.warning("hf backend: passing unknown model_args %s to from_pretrained", sorted(unknown))
        extra = {k: v for k, v in args.items() if k not in _MODEL_ARG_KEYS}
        hf_model, tokenizer, resolved = load_model_and_tokenizer(
            model,
            revision=args.get("revision"),
            precision=args.get("precision"),
            device_map=args.get("device_map"),
            trust_remote_code=_truthy(args.get("trust_remote_code", False)),
            gguf_file=args.get("gguf_file"),
            **extra,
        )
        self._attach(hf_model, tokenizer, resolved, max_length)

    def _configure(self, max_tokens: int | None, loglikelihood_batch_size: int | None, overflow_hint: str | None) -> None:
        self.max_batch_size = max(1, int(self.batch_size or 1))
        self.default_max_tokens = int(max_tokens or 512)
        self.ll_batch_size = int(loglikelihood_batch_size or 4 * self.max_batch_size)
        self.truncation = context_window.check_mode(str(self.truncation or "error"))
        self.overflow_hint = overflow_hint

    def _attach(self, hf_model: Any, tokenizer: Any, resolved: ResolvedModel, max_length: int | None) -> None:
        """Take the model and tokenizer (loaded here or handed over by `from_loaded`) into use."""
        self.hf_model, self.tokenizer, self.resolved = hf_model, tokenizer, resolved
        self.precision = str(self.hf_model.dtype).removeprefix("torch.")
        template = self.model_args.get("chat_template") or self.chat_template  # model_args or --chat-template
        if template:
            self.tokenizer.chat_template = _read_template(str(template))
        self.pad_id = prompts.pad_token_id(self.tokenizer)
        self.eos_ids = prompts.eos_token_ids(self.hf_model, self.tokenizer)
        self.max_length = int(max_length or _context_length(self.hf_model, self.tokenizer))
        #: longest token string, for refusing huge prompts before tokenising them (None: no bound)
        self._longest_token = length_bound.longest_token(self.tokenizer)
        self._lock = threading.Lock()  # one forward/generate at a time: they share the cores

    @classmethod
    def from_loaded(
        cls,
        model: Any,
        tokenizer: Any,
        name: str = "local",
        resolved: ResolvedModel | None = None,
        *,
        revision: str | None = None,
        max_tokens: int | None = None,
        max_length: int | None = None,
        loglikelihood_batch_size: int | None = None,
        overflow_hint: str | None = None,
        **options: Unpack[ModelOptions],
    ) -> HFModelAPI:
        """Wrap a model and tokenizer that are already in memory (e.g. a model being trained).

        The caller keeps ownership: the model is switched to eval mode only while it answers and
        its train/eval mode is restored after each call; `aclose` does not drop it. `revision`
        (e.g. "step-100") names the weights' state in the model identity, so `use_cache` never
        serves one checkpoint's answers for another; without it the identity carries a fingerprint
        of the current weights. The other keywords are the constructor's.
        """
        resolved = resolved or ResolvedModel(name=name, path=name, source="local", revision=revision)
        if revision is not None and resolved.revision != revision:
            resolved = attrs.evolve(resolved, revision=revision)
        api = cls.__new__(cls)
        ModelAPI.__init__(api, name, None, **options)
        api.borrowed = True
        api._configure(max_tokens, loglikelihood_batch_size, overflow_hint)
        api._attach(model, tokenizer, resolved, max_length)
        return api

    def identity(self) -> dict[str, Any]:
        identity = {
            "provider": "hf",
            "model": self.model_name,
            "path": str(self.resolved.gguf_path or self.resolved.path),
            "revision": self.resolved.revision,
            "precision": self.precision,
        }
        if self.borrowed and self.resolved.revision is None:
            identity["weights"] = _weights_fingerprint(self.hf_model)
        return identity

    def count_tokens(self, prompts: Sequence[str | ModelRequest]) -> list[int]:
        """Prompts in this model's tokens, rendered as `generate_batch` renders them."""
        from evalscope.backends.tokens import count_prompts

        return count_prompts(self.tokenizer, prompts)

    def context_length(self) -> int:
        return self.max_length

    def tool_mode(self) -> str:
        """The mode "native chat template" or "prompt" (`prompts.tool_mode`)."""
        return prompts.tool_mode(self.tokenizer)

    async def call(self, requests: Sequence[ModelRequest]) -> list[ModelOutput]:
        return await self._answer(requests, None)

    async def call_streaming(
        self, requests: Sequence[ModelRequest], on_delta: DeltaCallback
    ) -> list[ModelOutput]:
        """Like `call`; generated text reaches `on_delta` token by token (on the loop's thread)."""
        return await self._answer(requests, on_delta)

    async def _answer(
        self, requests: Sequence[ModelRequest], on_delta: DeltaCallback | None
    ) -> list[ModelOutput]:
        if not requests:
            return []
        kinds = {r.kind for r in requests}
        if len(kinds) != 1:
            raise ValueError(f"one call answers one request kind, got {sorted(k.value for k in kinds)}")
        kind = kinds.pop()
        if kind not in self.capabilities:
            raise ValueError(f"HFModelAPI cannot answer {kind.value} requests")
        work = {
            RequestKind.GENERATE: self.generate_batch,
            RequestKind.CHOICE_PROBS: self.choice_probs_batch,
            RequestKind.LOGLIKELIHOOD: self.loglikelihood_batch,
        }[kind]
        # a malformed request gets an error output; the rest of the batch still runs
        outputs: list[ModelOutput | None] = [None] * len(requests)
        valid: list[int] = []
        for i, request in enumerate(requests):
            problem = _problem(request)
            if problem:
                outputs[i] = ModelOutput(error=problem, model=self.model_name)
            else:
                valid.append(i)
        if valid:
            args: list[Any] = [[requests[i] for i in valid]]
            if on_delta is not None and kind is RequestKind.GENERATE:
                args.append(_ThreadEmitter(asyncio.get_running_loop(), on_delta, valid))
            big = max(_text_size(requests[i]) for i in valid) >= memory.TRIM_AFTER_CHARS
            answers = await asyncio.to_thread(self._locked, work, *args, trim=big)
            for i, answer in zip(valid, answers, strict=True):
                outputs[i] = answer
        return [o for o in outputs if o is not None]

    def _locked(self, work: Any, *args: Any, trim: bool = False) -> list[ModelOutput]:
        """Run `work` alone, in eval mode; a model that was training is put back in train mode."""
        with self._lock:
            training = bool(getattr(self.hf_model, "training", False))
            if training:
                self.hf_model.eval()
            try:
                return work(*args)
            finally:
                if training:
                    self.hf_model.train()
                if trim:  # the huge prompt's token lists are gone: hand their pages back
                    memory.release_freed_memory()

    # -- generation ---------------------------------------------------------------------------------
    def generate_batch(self, requests: Sequence[ModelRequest], emit: Emit | None = None) -> list[ModelOutput]:
        """Generate for each request; requests with equal settings share one generate call.

        With `emit`, each step's new text is reported as ``[(index in requests, text), ...]``
        from this (the generating) thread.
        """
        outputs: list[ModelOutput | None] = [None] * len(requests)
        groups: dict[generation.GenParams, list[int]] = {}
        for i, request in enumerate(requests):
            params = generation.to_gen_params(request.config, self.default_max_tokens)
            groups.setdefault(params, []).append(i)
        for params, indices in groups.items():
            group = [requests[i] for i in indices]
            for i, out in zip(indices, self._generate_group(group, params, emit, indices), strict=True):
                outputs[i] = out
        return [o for o in outputs if o is not None]

    def _generate_group(
        self,
        requests: Sequence[ModelRequest],
        params: generation.GenParams,
        emit: Emit | None = None,
        indices: Sequence[int] | None = None,
    ) -> list[ModelOutput]:
        positions = list(indices) if indices is not None else list(range(len(requests)))
        outputs: list[ModelOutput | None] = [None] * len(requests)
        rows: list[list[int]] = []
        cut: list[bool] = []
        running: list[int] = []  # positions in `requests` that are generated
        for k, request in enumerate(requests):
            text, templated = prompts.render_prompt(self.tokenizer, request)
            early = self._refuse_unread(text, params.max_new_tokens, request, "generate")
            if early:
                outputs[k] = early
                continue
            tokens = prompts.encode(self.tokenizer, text, templated)
            fit = context_window.fit_generation(
                len(tokens),
                params.max_new_tokens,
                self.max_length,
                self.truncation,
                hint=self.overflow_hint,
                default_max_tokens=request.config.max_tokens is None,
            )
            if fit.error:
                outputs[k] = ModelOutput(error=fit.error, usage=Usage(input_tokens=len(tokens)), model=self.model_name)
                continue
            rows.append(tokens[-fit.keep :] if fit.keep else tokens)
            cut.append(fit.truncated)
            running.append(k)
        if not running:
            return [o for o in outputs if o is not None]
        answers = self._generate_rows(rows, params, emit, [positions[k] for k in running])
        for k, out, truncated in zip(running, answers, cut, strict=True):
            out.prompt_truncated = truncated
            outputs[k] = prompts.with_tool_calls(out, requests[k])
        return [o for o in outputs if o is not None]

    def _generate_rows(
        self,
        rows: list[list[int]],
        params: generation.GenParams,
        emit: Emit | None,
        indices: Sequence[int],
    ) -> list[ModelOutput]:
        """One `generate` over token rows that fit the context; `indices` are their stream positions."""
        import torch

        ids, mask, _ = scoring.left_pad(rows, self.pad_id, self.hf_model.device)
        gc = generation.hf_generation_config(self.hf_model, params, self.pad_id, self.eos_ids)
        extra: dict[str, Any] = {"tokenizer": self.tokenizer} if params.stop else {}
        streamer = None
        if emit is not None:
            streamer = BatchStreamer(
                self.tokenizer,
                self.eos_ids,
                params.stop,
                emit,
                indices,
                per_request=gc.num_return_sequences or 1,
            )
            extra["streamer"] = streamer
            abandoned = getattr(emit, "abandoned", None)
            if abandoned is not None:
                extra["stopping_criteria"] = abandoned_rows_stop(abandoned, indices, gc.num_return_sequences or 1)
        log.debug(
            "generate: %d requests, max_new_tokens=%d, streamed=%s",
            len(rows),
            params.max_new_tokens,
            emit is not None,
        )
        started = time.perf_counter()
        # a seeded generation draws from a forked RNG: torch's global RNG is as it was afterwards
        with torch.random.fork_rng(devices=_rng_devices(self.hf_model), enabled=params.seed is not None):
            if params.seed is not None:
                torch.manual_seed(params.seed)
            with torch.inference_mode():
                result = self.hf_model.generate(input_ids=ids, attention_mask=mask, generation_config=gc, **extra)
        latency = time.perf_counter() - started
        new_tokens = result.sequences[:, ids.shape[1] :]
        decoded = generation.decode_rows(
            self.tokenizer,
            new_tokens,
            params,
            self.pad_id,
            self.eos_ids,
            result.logits if params.logprobs else None,
        )
        if streamer is not None:
            streamer.finish([row.text for row in decoded])
        per_request = len(decoded) // len(rows)  # n rows per request when sampling n > 1
        outputs = []
        for i, tokens in enumerate(rows):
            mine = decoded[i * per_request : (i + 1) * per_request]
            if len(mine) < params.n:  # greedy: every completion is the same
                mine = mine * params.n
            first = mine[0]
            out = ModelOutput(
                text=first.text,
                texts=[row.text for row in mine] if params.n > 1 else None,
                usage=Usage(input_tokens=len(tokens), output_tokens=sum(row.output_tokens for row in mine)),
                finish_reason=first.finish_reason,
                latency=latency,
                logprobs=first.logprobs,
                model=self.model_name,
                choices=[ModelChoice(row.text, row.finish_reason) for row in mine] if params.n > 1 else None,
            )
            outputs.append(self._reasoning_apart(out))
        return outputs

    def _reasoning_apart(self, out: ModelOutput) -> ModelOutput:
        """`<think>…</think>` moved out of the answer into `reasoning`, its tokens counted."""
        reasoning.with_reasoning_apart(out)
        thoughts = [c.reasoning for c in out.choices] if out.choices else [out.reasoning]
        out.usage.reasoning_tokens = sum(
            len(self.tokenizer(t, add_special_tokens=False)["input_ids"]) for t in thoughts if t
        )
        return out

    def _refuse_unread(
        self, text: str, max_new_tokens: int, request: ModelRequest, kind: str
    ) -> ModelOutput | None:
        """An error output for a prompt that cannot fit even by a lower bound on its tokens (so a
        prompt of megabytes is refused without seconds of tokenising); None when it may fit, when
        it is short enough to count exactly (the error then gives its true length) or truncation
        "left" needs its tokens anyway."""
        if self.truncation != "error" or len(text) < length_bound.WORTH_BOUNDING_CHARS:
            return None
        at_least = length_bound.min_tokens(text, self._longest_token)
        if at_least + max_new_tokens <= self.max_length:
            return None
        if kind == "generate":
            fit = context_window.fit_generation(
                at_least,
                max_new_tokens,
                self.max_length,
                self.truncation,
                hint=self.overflow_hint,
                default_max_tokens=request.config.max_tokens is None,
                at_least=True,
            )
        else:
            fit = context_window.fit_scoring(
                at_least, self.max_length, self.truncation, kind=kind, hint=self.overflow_hint, at_least=True
            )
        return ModelOutput(error=fit.error, model=self.model_name)

    # -- option-letter probabilities -----------------------------------------------------------------
    def choice_probs_batch(self, requests: Sequence[ModelRequest]) -> list[ModelOutput]:
        """Next-token probability of each option letter after the prompt (one forward per batch).

        A prompt longer than the context gets an error output (or is cut from the left with
        truncation "left"); the other requests of the batch are still answered.
        """
        outputs: list[ModelOutput | None] = [None] * len(requests)
        rows, letter_ids, cut, running = [], [], [], []
        for k, request in enumerate(requests):
            if not request.choices:
                raise ValueError("a choice_probs request needs `choices` (option letters)")
            text, templated = prompts.render_prompt(self.tokenizer, request)
            early = self._refuse_unread(text, 0, request, "choice_probs")
            if early:
                outputs[k] = early
                continue
            tokens = prompts.encode(self.tokenizer, text, templated)
            fit = context_window.fit_scoring(
                len(tokens), self.max_length, self.truncation, kind="choice_probs", hint=self.overflow_hint
            )
            if fit.error:
                outputs[k] = ModelOutput(error=fit.error, usage=Usage(input_tokens=len(tokens)), model=self.model_name)
                continue
            rows.append(tokens[-fit.keep :] if fit.keep else tokens)
            cut.append(fit.truncated)
            running.append(k)
            letter_ids.append([scoring.letter_token_ids(self.tokenizer, c, request.letter_rule) for c in request.choices])
        if running:
            started = time.perf_counter()
            logits = scoring.forward_tail_logits(self.hf_model, rows, self.pad_id, keep=1)
            latency = time.perf_counter() - started
            for j, k in enumerate(running):
                outputs[k] = ModelOutput(
                    scores=scoring.choice_probabilities(logits[j, -1], letter_ids[j]),
                    usage=Usage(input_tokens=len(rows[j])),
                    latency=latency,
                    model=self.model_name,
                    prompt_truncated=cut[j],
                )
        return [o for o in outputs if o is not None]

    # -- log-likelihood of continuations ---------------------------------------------------------------
    def loglikelihood_batch(self, requests: Sequence[ModelRequest]) -> list[ModelOutput]:
        """Summed log-probability of each continuation (`choices[i]`) after the context (`prompt`, plus
        `contexts[i]` when the request has per-choice contexts).

        A continuation is never cut; a context that does not fit before it makes the request an
        error (or, with truncation "left", loses its oldest tokens).
        """
        start_id = self.tokenizer.bos_token_id
        if start_id is None:
            start_id = next(iter(sorted(self.eos_ids)), None)
        plan = continuations.plan_continuations(
            self.tokenizer, requests, start_id=start_id, max_length=self.max_length, truncation=self.truncation,
            model_name=self.model_name, hint=self.overflow_hint,
            refuse=lambda text, request: self._refuse_unread(text, 0, request, "loglikelihood"),
        )
        if not plan.pairs:
            return plan.finish([], 0.0, self.model_name)
        started = time.perf_counter()
        scores = scoring.score_pairs(self.hf_model, plan.pairs, self.pad_id, self.ll_batch_size)
        return plan.finish(scores, time.perf_counter() - started, self.model_name)

    async def aclose(self) -> None:
        """Drop the model so its memory can be freed (not a borrowed one: it is the caller's)."""
        if not self.borrowed:
            self.hf_model = None


class _ThreadEmitter:
    """An `Emit` for the worker thread: hands each step's deltas to `on_delta` on `loop`, with
    work-list indices mapped back to the caller's batch positions. Requests whose `on_delta`
    answered False land in `abandoned` (work-list indices), which generation reads to stop them."""

    def __init__(self, loop: asyncio.AbstractEventLoop, on_delta: DeltaCallback, positions: Sequence[int]) -> None:
        self.loop = loop
        self.on_delta = on_delta
        self.positions = positions
        self.abandoned: set[int] = set()

    def _deliver(self, deltas: list[tuple[int, str]]) -> None:
        for index, text in deltas:
            if index not in self.abandoned and self.on_delta(self.positions[index], text) is False:
                self.abandoned.add(index)

    def __call__(self, deltas: list[tuple[int, str]]) -> None:
        try:
            self.loop.call_soon_threadsafe(self._deliver, deltas)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            self.abandoned.update(index for index, _ in deltas)


def _problem(request: ModelRequest) -> str | None:
    """Why `request` cannot be answered, or None."""
    if not request.messages and request.prompt is None:
        return f"{request.kind.value} request has neither messages nor prompt"
    if request.kind is not RequestKind.GENERATE and not request.choices:
        return f"a {request.kind.value} request needs `choices`"
    if request.contexts is not None and len(request.contexts) != len(request.choices or []):
        return f"`contexts` has {len(request.contexts)} entries for {len(request.choices or [])} choices"
    return None


def _rng_devices(model: Any) -> list[Any]:
    """CUDA devices whose RNG a seeded generation must fork too (none on CPU)."""
    device = getattr(model, "device", None)
    return [device] if getattr(device, "type", "cpu") == "cuda" else []


def _weights_fingerprint(model: Any) -> str:
    """A cheap digest of the current weights (a strided sample of every parameter tensor), so a
    live model's identity changes as it trains."""
    import hashlib

    import torch

    digest = hashlib.sha256()
    with torch.no_grad():
        for name, param in model.named_parameters():
            flat = param.detach().reshape(-1)
            step = max(1, flat.numel() // 64)
            digest.update(name.encode())
            digest.update(flat[::step][:64].float().cpu().numpy().tobytes())
    return digest.hexdigest()[:16]


def _text_size(request: ModelRequest) -> int:
    """Characters of a request's text (prompt or messages, contexts and choices)."""
    size = len(request.prompt or "") + sum(len(m.content) for m in request.messages or [])
    return size + sum(len(c) for c in request.contexts or []) + sum(len(c) for c in request.choices or [])


def _truthy(value: Any) -> bool:
    """Booleans from model_args, which may arrive as strings from the command line."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _read_template(value: str) -> str:
    path = Path(value).expanduser()
    if "{" not in value and path.is_file():
        return path.read_text(encoding="utf-8")
    return value


def _context_length(model: Any, tokenizer: Any) -> int:
    for name in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(model.config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    value = getattr(tokenizer, "model_max_length", None)
    return value if isinstance(value, int) and 0 < value < 1_000_000 else 2048
