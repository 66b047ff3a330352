"""Time the README's first command from a clean clone: install, then the real evaluation.

    .venv/bin/python bench/quickstart.py [--keep] [--repo .]

Clones the repository's committed HEAD into a temporary folder (with ../shared beside it, as on a
fresh machine), runs `bash scripts/install.sh` and then the README quick-start evaluation, and prints
the wall time of each part, the evaluation's own phases (model load, first progress, each dataset)
from its log, and the score table. `--fresh` gives pip, uv and the converted-model cache empty folders
(a new machine: every wheel fetched from the registry, the GGUF weights converted once); without it
they are whatever this machine has (say so when quoting the numbers).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def readme_eval_command(repo: Path) -> str:
    """The evaluation half of the README's first quick-start command (fails if the README changed shape)."""
    text = (repo / "README.md").read_text(encoding="utf-8")
    match = re.search(r"bash scripts/install\.sh && (\.venv/bin/evalscope eval [^\n`]+)", text)
    if not match:
        sys.exit("README.md: no `bash scripts/install.sh && .venv/bin/evalscope eval ...` quick-start line found")
    return match.group(1).strip()


def timed(cmd: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, shell=True, cwd=cwd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"`{cmd}` failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return seconds, proc.stdout + proc.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--keep", action="store_true", help="keep the clone (prints its path)")
    parser.add_argument("--fresh", action="store_true", help="empty pip, uv and model caches, as on a new machine")
    args = parser.parse_args()
    repo = Path(args.repo).resolve()
    shared = repo.parent / "shared"
    root = Path(tempfile.mkdtemp(prefix="evalscope-quickstart-"))
    clone = root / "main"
    try:
        subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
        (root / "shared").symlink_to(shared)
        command = readme_eval_command(clone)
        env = dict(os.environ)
        if args.fresh:
            env["PIP_CACHE_DIR"] = str(root / "pip-cache")
            env["UV_CACHE_DIR"] = str(root / "uv-cache")
            env["EVALSCOPE_CACHE_DIR"] = str(root / "evalscope-cache")
        install_s, _ = timed("bash scripts/install.sh", clone, env)
        eval_s, output = timed(command, clone, env)
        rerun_s, _ = timed(f"{command} --use-cache outputs", clone, env)
        caches = "empty pip and model caches (--fresh)" if args.fresh else "this machine's pip and model caches"
        print(f"clean clone of {repo} at {clone}, {caches}")
        print(f"install:            {install_s:7.1f} s   (bash scripts/install.sh)")
        print(f"first evaluation:   {eval_s:7.1f} s   ({command})")
        print(f"rerun --use-cache:  {rerun_s:7.1f} s")
        print(f"README command 1:   {install_s + eval_s:7.1f} s in all")
        table = [line for line in output.splitlines() if line.startswith(("+", "|", "Answers by", "Outputs"))]
        print("\n".join(table))
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
