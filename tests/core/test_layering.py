"""House rules: core imports no adapter and nothing heavy; the CLI starts light."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ["torch", "transformers", "openai", "aiohttp", "sqlmodel", "sqlalchemy", "dash", "plotly", "textual", "modelscope", "datasets", "numpy", "sympy",
         "ray", "vllm", "psycopg"]
OUTER = ["evalscope.backends", "evalscope.perf", "evalscope.arena", "evalscope.viz"]
ROOT = Path(__file__).resolve().parents[2]


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "code",
    [
        "import evalscope.core",
        "import evalscope.config",
        "from evalscope.run import run_task",
        "import evalscope.benchmarks; from evalscope.benchmarks import get_benchmark; [get_benchmark(n) for n in ('gsm8k','arc','mmlu')]",
    ],
)
def test_core_imports_nothing_heavy_or_outer(code):
    loaded = _modules_after(code)
    heavy = [m for m in HEAVY if m in loaded]
    outer = [m for m in loaded if any(m == o or m.startswith(o + ".") for o in OUTER)]
    assert not heavy, f"{code!r} imported heavy modules {heavy}"
    assert not outer, f"{code!r} imported adapters {outer}"


def test_cli_help_imports_nothing_heavy():
    code = "import sys; sys.argv=['evalscope','--help']\nfrom evalscope.cli.main import main\ntry:\n    main()\nexcept SystemExit:\n    pass"
    loaded = _modules_after(code)
    assert not [m for m in HEAVY if m in loaded]
    assert not [m for m in loaded if m.startswith("evalscope.perf") or m.startswith("evalscope.backends")]


def test_import_linter_contracts():
    """The same rules, checked statically over every import statement (lazy ones too)."""
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.fail("import-linter is not installed (pip install import-linter)")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_core_package_declares_no_heavy_dependency():
    text = (ROOT / "packages/evalscope-core/pyproject.toml").read_text()
    deps = text.split("dependencies = [", 1)[1].split("]", 1)[0]
    for name in ["torch", "transformers", "openai", "aiohttp", "sqlmodel", "dash", "textual", "modelscope"]:
        assert f'"{name}' not in deps
