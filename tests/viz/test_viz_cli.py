"""The `app` and `tui` commands as a user meets them: listed in the help, clear errors, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXE = str(Path(sys.executable).with_name("evalscope"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=120)


def test_help_lists_the_front_ends():
    out = run("--help")
    assert out.returncode == 0
    assert "app " in out.stdout and "Open the report site" in out.stdout
    assert "tui " in out.stdout and "Terminal dashboard" in out.stdout


def test_front_end_flags_are_documented():
    app = run("app", "--help").stdout
    for flag in ("--outputs", "--store-url", "--host", "--port", "--lang"):
        assert flag in app
    assert "127.0.0.1" in app and "7861" in app
    assert "--tui" in run("eval", "--help").stdout
    assert "--tui" in run("perf", "--help").stdout


def test_tui_on_a_missing_directory_is_one_clear_line(tmp_path):
    out = run("tui", str(tmp_path / "nope"))
    assert out.returncode != 0
    assert "no such directory" in out.stderr and "Traceback" not in out.stderr
