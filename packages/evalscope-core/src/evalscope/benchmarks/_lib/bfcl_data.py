"""Where BFCL's data lies: the `bfcl-eval` wheel's `bfcl_eval/data/` (questions and function docs,
`BFCL_v4_<category>.json`, JSON lines) and `possible_answer/` (the allowed calls).

Looked for, in order: `dataset_args.<bench>.extra_params.data_dir` (a folder holding the
`BFCL_v4_*.json` files and `possible_answer/`); `$EVALSCOPE_DATASET_DIR/bfcl_eval/`; the cache
`$EVALSCOPE_BFCL_HOME` (default `~/.cache/evalscope/bfcl`)`/<version>/bfcl_eval/data`, filled by
downloading the wheel alone (`pip download --no-deps bfcl-eval==<version>`, ~2 MB) and
unpacking it. Nothing is installed: bfcl-eval's ~30 pinned dependencies never reach an
environment, and the unpacked package (its checker included) is only read.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from evalscope.core.datasets import DatasetUnavailableError

VERSION = "2026.3.23"
HOME_ENV = "EVALSCOPE_BFCL_HOME"
DEFAULT_HOME = "~/.cache/evalscope/bfcl"
PREFIX = "BFCL_v4_"


def bfcl_home() -> Path:
    return Path(os.environ.get(HOME_ENV) or DEFAULT_HOME).expanduser()


def fetch_command(version: str = VERSION) -> str:
    return f"pip download --no-deps bfcl-eval=={version}"


def unpacked_root(version: str = VERSION, *, download: bool = True) -> Path:
    """The folder holding the unpacked `bfcl_eval` package of the wheel (downloaded once)."""
    root = bfcl_home() / version
    if (root / "bfcl_eval" / "data").is_dir():
        return root
    if not download:
        raise DatasetUnavailableError(f"bfcl-eval {version} is not unpacked under {root}")
    root.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bfcl-", dir=root.parent) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q",
               f"bfcl-eval=={version}", "-d", tmp]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        wheels = sorted(Path(tmp).glob("bfcl_eval-*.whl"))
        if done.returncode != 0 or not wheels:
            raise DatasetUnavailableError(
                f"BFCL data: could not download the bfcl-eval {version} wheel ({fetch_command(version)} failed: "
                f"{(done.stderr or done.stdout).strip().splitlines()[-1:] or ['no output']}). Offline, unpack the wheel "
                f"into {root} or set dataset_args.<bfcl_v4>.extra_params.data_dir to its bfcl_eval/data folder."
            )
        staging = Path(tmp) / "unpacked"
        with zipfile.ZipFile(wheels[0]) as wheel:
            for member in wheel.namelist():
                if member.startswith("bfcl_eval/") and ".." not in member.split("/"):
                    wheel.extract(member, staging)
        if root.exists():
            shutil.rmtree(root)
        os.replace(staging, root)
    return root


def data_dir(params: dict[str, Any]) -> Path:
    """The folder with `BFCL_v4_*.json` and `possible_answer/` for this run."""
    given = params.get("data_dir")
    if given:
        path = Path(str(given)).expanduser()
        if not (path / f"{PREFIX}simple_python.json").is_file():
            raise DatasetUnavailableError(
                f"BFCL data: {path} holds no {PREFIX}simple_python.json (extra_params.data_dir)"
            )
        return path
    shared = os.environ.get("EVALSCOPE_DATASET_DIR")
    if shared and (Path(shared) / "bfcl_eval" / f"{PREFIX}simple_python.json").is_file():
        return Path(shared) / "bfcl_eval"
    return unpacked_root() / "bfcl_eval" / "data"


def _json_lines(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def category_records(folder: Path, category: str) -> list[dict[str, Any]]:
    """The items of one category, each with its `ground_truth` (absent for irrelevance/relevance)."""
    items = _json_lines(folder / f"{PREFIX}{category}.json")
    answers_path = folder / "possible_answer" / f"{PREFIX}{category}.json"
    if answers_path.is_file():
        answers = {row["id"]: row["ground_truth"] for row in _json_lines(answers_path)}
        for item in items:
            item["ground_truth"] = answers[item["id"]]
    return items
