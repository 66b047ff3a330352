"""Offline means offline: with `EVALSCOPE_OFFLINE=1` or `HF_HUB_OFFLINE=1` a dataset that is not on
disk fails at once with one message saying so and where it looked, and nothing opens a connection,
ModelScope included; the model loader reads local files only (`local_files_only`).

Every socket connect in this process fails the test (in-process guard on `socket.socket.connect`
and `socket.create_connection`)."""

from __future__ import annotations

import socket
import sys

import pytest

from evalscope.backends.hub import probe
from evalscope.core.datasets import DatasetUnavailableError
from evalscope.run import run_task

SWITCHES = ["EVALSCOPE_OFFLINE", "HF_HUB_OFFLINE"]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record (and refuse) every connection attempt made in this process."""
    attempts: list[object] = []

    def refuse(target, *args, **kwargs):
        attempts.append(target if not isinstance(target, socket.socket) else args[0])
        raise OSError("network attempt while offline")

    monkeypatch.setattr(socket.socket, "connect", lambda self, address: refuse(self, address))
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, address: refuse(self, address))
    monkeypatch.setattr(socket, "create_connection", refuse)
    probe.forget()
    from evalscope.backends.hf import loader

    monkeypatch.setattr(loader, "_reachable_cache", {})  # a probe result remembered from earlier
    return attempts


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    """Turn one switch on; the HF libraries' own switches are recorded so the test leaves them as found."""
    for var in ("EVALSCOPE_OFFLINE", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "MODELSCOPE_OFFLINE"):
        monkeypatch.setenv(var, "0")
    for module, names in (("huggingface_hub.constants", ("HF_HUB_OFFLINE",)),
                          ("datasets.config", ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"))):
        loaded = sys.modules.get(module)
        for name in names if loaded is not None else ():
            monkeypatch.setattr(loaded, name, getattr(loaded, name))
    monkeypatch.setenv(request.param, "1")
    return request.param


@pytest.mark.parametrize("offline", SWITCHES, indirect=True)
@pytest.mark.parametrize("hub", ["modelscope", "huggingface"])
def test_a_dataset_not_on_disk_fails_at_once_saying_offline_and_where_it_looked(tmp_path, offline, hub, no_network):
    empty = tmp_path / "datasets"
    empty.mkdir()
    with pytest.raises(DatasetUnavailableError) as failed:
        run_task({"eval_type": "mock", "datasets": ["gsm8k"], "limit": 1, "dataset_dir": str(empty),
                  "dataset_hub": hub, "work_dir": str(tmp_path / "out")}, print_table=False)
    message = str(failed.value)
    assert f"unavailable offline ({offline}=1)" in message
    assert f"tried: {empty}/" in message and "not contacted while offline" in message
    assert no_network == []
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("offline", SWITCHES, indirect=True)
def test_a_hub_model_id_is_looked_up_in_the_caches_only(offline, no_network):
    from evalscope.backends.hf.loader import ModelNotFoundError, resolve_model

    with pytest.raises(ModelNotFoundError):
        resolve_model("evalscope-test/no-such-model-0123")
    assert no_network == []


@pytest.mark.slow
@pytest.mark.parametrize("offline", ["EVALSCOPE_OFFLINE"], indirect=True)
def test_the_real_model_loads_offline_with_local_files_only(offline, no_network, monkeypatch):
    import transformers

    from evalscope.backends.hf.loader import load_model_and_tokenizer

    seen: list[dict] = []
    original = transformers.AutoTokenizer.from_pretrained.__func__

    def recording(cls, *args, **kwargs):
        seen.append(kwargs)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", classmethod(recording))
    model, tokenizer, _ = load_model_and_tokenizer("smollm2-135m-instruct")
    assert tokenizer("hi")["input_ids"] and seen and all(k.get("local_files_only") is True for k in seen)
    assert no_network == []
