"""Managed virtual environments for suites that cannot share the main one.

Each suite with conflicting dependencies (OpenCompass pins numpy<2; ragas caps openai at 3.3.0;
VLMEvalKit and CLIP need the CUDA torch 2.14.1 build) gets its own venv under
`EVALSCOPE_BACKEND_HOME` (default `~/.cache/evalscope/backends`), created by
`evalscope backend install <name>` from a pinned requirement set, plus evalscope-core (with its
light dependencies) and evalscope-backends (without its dependencies) from this checkout, so a
worker inside the env builds our attrs records and writes them with cattrs (boundary.py).

An env is ready once its manifest (`evalscope-env.json`) is written, which happens last: after
every install step, the import check, a clean `pip check` inside the env and a check that the main
environment's core package versions did not move. A half-installed env has no manifest.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import attrs

from evalscope.core.suites import SuiteUnavailableError

HOME_ENV = "EVALSCOPE_BACKEND_HOME"
DEFAULT_HOME = "~/.cache/evalscope/backends"
MANIFEST = "evalscope-env.json"
#: packages of the main environment that installing a suite must never move
CORE_PACKAGES = (
    "torch", "transformers", "openai", "numpy", "datasets", "pyarrow", "httpx", "aiohttp",
    "attrs", "cattrs", "click", "pyyaml", "sqlmodel", "modelscope", "pandas",
)


@attrs.frozen
class EnvSpec:
    """What one managed env holds. `steps` run in order (torch first and pinned: an unpinned
    torch resolves to a multi-GB CUDA build)."""

    name: str
    summary: str
    steps: tuple[tuple[str, ...], ...]
    #: modules that must import once installed (the env is refused otherwise)
    imports: tuple[str, ...]
    #: why it cannot share the main environment (from `evalscope backend plan`, docs/backends.md)
    reason: str
    #: `pip check` lines accepted as they are (a declared dependency with no wheel for this platform
    #: that the suite never imports on our paths); anything else still refuses the env
    pip_check_allow: tuple[str, ...] = ()


#: The managed envs by name. OpenCompass is owned by the OpenCompass adapter; rag, vlmeval and clip
#: by the RAGEval / VLMEvalKit adapters (their pins come from measured installs, see docs/backends.md).
ENV_SPECS: dict[str, EnvSpec] = {
    "opencompass": EnvSpec(
        name="opencompass",
        summary="ms-opencompass 0.1.6 (the OpenCompass distribution EvalScope's backend uses)",
        steps=(("torch==2.13.0",), ("ms-opencompass==0.1.6", "pyarrow<26", "httpx")),
        imports=("opencompass.cli.arguments", "opencompass.cli.main", "mmengine.config"),
        reason="pins numpy<2 (main: numpy 2.x); needs pyarrow<26 and the undeclared httpx",
    ),
    "rag": EnvSpec(
        name="rag",
        summary="ragas 0.4.3 with sentence-transformers (RAGEval's RAGAS)",
        steps=(
            ("torch==2.13.0",),
            # rapidfuzz: imported lazily by ragas' testset generation (string distances); MTEB runs in the main env
            ("ragas==0.4.3", "openai>=3,<=3.3.0", "langchain-community<0.4", "sentence-transformers", "rapidfuzz"),
        ),
        imports=("ragas", "sentence_transformers", "rapidfuzz"),
        reason="ragas caps openai at 3.3.0 (instructor's jiter<0.15); main has openai 3.5x",
    ),
    "vlmeval": EnvSpec(
        name="vlmeval",
        summary="ms-vlmeval 0.0.20 (VLMEvalKit) on the CUDA torch 2.14.1 build (~7 GB)",
        steps=(("torch==2.14.1", "torchvision==0.29.1"), ("ms-vlmeval==0.0.20",)),
        imports=("vlmeval",),
        # ms-vlmeval declares decord (video decoding), which has no wheel for this platform; image and
        # text datasets never import it
        pip_check_allow=("decord 0.6.0 is not supported on this platform",),
        reason="torchvision imports only with the CUDA torch 2.14.1 build; main has torch 2.13.0 CPU",
    ),
    "clip": EnvSpec(
        name="clip",
        summary="clip-benchmark 1.6.2 and open-clip-torch on the CUDA torch 2.14.1 build (~6 GB)",
        steps=(
            ("torch==2.14.1", "torchvision==0.29.1"),
            ("clip-benchmark==1.6.2", "open-clip-torch==3.3.0", "requests", "numpy<2.4"),
        ),
        imports=("clip_benchmark", "open_clip"),
        reason="torchvision imports only with the CUDA torch 2.14.1 build; main has torch 2.13.0 CPU",
    ),
}


class EnvInstallError(RuntimeError):
    """An install step failed; the message names the step and the log file."""


@attrs.define
class EnvManifest:
    """Written last by `install_env`: what the env holds and what installing it cost."""

    name: str
    steps: list[list[str]]
    python_version: str
    evalscope_source: str
    installed_at: float
    install_seconds: float
    size_bytes: int
    #: the env's own versions of the main environment's core packages (and its suite packages)
    versions: dict[str, str] = attrs.field(factory=dict)
    #: the main environment's core package versions when the env was installed (unchanged after)
    main_versions: dict[str, str] = attrs.field(factory=dict)


@attrs.define
class EnvStatus:
    name: str
    path: Path
    #: ready | missing | incomplete (no manifest: a failed or interrupted install) | stale (other pins)
    state: str
    manifest: EnvManifest | None = None


def install_command(name: str) -> str:
    return f"evalscope backend install {name}"


def backend_home() -> Path:
    return Path(os.environ.get(HOME_ENV) or DEFAULT_HOME).expanduser()


def env_dir(name: str) -> Path:
    return backend_home() / name


def env_python(name: str) -> Path:
    return env_dir(name) / "bin" / "python"


def get_spec(name: str) -> EnvSpec:
    if name not in ENV_SPECS:
        from evalscope.core.registry import did_you_mean

        raise KeyError(f"no managed backend env {name!r}.{did_you_mean(name, ENV_SPECS)} Known: {', '.join(ENV_SPECS)}")
    return ENV_SPECS[name]


def _steps(spec: EnvSpec) -> list[list[str]]:
    return [list(step) for step in spec.steps]


def read_manifest(name: str) -> EnvManifest | None:
    path = env_dir(name) / MANIFEST
    if not path.is_file():
        return None
    from evalscope.core.serialization import structure

    try:
        return structure(json.loads(path.read_text(encoding="utf-8")), EnvManifest)
    except (ValueError, TypeError, KeyError):
        return None


def status(name: str) -> EnvStatus:
    spec = get_spec(name)
    path = env_dir(name)
    if not path.exists():
        return EnvStatus(name, path, "missing")
    manifest = read_manifest(name)
    if manifest is None or not env_python(name).exists():
        return EnvStatus(name, path, "incomplete")
    if manifest.steps != _steps(spec):
        return EnvStatus(name, path, "stale", manifest)
    return EnvStatus(name, path, "ready", manifest)


def require_env(name: str, *, suite: str) -> Path:
    """The env's python, or SuiteUnavailableError naming the one command that fixes it."""
    state = status(name)
    command = install_command(name)
    if state.state == "ready":
        return env_python(name)
    if state.state == "missing":
        raise SuiteUnavailableError(
            f"{suite} runs in its own environment, which is not installed ({state.path}); install it with: {command}"
        )
    if state.state == "stale":
        raise SuiteUnavailableError(
            f"{suite}: its environment {state.path} was installed with other pins; reinstall it with: {command} --force"
        )
    raise SuiteUnavailableError(
        f"{suite}: its environment {state.path} is incomplete (an install failed or was interrupted); "
        f"reinstall it with: {command} --force"
    )


# -- inspecting interpreters -----------------------------------------------------------------------

_VERSIONS_SCRIPT = """
import json, sys
from importlib import metadata
out = {}
for name in sys.argv[1:]:
    try:
        out[name] = metadata.version(name)
    except metadata.PackageNotFoundError:
        pass
print(json.dumps(out))
"""


def package_versions(python: str | Path, names: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Installed versions of `names` in the environment of `python` (absent ones left out)."""
    done = subprocess.run(
        [str(python), "-c", _VERSIONS_SCRIPT, *names], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(done.stdout)


def pip_check(python: str | Path, allow: tuple[str, ...] = ()) -> tuple[bool, str]:
    """`pip check` in the environment of `python`: (clean, its output). Lines in `allow` (an env's
    `pip_check_allow`) do not make it unclean."""
    done = subprocess.run([str(python), "-m", "pip", "check"], capture_output=True, text=True, timeout=300)
    report = (done.stdout + done.stderr).strip()
    if done.returncode == 0:
        return True, report
    problems = [line for line in report.splitlines() if line.strip() and line.strip() not in allow]
    return not problems, report


def dir_size(path: Path) -> int:
    """Bytes on disk under `path`, like `du` (allocated blocks; hard links counted once)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            key = (st.st_dev, st.st_ino)
            if key in seen:
                continue
            seen.add(key)
            total += st.st_blocks * 512
    return total


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    return f"{value:.1f} GiB"


# -- our own packages inside an env ----------------------------------------------------------------


def _project_dir(module_file: str, depth: int, dist: str) -> Path | None:
    """The source project of a package when running from a checkout (its pyproject names `dist`)."""
    candidate = Path(module_file).resolve().parents[depth]
    pyproject = candidate / "pyproject.toml"
    if pyproject.is_file() and f'name = "{dist}"' in pyproject.read_text(encoding="utf-8"):
        return candidate
    return None


def evalscope_install_steps() -> tuple[list[list[str]], bool, str]:
    """pip arguments that put evalscope-core (with its light deps) into an env; whether we run from
    a checkout (then the env follows its sources); a description of the source."""
    import evalscope.backends.suites as here
    import evalscope.core as core

    core_dir = _project_dir(core.__file__, 3, "evalscope-core")  # src/evalscope/core/__init__.py
    backends_dir = _project_dir(here.__file__, 4, "evalscope-backends")  # src/evalscope/backends/suites/
    if core_dir is not None and backends_dir is not None:  # a checkout: editable, so the workers follow it
        return [["-e", str(core_dir)]], True, f"checkout {core_dir.parents[1]}"
    from importlib import metadata

    version = metadata.version("evalscope-core")
    return [[f"evalscope-core=={version}"]], False, f"released evalscope-core {version}"


def place_workers(python: str, env_path: Path, follow_checkout: bool) -> Path:
    """Make `evalscope.backends.suites.*` importable in the env without installing
    evalscope-backends (whose dependencies -- torch, transformers, openai... -- the env must not
    get, and whose metadata `pip check` would then find unsatisfied): `<env>/evalscope-workers`
    holds `evalscope/backends/{__init__.py,suites}` -- links into a checkout (so the workers follow
    it), else copies -- and a .pth puts that folder on the env's path."""
    import evalscope.backends.suites as here

    purelib = Path(subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip())
    root = env_path / "evalscope-workers"
    target = root / "evalscope" / "backends"
    target.mkdir(parents=True, exist_ok=True)
    package = Path(here.__file__).resolve().parent
    if follow_checkout:
        (target / "__init__.py").symlink_to(package.parent / "__init__.py")
        (target / "suites").symlink_to(package, target_is_directory=True)
    else:
        shutil.copy2(package.parent / "__init__.py", target / "__init__.py")
        shutil.copytree(package, target / "suites", ignore=shutil.ignore_patterns("__pycache__"))
    pth = purelib / "evalscope_suite_workers.pth"
    pth.write_text(f"{root}\n", encoding="utf-8")
    return pth


# -- install / remove ------------------------------------------------------------------------------

Echo = Callable[[str], None]


def _run_logged(cmd: list[str], log_path: Path, what: str, echo: Echo) -> None:
    echo(f"  {what}")
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"\n$ {' '.join(cmd)}\n")
        log.flush()
        done = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        raise EnvInstallError(
            f"{what} failed (exit {done.returncode}); full log: {log_path}\n" + "\n".join(tail)
        )


def install_env(name: str, *, force: bool = False, echo: Echo = print) -> EnvManifest:
    """Create (or keep, when ready with the same pins) the managed env `name`."""
    spec = get_spec(name)
    current = status(name)
    if current.state == "ready" and not force:
        assert current.manifest is not None
        echo(f"{name}: already installed at {current.path} ({human_size(current.manifest.size_bytes)})")
        return current.manifest
    main_before = package_versions(sys.executable, CORE_PACKAGES)
    path = env_dir(name)
    if path.exists():
        shutil.rmtree(path)
    home = backend_home()
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / f"{name}.install.log"
    log_path.write_text(f"# evalscope backend install {name}: {spec.summary}\n", encoding="utf-8")
    echo(f"{name}: installing {spec.summary} into {path} (log: {log_path})")
    started = time.monotonic()
    _run_logged([sys.executable, "-m", "venv", str(path)], log_path, "create the venv", echo)
    python = str(env_python(name))
    pip = [python, "-m", "pip", "install", "--progress-bar", "off", "--disable-pip-version-check"]
    _run_logged([*pip, "--upgrade", "pip"], log_path, "upgrade pip", echo)
    for step in spec.steps:
        _run_logged([*pip, *step], log_path, f"pip install {' '.join(step)}", echo)
    ours, from_checkout, source = evalscope_install_steps()
    for own in ours:
        _run_logged([*pip, *own], log_path, f"pip install {' '.join(own)}", echo)
    echo(f"  evalscope's suite workers: {place_workers(python, path, follow_checkout=from_checkout)}")
    for module in [*spec.imports, "evalscope.backends.suites.boundary"]:
        _run_logged([python, "-c", f"import {module}"], log_path, f"import {module}", echo)
    clean, report = pip_check(python, spec.pip_check_allow)
    if not clean:
        raise EnvInstallError(f"{name}: `pip check` in {path} is not clean:\n{report}")
    main_after = package_versions(sys.executable, CORE_PACKAGES)
    if main_after != main_before:
        moved = {k: (main_before.get(k), main_after.get(k)) for k in set(main_before) | set(main_after)
                 if main_before.get(k) != main_after.get(k)}
        raise EnvInstallError(f"{name}: installing it changed the main environment's packages: {moved}")
    suite_packages = [requirement_name(req) for step in spec.steps for req in step]
    manifest = EnvManifest(
        name=name,
        steps=_steps(spec),
        python_version=package_python_version(python),
        evalscope_source=source,
        installed_at=time.time(),
        install_seconds=round(time.monotonic() - started, 1),
        size_bytes=dir_size(path),
        versions=package_versions(python, [*CORE_PACKAGES, *suite_packages]),
        main_versions=main_before,
    )
    from evalscope.core.serialization import unstructure

    (path / MANIFEST).write_text(json.dumps(unstructure(manifest), indent=2), encoding="utf-8")
    echo(
        f"{name}: ready in {manifest.install_seconds:.0f} s, {human_size(manifest.size_bytes)} at {path}; "
        "pip check clean, main environment unchanged"
    )
    return manifest


def requirement_name(requirement: str) -> str:
    """`ms-opencompass==0.1.6` -> `ms-opencompass`; `openai>=3,<=3.3.0` -> `openai`."""
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip()


def package_python_version(python: str | Path) -> str:
    done = subprocess.run(
        [str(python), "-c", "import platform; print(platform.python_version())"],
        capture_output=True, text=True, check=True, timeout=60,
    )
    return done.stdout.strip()


def remove_env(name: str) -> bool:
    """Delete the env (and its install log); False when there was none."""
    get_spec(name)
    path = env_dir(name)
    log = backend_home() / f"{name}.install.log"
    if log.exists():
        log.unlink()
    if not path.exists():
        return False
    shutil.rmtree(path)
    return True


# -- could it share the main env? ------------------------------------------------------------------


@attrs.define
class SharePlan:
    """What installing a suite's requirements into the main environment would do (a pip dry run)."""

    name: str
    #: package -> (installed version or None, version pip would install)
    changes: dict[str, tuple[str | None, str]] = attrs.field(factory=dict)

    @property
    def moved_core(self) -> dict[str, tuple[str | None, str]]:
        """Changes to packages the main environment already has (downgrades, upgrades)."""
        return {k: v for k, v in self.changes.items() if v[0] is not None}

    @property
    def can_share(self) -> bool:
        return not self.moved_core


def plan_share(name: str, python: str | Path = sys.executable) -> SharePlan:
    """`pip install --dry-run --report` of the env's requirements against the main environment."""
    spec = get_spec(name)
    requirements = [req for step in spec.steps for req in step]
    with tempfile.TemporaryDirectory(prefix="evalscope-plan-") as tmp:
        report_path = Path(tmp) / "report.json"
        cmd = [str(python), "-m", "pip", "install", "--dry-run", "--quiet", "--report", str(report_path), *requirements]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
        if done.returncode != 0:
            raise EnvInstallError(f"pip could not resolve {name}'s requirements:\n{done.stderr[-3000:]}")
        report = json.loads(report_path.read_text(encoding="utf-8"))
    planned = {
        item["metadata"]["name"].lower().replace("_", "-"): item["metadata"]["version"] for item in report.get("install", [])
    }
    installed = _installed(python)
    changes = {
        pkg: (installed.get(pkg), version) for pkg, version in sorted(planned.items()) if installed.get(pkg) != version
    }
    return SharePlan(name, changes)


def _installed(python: str | Path) -> dict[str, str]:
    done = subprocess.run(
        [str(python), "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"],
        capture_output=True, text=True, check=True, timeout=300,
    )
    return {item["name"].lower().replace("_", "-"): item["version"] for item in json.loads(done.stdout)}
