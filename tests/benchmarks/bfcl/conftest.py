"""The unpacked bfcl-eval wheel (data and BFCL's own checker), fetched once into the cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalscope.benchmarks._lib import bfcl_data
from evalscope.core.datasets import DatasetUnavailableError


@pytest.fixture(scope="session")
def bfcl_root() -> Path:
    try:
        return bfcl_data.unpacked_root()
    except DatasetUnavailableError as exc:
        pytest.skip(f"BFCL data unavailable ({exc}); fetch it with: {bfcl_data.fetch_command()}")


@pytest.fixture(scope="session")
def bfcl_folder(bfcl_root: Path) -> Path:
    return bfcl_root / "bfcl_eval" / "data"
