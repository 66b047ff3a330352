"""`evalscope tui LOCATION` where LOCATION holds nothing to browse: a file, an empty directory. One
`Error:` line and exit 1 (the real command in a child process), never an empty dashboard."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXE = str(Path(sys.executable).with_name("evalscope"))


def tui(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # stdin closed: were the dashboard started, it would not wait for keys that never come
    return subprocess.run(
        [EXE, "tui", *args], capture_output=True, text=True, timeout=60, cwd=cwd, stdin=subprocess.DEVNULL
    )


def one_error_line(out: subprocess.CompletedProcess[str]) -> str:
    assert out.returncode == 1, (out.returncode, out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""
    return lines[0]


def test_a_file_is_not_a_run_directory(tmp_path):
    (tmp_path / "notes.txt").write_text("not a run\n", encoding="utf-8")
    line = one_error_line(tui("notes.txt", cwd=tmp_path))
    assert line == "Error: notes.txt: is a file, not a run directory or an outputs directory"


def test_a_run_database_file_says_how_to_open_it(eval_outputs, tmp_path):
    db = eval_outputs.run_a / "evalscope.db"
    line = one_error_line(tui(str(db), cwd=tmp_path))
    assert "is a file, not a run directory" in line and line.endswith(f"pass sqlite:///{db.resolve()}")


def test_an_empty_directory_has_no_runs(tmp_path):
    (tmp_path / "empty").mkdir()
    line = one_error_line(tui("empty", cwd=tmp_path))
    assert line.startswith("Error: no runs in empty ") and "evalscope eval" in line
    # the same with the default location, ./outputs
    (tmp_path / "outputs").mkdir()
    assert one_error_line(tui(cwd=tmp_path)).startswith("Error: no runs in ./outputs ")
