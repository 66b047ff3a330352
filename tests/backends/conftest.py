"""Fixtures of the backends tests: one real SmolLM2 adapter shared by the whole session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def hf_api():
    """HFModelAPI over the real SmolLM2 (from the conversion cache after the first run), batch 4."""
    from evalscope.backends.hf.model import HFModelAPI

    return HFModelAPI("smollm2-135m-instruct", batch_size=4)


@pytest.fixture(params=["lean", "openai"])
def http_client(request, monkeypatch):
    """Run a test over both transports of the OpenAI provider (core's lean client, the SDK)."""
    import evalscope.backends.openai_api.model as openai_model

    monkeypatch.setattr(openai_model, "DEFAULT_HTTP_CLIENT", request.param)
    return request.param
