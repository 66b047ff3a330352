"""Print start-up costs: `evalscope --help`, `import evalscope.core`, `import evalscope.run`.

Usage: python bench/startup.py [--repeat 10]
Targets (issue #2): --help <= 0.3 s, core import <= 0.1 s (EvalScope 1.14 here: 2.0 s / 1.5 s).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def timed(cmd: list[str], repeat: int) -> list[float]:
    subprocess.run(cmd, capture_output=True, check=True)  # warm the file cache
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    beside = Path(sys.executable).with_name("evalscope")  # the venv's script, even when not activated
    found = str(beside) if beside.exists() else shutil.which("evalscope")
    cli = [found] if found else [sys.executable, "-m", "evalscope.cli.main"]
    cases = {
        "python -c pass (interpreter floor)": [sys.executable, "-c", "pass"],
        "evalscope --help": [*cli, "--help"],
        "evalscope perf --help": [*cli, "perf", "--help"],
        "import evalscope.core": [sys.executable, "-c", "import evalscope.core"],
        "import evalscope.run": [sys.executable, "-c", "import evalscope.run"],
    }
    print(f"{'what':40s} {'median s':>9s} {'min s':>7s}  (n={args.repeat})")
    for name, cmd in cases.items():
        times = timed(cmd, args.repeat)
        print(f"{name:40s} {statistics.median(times):9.3f} {min(times):7.3f}")


if __name__ == "__main__":
    main()
