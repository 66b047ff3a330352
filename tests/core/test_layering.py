"""House rules: core imports no adapter and nothing heavy; the CLI starts light."""

from __future__ import annotations

import json
import re
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


CORE = ROOT / "packages/evalscope-core/src/evalscope/core"
BENCHMARKS = ROOT / "packages/evalscope-core/src/evalscope/benchmarks"
#: an import of a layer above the domain, at any indentation (lazy, under TYPE_CHECKING, or at the top)
UPWARD = re.compile(r"^\s*(?:from\s+evalscope\.(?:config|run|cli|benchmarks|app)\b|import\s+evalscope\.(?:config|run|cli|benchmarks|app)\b)", re.M)


def _imports_of(path: Path, pattern: re.Pattern[str]) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0).strip()}" for m in pattern.finditer(text)]


def test_domain_never_imports_upward():
    """No module under evalscope/core imports the application (config, run, app), the CLI or the
    benchmarks, not even lazily or for type checking: the domain takes what it needs as values."""
    found = [hit for path in sorted(CORE.rglob("*.py")) for hit in _imports_of(path, UPWARD)]
    assert not found, "evalscope.core imports upward:\n" + "\n".join(found)


def test_benchmark_modules_do_not_import_each_other_in_a_circle():
    """A benchmark module's imports of its siblings (evalscope.benchmarks.x) form no cycle."""
    sibling = re.compile(r"^\s*from\s+evalscope\.benchmarks(?:\.(\w+)|\s+import\s+(\w+))", re.M)
    graph: dict[str, set[str]] = {}
    for path in BENCHMARKS.glob("*.py"):
        names = {a or b for a, b in sibling.findall(path.read_text(encoding="utf-8"))}
        graph[path.stem] = {n for n in names if (BENCHMARKS / f"{n}.py").is_file() and n != path.stem}

    def cycle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt == start:
                    return [*trail, nxt]
                if nxt not in trail:
                    stack.append((nxt, [*trail, nxt]))
        return None

    cycles = [c for name in sorted(graph) if (c := cycle_from(name))]
    assert not cycles, f"circular imports between benchmark modules: {cycles[0]}"
