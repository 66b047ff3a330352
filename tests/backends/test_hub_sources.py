"""Hub dataset sources: fast, clear failures without a hub; real loading through the hub libraries."""

from __future__ import annotations

import json
import socket
import sys
import time
from pathlib import Path

import pytest

from evalscope.backends.hub import probe
from evalscope.backends.hub.hf_source import HuggingFaceSource
from evalscope.backends.hub.modelscope_source import ModelScopeSource
from evalscope.core import registry
from evalscope.core.datasets import DatasetUnavailableError
from evalscope.core.ports import DatasetRef

FAST_S = 10.0  # ~0.1 s here; the hub libraries' own retries take 15-25 s


@pytest.fixture(autouse=True)
def fresh_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    probe.forget()
    for var in (
        "HF_HUB_OFFLINE",
        "HF_DATASETS_OFFLINE",
        "MODELSCOPE_ENDPOINT",
        "MODELSCOPE_DOMAIN",
        "HF_ENDPOINT",
    ):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def closed_endpoint() -> str:
    """A loopback URL nobody listens on: the connection is refused, as on a machine without a hub."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def gsm8k_ref(dataset_dir: Path) -> DatasetRef:
    return DatasetRef(
        benchmark="gsm8k",
        subset="main",
        split="test",
        dataset_id="modelscope/gsm8k",
        local_roots=(str(dataset_dir / "no-such-gsm8k"),),
        local_patterns=("{subset}/{split}.jsonl", "{split}.jsonl"),
    )


def check_message(message: str, hub: str, dataset_dir: Path) -> None:
    assert f"{hub} hub could not be reached" in message
    assert "no local copy found under the dataset dir" in message
    assert f"{dataset_dir}/no-such-gsm8k/main/test.jsonl" in message  # the patterns tried, expanded
    assert f"{dataset_dir}/no-such-gsm8k/test.jsonl" in message
    assert "--dataset-dir" in message and "EVALSCOPE_DATASET_DIR" in message
    assert "dataset_args.gsm8k.local_path" in message


def load_timed(source: object, ref: DatasetRef) -> tuple[str, float]:
    start = time.monotonic()
    with pytest.raises(DatasetUnavailableError) as info:
        source.load(ref)  # type: ignore[attr-defined]
    return str(info.value), time.monotonic() - start


def test_registered_as_entry_points() -> None:
    assert registry.dataset_sources.get("modelscope") is ModelScopeSource
    assert registry.dataset_sources.get("huggingface") is HuggingFaceSource


@pytest.mark.parametrize("source", [ModelScopeSource, HuggingFaceSource])
def test_no_hub_id_means_not_held_here(source: type) -> None:
    assert source().load(DatasetRef(benchmark="local_only", subset="default", split="test")) is None


@pytest.mark.parametrize(
    ("source", "hub", "endpoint"),
    [
        (ModelScopeSource, "ModelScope", "https://modelscope.cn"),
        (HuggingFaceSource, "Hugging Face", "https://huggingface.co"),
    ],
)
def test_real_hub_unreachable_fails_fast_and_clearly(
    source: type, hub: str, endpoint: str, dataset_dir: Path
) -> None:
    if probe.unreachable_reason(endpoint) is None:
        pytest.skip(f"{endpoint} is reachable from this machine; the offline path cannot be observed")
    probe.forget()
    message, took = load_timed(source(), gsm8k_ref(dataset_dir))
    check_message(message, hub, dataset_dir)
    assert took < FAST_S


@pytest.mark.parametrize(
    ("source", "hub", "env"),
    [
        (ModelScopeSource, "ModelScope", "MODELSCOPE_ENDPOINT"),
        (HuggingFaceSource, "Hugging Face", "HF_ENDPOINT"),
    ],
)
def test_refused_endpoint_fails_fast_and_clearly(
    source: type, hub: str, env: str, closed_endpoint: str, dataset_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(env, closed_endpoint)
    message, took = load_timed(source(), gsm8k_ref(dataset_dir))
    check_message(message, hub, dataset_dir)
    assert closed_endpoint.removeprefix("http://") in message  # says which address failed
    assert took < FAST_S


def test_message_without_dataset_dir_names_the_files_wanted(
    closed_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELSCOPE_ENDPOINT", closed_endpoint)
    ref = DatasetRef(
        benchmark="arc",
        subset="ARC-Easy",
        split="test",
        dataset_id="x/arc",
        local_patterns=("{subset}/{split}.jsonl",),
    )
    with pytest.raises(
        DatasetUnavailableError, match=r"no dataset dir set; expected files: ARC-Easy/test.jsonl"
    ):
        ModelScopeSource().load(ref)


def test_hf_offline_mode_asked_by_user_uses_cache_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, dataset_dir: Path
) -> None:
    pytest.importorskip("datasets")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(
        probe, "unreachable_reason", lambda *a, **k: pytest.fail("offline mode must not probe")
    )
    # both libraries read HF_HUB_OFFLINE when first imported; this process may have imported them already
    import datasets.config
    import huggingface_hub.constants as hub_constants

    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    message, took = load_timed(
        HuggingFaceSource(cache_dir=str(tmp_path / "hf-cache")), gsm8k_ref(dataset_dir)
    )
    assert "unavailable offline (HF_HUB_OFFLINE=1)" in message and "nor in the Hugging Face cache" in message
    assert took < FAST_S + 3  # includes importing datasets


def test_hf_without_datasets_package_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, closed_endpoint: str, dataset_dir: Path
) -> None:
    monkeypatch.setitem(sys.modules, "datasets", None)  # what an environment without the package looks like
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DatasetUnavailableError, match="pip install datasets"):
        HuggingFaceSource().load(gsm8k_ref(dataset_dir))
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setenv("HF_ENDPOINT", closed_endpoint)
    message, _ = load_timed(HuggingFaceSource(), gsm8k_ref(dataset_dir))
    assert "could not be reached" in message and "pip install datasets" in message


def test_modelscope_without_datasets_package_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, closed_endpoint: str, dataset_dir: Path
) -> None:
    monkeypatch.setitem(sys.modules, "datasets", None)
    monkeypatch.setenv("MODELSCOPE_ENDPOINT", closed_endpoint)
    message, _ = load_timed(ModelScopeSource(), gsm8k_ref(dataset_dir))
    assert 'pip install "modelscope[datasets]"' in message


@pytest.fixture
def local_hub_dir(tmp_path: Path) -> Path:
    """A dataset folder in the layout the hub libraries read (one JSONL file per split)."""
    folder = tmp_path / "tiny_ds"
    folder.mkdir()
    rows = [
        {"question": "1+1?", "answer": "2", "meta": {"n": 1}},
        {"question": "2+2?", "answer": "4", "meta": {"n": 2}},
    ]
    (folder / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "train.jsonl").write_text(
        json.dumps({"question": "0+0?", "answer": "0", "meta": {"n": 0}}) + "\n"
    )
    return folder


@pytest.mark.parametrize("source", [ModelScopeSource, HuggingFaceSource])
def test_loads_records_through_the_hub_library(
    source: type, local_hub_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("datasets")
    monkeypatch.setattr(probe, "unreachable_reason", lambda *a, **k: pytest.fail("a local id needs no hub"))
    ref = DatasetRef(benchmark="tiny", subset="default", split="test", dataset_id=str(local_hub_dir))
    records = source(cache_dir=str(tmp_path / "cache")).load(ref)
    assert records == [
        {"question": "1+1?", "answer": "2", "meta": {"n": 1}},
        {"question": "2+2?", "answer": "4", "meta": {"n": 2}},
    ]


def test_unknown_split_is_a_clear_error(local_hub_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("datasets")
    ref = DatasetRef(benchmark="tiny", subset="default", split="validation", dataset_id=str(local_hub_dir))
    with pytest.raises(
        DatasetUnavailableError, match=r"Could not load dataset .*tiny_ds.*split 'validation'"
    ):
        HuggingFaceSource(cache_dir=str(tmp_path / "cache")).load(ref)


def test_probe_result_is_remembered(closed_endpoint: str) -> None:
    first = probe.unreachable_reason(closed_endpoint)
    assert first is not None and "127.0.0.1" in first
    # the port now listens: a second probe would connect and say reachable; the remembered answer stands
    port = int(closed_endpoint.rsplit(":", 1)[1])
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen()
        assert probe.unreachable_reason(closed_endpoint) == first
        probe.forget()
        assert probe.unreachable_reason(closed_endpoint) is None  # forgotten: probed again, and it answers
