"""A third-party suite's `eval_config`, given inline or as a file (read like task configs)."""

from __future__ import annotations

from typing import Any

from evalscope.config import ConfigError, load_document


def load_eval_config(value: dict[str, Any] | str | None) -> dict[str, Any]:
    """`eval_config` as a mapping: given inline, or a YAML/JSON file (read with the same checks
    as task configs: size limit, UTF-8, no YAML aliases)."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    data = load_document(value)
    if not isinstance(data, dict):
        raise ConfigError(
            f"{value}: eval_config must be a mapping of the suite's settings, got {type(data).__name__}"
        )
    return data


__all__ = ["load_eval_config"]
