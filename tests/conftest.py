"""Shared fixtures: the local dataset dir, free loopback ports, the converted SmolLM2 model."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

DEFAULT_DATASET_DIR = Path(__file__).resolve().parents[2] / "shared" / "datasets"
os.environ.setdefault("EVALSCOPE_DATASET_DIR", str(DEFAULT_DATASET_DIR))


@pytest.fixture(scope="session")
def dataset_dir() -> Path:
    path = Path(os.environ["EVALSCOPE_DATASET_DIR"])
    if not path.is_dir():
        pytest.fail(f"EVALSCOPE_DATASET_DIR={path} does not exist; point it at the shared datasets")
    return path


def find_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def free_port() -> int:
    return find_free_port()


@pytest.fixture(scope="session")
def smollm2_path() -> str:
    """Path of SmolLM2 as a converted safetensors folder (converted once, then cached)."""
    from evalscope.backends.hf.loader import converted_model_path

    return str(converted_model_path("smollm2-135m-instruct"))
