"""Fixtures of the backends tests: one real SmolLM2 adapter shared by the whole session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def hf_api():
    """HFModelAPI over the real SmolLM2 (from the conversion cache after the first run), batch 4."""
    from evalscope.backends.hf.model import HFModelAPI

    return HFModelAPI("smollm2-135m-instruct", batch_size=4)
