"""Installing evalscope prints no deprecation warnings of ours: every pyproject.toml is read by
setuptools without a SetuptoolsDeprecationWarning (e.g. `project.license` as a table), and the
install script does not ask for setuptools' transitional 'compat' editable mode."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECTS = [ROOT / "pyproject.toml", *sorted(ROOT.glob("packages/*/pyproject.toml"))]


@pytest.mark.parametrize("pyproject", PYPROJECTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_pyproject_reads_without_deprecation_warnings(pyproject, monkeypatch):
    from setuptools.config.pyprojecttoml import apply_configuration
    from setuptools.dist import Distribution

    monkeypatch.chdir(pyproject.parent)  # readme and package paths are relative to the project
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        apply_configuration(Distribution(), os.fspath(pyproject))
    deprecations = [f"{w.category.__name__}: {str(w.message).splitlines()[0]}" for w in caught if issubclass(w.category, DeprecationWarning) or "Deprecat" in w.category.__name__]
    assert deprecations == []


def test_install_script_uses_a_supported_editable_mode():
    assert "editable_mode=compat" not in (ROOT / "scripts" / "install.sh").read_text()
