"""The run page's forms as child-process argument lists: every field checked, no shell anywhere.

A launch is `[sys.executable, "-m", "evalscope.cli.main", "eval" | "perf", "--flag=value", ...]`
built only from validated fields (names from the benchmark registry, http/https URLs, numbers in
range, existing paths); each value travels as one `--flag=value` argument, so no value can become
another option. An API key never enters the list: it goes to the child as `EVALSCOPE_API_KEY` in
its environment (`Launch.env`, kept out of `repr`). A bad field raises `FieldError` naming it.
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs

#: the environment variable `evalscope eval --api-key` and `evalscope perf --api-key` read
API_KEY_ENV = "EVALSCOPE_API_KEY"
EVAL_TYPES = ("checkpoint", "service", "mock")
PERF_DATASETS = (
    "openqa",
    "longalpaca",
    "line_by_line",
    "custom",
    "random",
    "speed_benchmark",
    "speed_benchmark_long",
)
CONFIG_SUFFIXES = (".yaml", ".yml", ".json")
#: a model name, hub id or path: letters, digits and . _ - / : @ + ~, not starting with "-"
_MODEL = re.compile(r"[A-Za-z0-9_.:/@+~][A-Za-z0-9_.:/@+~-]*")
#: model args as `k=v,k=v` with plain values (the CLI parses them)
_MODEL_ARGS = re.compile(
    r"[A-Za-z_][A-Za-z0-9_]*=[A-Za-z0-9_.:/@+~-]*(,[A-Za-z_][A-Za-z0-9_]*=[A-Za-z0-9_.:/@+~-]*)*"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_TEXT = 500


class FieldError(ValueError):
    """A form field that cannot be used: `field` names it, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@attrs.frozen
class Launch:
    """What to start: the argument list, the extra environment (secrets), where its results go."""

    kind: str
    argv: tuple[str, ...]
    #: the run dir (eval) or the outputs directory the perf run writes below
    run_dir: Path
    label: str
    env: Mapping[str, str] = attrs.field(factory=dict, repr=False)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(field: str, value: Any, *, required: bool = False, limit: int = MAX_TEXT) -> str | None:
    """A stripped one-line string (None when blank and not required)."""
    if _blank(value):
        if required:
            raise FieldError(field, "required")
        return None
    if not isinstance(value, str):
        raise FieldError(field, f"expected text, got {type(value).__name__}")
    value = value.strip()
    if len(value) > limit:
        raise FieldError(field, f"longer than {limit} characters")
    if _CONTROL.search(value):
        raise FieldError(field, "control characters (newlines, tabs, NUL) are not allowed")
    if value.startswith("-"):
        raise FieldError(field, "must not start with '-'")
    return value


def model_name(field: str, value: Any, *, required: bool = True) -> str | None:
    name = text(field, value, required=required)
    if name is not None and not _MODEL.fullmatch(name):
        raise FieldError(field, "a model name, hub id or path: letters, digits and . _ - / : @ + ~ only")
    return name


def url(field: str, value: Any, *, required: bool = True) -> str | None:
    """An http/https URL with a host and no credentials in it (keys go in their own field)."""
    found = text(field, value, required=required)
    if found is None:
        return None
    if any(c.isspace() for c in found):
        raise FieldError(field, "no spaces in a URL")
    parts = urlsplit(found)
    if parts.scheme not in ("http", "https"):
        raise FieldError(field, "only http:// and https:// URLs")
    if not parts.hostname:
        raise FieldError(field, "the URL names no host")
    if parts.username or parts.password:
        raise FieldError(field, "no user or password in the URL: put the key in the API key field")
    return found


def number(
    field: str, value: Any, low: float, high: float, *, integer: bool = True, required: bool = False
) -> int | float | None:
    """A number within [low, high] (an int where `integer`)."""
    if _blank(value):
        if required:
            raise FieldError(field, "required")
        return None
    if isinstance(value, bool):
        raise FieldError(field, "expected a number")
    try:
        found = float(value)
    except (TypeError, ValueError):
        raise FieldError(field, f"expected a number, got {str(value)[:40]!r}") from None
    if not math.isfinite(found):
        raise FieldError(field, "expected a finite number")
    if integer:
        if found != int(found):
            raise FieldError(field, "expected a whole number")
        found = int(found)
    if not low <= found <= high:
        raise FieldError(field, f"must be between {low:g} and {high:g}")
    return found


def choice(field: str, value: Any, choices: tuple[str, ...] | list[str], default: str | None = None) -> str:
    if _blank(value):
        if default is None:
            raise FieldError(field, "required")
        return default
    if value not in choices:
        raise FieldError(field, f"{str(value)[:40]!r} is not one of {', '.join(choices)}")
    return str(value)


def existing(field: str, value: Any, *, kind: str) -> Path | None:
    """An existing file or directory (`kind`: "file" or "dir"), absolute."""
    found = text(field, value, limit=4096)
    if found is None:
        return None
    path = Path(found).expanduser()
    if not (path.is_file() if kind == "file" else path.is_dir()):
        raise FieldError(field, f"no such {'file' if kind == 'file' else 'directory'}: {found}")
    return path.resolve()


def api_key(field: str, value: Any) -> dict[str, str]:
    """The key as the child's environment (empty: none given). The message never repeats it."""
    if _blank(value):
        return {}
    if not isinstance(value, str) or len(value) > 4096 or _CONTROL.search(value) or value != value.strip():
        raise FieldError(field, "one line of printable characters, no surrounding spaces")
    return {API_KEY_ENV: value}


def benchmark_names() -> list[str]:
    from evalscope.benchmarks import benchmark_names as names

    return sorted(names())


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(name).name or name).strip("-.")[:40] or "model"


def new_run_dir(outputs: Path, model: str) -> Path:
    """A fresh run dir below `outputs`, named `<timestamp>_<model>` (a suffix when taken)."""
    base = f"{time.strftime('%Y%m%d_%H%M%S')}_{_slug(model)}"
    candidate, n = outputs / base, 1
    while candidate.exists():
        n += 1
        candidate = outputs / f"{base}_{n}"
    return candidate


def resolve_resume(field: str, value: Any) -> Path | None:
    """A run dir to continue (or a folder whose newest run dir is taken), as `--use-cache` resolves it."""
    path = existing(field, value, kind="dir")
    if path is None:
        return None
    if _is_run_dir(path):
        return path
    runs = sorted(p for p in path.iterdir() if p.is_dir() and _is_run_dir(p))
    if not runs:
        raise FieldError(field, f"{path} holds no previous run")
    return runs[-1]


def _is_run_dir(path: Path) -> bool:
    return (path / "configs").is_dir() or (path / "predictions").is_dir()


def build_eval(
    form: Mapping[str, Any], outputs: Path, names: Callable[[], list[str]] = benchmark_names
) -> Launch:
    """`evalscope eval` from the evaluation form's fields (model or config file, datasets, options)."""
    config = existing("config", form.get("config"), kind="file")
    if config is not None and config.suffix.lower() not in CONFIG_SUFFIXES:
        raise FieldError("config", f"a YAML or JSON task config ({', '.join(CONFIG_SUFFIXES)})")
    model = model_name("model", form.get("model"), required=config is None)
    eval_type = choice("eval_type", form.get("eval_type"), EVAL_TYPES, default=None if config is None else "")
    api_url = url("api_url", form.get("api_url"), required=eval_type == "service")
    env = api_key("api_key", form.get("api_key"))
    datasets = form.get("datasets") or []
    if isinstance(datasets, str):
        datasets = datasets.split()
    if not datasets and config is None:
        raise FieldError("datasets", "pick at least one benchmark")
    known = set(names())
    for name in datasets:
        if name not in known:
            raise FieldError("datasets", f"{str(name)[:40]!r} is not a registered benchmark")
    limit = number("limit", form.get("limit"), 1, 10**7)
    batch = number("eval_batch_size", form.get("eval_batch_size"), 1, 4096)
    max_tokens = number("max_tokens", form.get("max_tokens"), 1, 1_000_000)
    temperature = number("temperature", form.get("temperature"), 0, 2, integer=False)
    dataset_dir = existing("dataset_dir", form.get("dataset_dir"), kind="dir")
    model_args = text("model_args", form.get("model_args"))
    if model_args is not None and not _MODEL_ARGS.fullmatch(model_args):
        raise FieldError("model_args", "k=v pairs separated by commas, e.g. delay=0.5,device_map=cpu")
    resume = resolve_resume("use_cache", form.get("use_cache"))

    args = ["eval"]
    if config is not None:
        args.append(f"--config={config}")
    if model is not None:
        args.append(f"--model={model}")
    if eval_type:
        args.append(f"--eval-type={eval_type}")
    if api_url is not None:
        args.append(f"--api-url={api_url}")
    if model_args is not None:
        args.append(f"--model-args={model_args}")
    if datasets:
        args += ["--datasets", *datasets]  # registry names: none starts with '-'
    if limit is not None:
        args.append(f"--limit={limit}")
    if batch is not None:
        args.append(f"--eval-batch-size={batch}")
    generation = {
        k: v for k, v in (("max_tokens", max_tokens), ("temperature", temperature)) if v is not None
    }
    if generation:
        args.append(f"--generation-config={json.dumps(generation)}")
    if dataset_dir is not None:
        args.append(f"--dataset-dir={dataset_dir}")
    if resume is not None:
        run_dir = resume
        args.append(f"--use-cache={run_dir}")
    else:
        run_dir = new_run_dir(outputs, model or (config.stem if config else "run"))
        args += [f"--work-dir={run_dir}", "--no-timestamp"]
    shown = model or (config.name if config else "")
    label = f"eval {shown} · {', '.join(datasets) or 'config'}"
    return Launch("eval", (sys.executable, "-m", "evalscope.cli.main", *args), run_dir, label, env)


def resume_eval(launch: Launch) -> Launch:
    """The same evaluation continued in its run dir (`--use-cache RUN_DIR`): samples done are kept."""
    if launch.kind != "eval":
        raise FieldError("run", "only evaluations can be resumed")
    keep = [
        a for a in launch.argv if not a.startswith(("--work-dir=", "--use-cache=")) and a != "--no-timestamp"
    ]
    argv = (*keep, f"--use-cache={launch.run_dir}")
    return attrs.evolve(launch, argv=argv, label=launch.label.replace("eval ", "resume ", 1))


def build_perf(form: Mapping[str, Any], outputs: Path) -> Launch:
    """`evalscope perf` from the perf form's fields (url, model, parallel, number, dataset or prompt)."""
    api_url = url("perf_url", form.get("perf_url"))
    model = model_name("perf_model", form.get("perf_model"))
    env = api_key("perf_api_key", form.get("perf_api_key"))
    parallel = number("parallel", form.get("parallel"), 1, 4096, required=True)
    count = number("number", form.get("number"), 1, 10**7, required=True)
    max_tokens = number("perf_max_tokens", form.get("perf_max_tokens"), 1, 1_000_000)
    prompt = text("prompt", form.get("prompt"), limit=20_000)
    if prompt is not None and prompt.startswith("@"):
        raise FieldError("prompt", "a prompt, not @file (pick a dataset and its path instead)")
    dataset = choice("dataset", form.get("dataset"), PERF_DATASETS, default="openqa")
    dataset_path = existing("dataset_path", form.get("dataset_path"), kind="file")
    name = f"perf-{_slug(str(model))}"  # perf writes below outputs/<timestamp>/<name>
    args = [
        "perf",
        f"--api-url={api_url}",
        f"--model={model}",
        f"--parallel={parallel}",
        f"--number={count}",
        f"--outputs-dir={outputs}",
        f"--name={name}",
    ]
    if max_tokens is not None:
        args.append(f"--max-tokens={max_tokens}")
    if prompt is not None:
        args.append(f"--prompt={prompt}")
    else:
        args.append(f"--dataset={dataset}")
        if dataset_path is not None:
            args.append(f"--dataset-path={dataset_path}")
    label = f"perf {model} @ {api_url} · parallel {parallel} · {count} requests"
    return Launch("perf", (sys.executable, "-m", "evalscope.cli.main", *args), outputs, label, env)
