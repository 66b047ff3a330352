"""Fixtures for the perf tests: known-timing mock servers in child processes."""

from __future__ import annotations

import pytest

from evalscope.perf.mock_server import MockServerProcess


@pytest.fixture(scope="module")
def mock_server():
    """TTFT 50 ms, 16 chunks 5 ms apart, role-only first chunk, usage chunk."""
    with MockServerProcess(ttft_ms=50, itl_ms=5, tokens=16) as s:
        yield s


@pytest.fixture(scope="module")
def smollm2_tokenizer():
    from evalscope.perf.tokenizer import load_tokenizer

    return load_tokenizer("smollm2-135m-instruct")
