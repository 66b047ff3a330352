"""Collection schemas: a tree of weighted benchmarks, (de)serialised strictly with cattrs.

    {"name": "reasoning", "weight": 1, "datasets": [
        {"name": "math", "weight": 2, "datasets": [{"name": "gsm8k", "tags": ["en"]}]},
        {"name": "arc", "args": {"subset_list": ["ARC-Easy"]}}]}

An entry with a `datasets` key is a sub-collection, any other entry is a benchmark.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Union, cast

import attrs
import cattrs

from evalscope.core.serialization import ConfigError, strict_converter


def _positive(_inst: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if not value > 0:
        raise ValueError(f"{attribute.name} must be positive, not {value!r}")


@attrs.define(kw_only=True)
class DatasetInfo:
    """One benchmark in a collection; `args` are its dataset_args (subset_list, local_path, ...)."""

    name: str
    weight: float = attrs.field(default=1.0, validator=_positive)
    task_type: str = ""
    tags: list[str] = attrs.field(factory=list)
    args: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class CollectionSchema:
    """A named, weighted group of benchmarks and sub-collections."""

    name: str
    weight: float = attrs.field(default=1.0, validator=_positive)
    datasets: list[Union[DatasetInfo, CollectionSchema]] = attrs.field(factory=list)  # noqa: UP007

    # -- (de)serialisation ------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Any, *, where: str = "schema") -> CollectionSchema:
        """Structure user input; unknown keys and wrong types raise ConfigError naming their path."""
        try:
            schema = _converter.structure(data, cls)
        except (cattrs.errors.ClassValidationError, cattrs.errors.BaseValidationError) as exc:
            raise ConfigError("; ".join(cattrs.transform_error(exc, path=where, format_exception=_format))) from None
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: {exc}") from None
        _validate(schema, where)
        return schema

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = _converter.unstructure(self)
        return data

    @classmethod
    def from_json(cls, path: str | os.PathLike[str]) -> CollectionSchema:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such schema file") from None
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None
        return cls.from_dict(data, where=str(path))

    def dump_json(self, path: str | os.PathLike[str]) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")

    # -- tree -------------------------------------------------------------------------------------
    def flatten(self) -> list[FlatDataset]:
        """Leaves in order; each weight is normalised among its siblings and multiplied down the tree."""
        out: list[FlatDataset] = []
        _flatten(self, 1.0, (self.name,), out)
        return out


@attrs.frozen
class FlatDataset:
    """A leaf of the tree: its info, its share of the whole collection and its path of group names."""

    info: DatasetInfo
    weight: float
    hierarchy: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.info.name


def _flatten(node: CollectionSchema, weight: float, path: tuple[str, ...], out: list[FlatDataset]) -> None:
    total = sum(child.weight for child in node.datasets)
    for child in node.datasets:
        share = weight * child.weight / total
        if isinstance(child, CollectionSchema):
            _flatten(child, share, (*path, child.name), out)
        else:
            out.append(FlatDataset(info=child, weight=share, hierarchy=path))


def _validate(node: CollectionSchema, where: str) -> None:
    """No empty groups; every leaf's `args` are valid dataset_args."""
    from evalscope.core.dataset_args import DatasetArgs
    from evalscope.core.serialization import structure_strict

    if not node.datasets:
        raise ConfigError(f"{where}: collection {node.name!r} has no datasets")
    for i, child in enumerate(node.datasets):
        if isinstance(child, CollectionSchema):
            _validate(child, f"{where}.datasets[{i}]")
        else:
            structure_strict(child.args, DatasetArgs, where=f"{where}.datasets[{i}].args")


def _format(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, (ValueError, TypeError)) and str(exc):
        return str(exc)
    return cattrs.v.format_exception(exc, type_)


_converter = strict_converter.copy()


def _structure_entry(value: Any, _type: Any) -> DatasetInfo | CollectionSchema:
    if not isinstance(value, dict):
        raise TypeError(f"expected a mapping (a dataset or a sub-collection), got {type(value).__name__}")
    return cast(  # structure() of a union of classes is typed as their common base, object
        "DatasetInfo | CollectionSchema",
        _converter.structure(value, CollectionSchema if "datasets" in value else DatasetInfo),
    )


_converter.register_structure_hook(Union[DatasetInfo, CollectionSchema], _structure_entry)  # noqa: UP007
_converter.register_unstructure_hook(
    Union[DatasetInfo, CollectionSchema], lambda v: _converter.unstructure(v, type(v))  # noqa: UP007
)
