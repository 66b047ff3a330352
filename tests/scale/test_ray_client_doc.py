"""docs/scale.md's `ray://head:10001` address (Ray Client) works with what the extra it names installs."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import tomllib

REPO = Path(__file__).resolve().parents[2]
SCALE = REPO / "docs" / "scale.md"
BACKENDS = REPO / "packages" / "evalscope-backends" / "pyproject.toml"


def ray_extra() -> list[str]:
    return tomllib.loads(BACKENDS.read_text(encoding="utf-8"))["project"]["optional-dependencies"]["ray"]


def test_the_documented_ray_client_address_comes_with_the_named_extra():
    doc = SCALE.read_text(encoding="utf-8")
    assert "ray://" in doc, "docs/scale.md no longer shows a Ray Client address: drop this test"
    assert "evalscope-backends[ray]" in doc
    # a ray:// address needs Ray Client (grpcio), which only `ray[client]` installs
    assert any(re.match(r"ray\[[^\]]*\bclient\b[^\]]*\]", req) for req in ray_extra()), ray_extra()


def test_ray_client_is_importable_where_ray_is():
    if importlib.util.find_spec("ray") is None:
        pytest.skip("Ray is not installed (evalscope-backends[ray])")
    if importlib.util.find_spec("grpc") is None:
        pytest.skip(
            "grpcio missing: this environment predates `ray[client]` in the ray extra; rerun scripts/install_dev.sh"
        )
    # what `ray.init("ray://...")` connects through (imports grpc)
    worker = importlib.import_module("ray.util.client.worker")
    assert hasattr(worker, "Worker")
