"""`datasets` entries that are YAML benchmark files (or folders of them), read like task configs.

`--datasets my_bench.yaml` (or a folder holding `*.yaml` / `*.yml`) loads each file with
`load_document` (size limit, UTF-8, no aliases, errors naming file and line), builds its spec
(`evalscope.benchmarks.yaml_spec`) and registers it under the YAML's `name`, which is the dataset
name in reports and in `dataset_args`. Any other entry is a registered benchmark name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evalscope.config import ConfigError, load_document

YAML_SUFFIXES = (".yaml", ".yml")


def is_benchmark_file(entry: str) -> bool:
    """A YAML file name, or a folder that exists (of YAML benchmarks)."""
    return entry.lower().endswith(YAML_SUFFIXES) or ("/" in entry and Path(entry).is_dir())


def load_benchmark_file(path: str | Path) -> Any:
    """The BenchmarkSpec of one YAML benchmark file."""
    from evalscope.benchmarks.yaml_spec import spec_from_yaml

    data = load_document(path, empty_hint="; expected a benchmark (name:, data:, prompt:, scoring:)")
    return spec_from_yaml(data, path)


def _files(entry: str) -> list[Path]:
    path = Path(entry)
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in YAML_SUFFIXES)
        if not found:
            raise ConfigError(f"datasets: {entry}: the folder holds no .yaml or .yml benchmark files")
        return found
    if not path.exists():
        raise ConfigError(f"datasets: {entry}: no such benchmark file")
    return [path]


def resolve_benchmarks(datasets: list[str]) -> dict[str, Any]:
    """Dataset name -> spec for every `datasets` entry; YAML benchmarks are registered by their name.

    Unknown names and bad YAML fail here, before any data is read or any model called."""
    from evalscope.benchmarks import get_benchmark
    from evalscope.core.registry import benchmarks

    specs: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for entry in datasets:
        if not is_benchmark_file(entry):
            specs[entry] = get_benchmark(entry)
            continue
        for path in _files(entry):
            spec = load_benchmark_file(path)
            if spec.name in origin or spec.name in specs:
                raise ConfigError(
                    f"{path}: name: {spec.name!r} is also the name of {origin.get(spec.name, 'a listed benchmark')}"
                )
            if spec.name in benchmarks and not _registered_from_yaml(spec.name):
                raise ConfigError(
                    f"{path}: name: {spec.name!r} is a registered benchmark; give the YAML benchmark another name"
                )
            benchmarks.register(spec.name, spec)
            _FROM_YAML.add(spec.name)
            specs[spec.name], origin[spec.name] = spec, str(path)
    return specs


#: names this process registered from YAML files (a later run may load the same file again)
_FROM_YAML: set[str] = set()


def _registered_from_yaml(name: str) -> bool:
    return name in _FROM_YAML


__all__ = ["is_benchmark_file", "load_benchmark_file", "resolve_benchmarks"]
