"""Every `# type: ignore` in the packages names its error code and says why on its line.

mypy (run by scripts/test.sh, configured in pyproject.toml) reports ignores it no longer needs; this
test keeps the ones it does need explained: `# type: ignore[code]  # reason`.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IGNORE = re.compile(r"#\s*type:\s*ignore")
EXPLAINED = re.compile(r"#\s*type:\s*ignore\[[a-z-]+(?:,\s*[a-z-]+)*\]  # \S")


def test_every_type_ignore_names_its_code_and_reason() -> None:
    bare = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "packages").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if IGNORE.search(line) and not EXPLAINED.search(line)
    ]
    assert not bare, "write `# type: ignore[code]  # reason`:\n" + "\n".join(bare)


def test_mypy_runs_in_the_test_command() -> None:
    lines = (ROOT / "scripts" / "test.sh").read_text(encoding="utf-8").splitlines()
    mypy = [i for i, line in enumerate(lines) if line.startswith(".venv/bin/python -m mypy")]
    pytest = [i for i, line in enumerate(lines) if line.startswith(".venv/bin/python -m pytest")]
    assert mypy and pytest and mypy[0] < pytest[0], "scripts/test.sh runs mypy before pytest"
