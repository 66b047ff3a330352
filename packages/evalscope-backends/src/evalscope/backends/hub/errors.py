"""The error a hub source raises when it cannot provide a dataset, with a message that says what to do."""

from __future__ import annotations

from evalscope.core.datasets.errors import DatasetUnavailableError
from evalscope.core.ports import DatasetRef


def _expand(pattern: str, ref: DatasetRef) -> str:
    try:
        return pattern.format(subset=ref.subset, split=ref.split)
    except (KeyError, IndexError, ValueError):
        return pattern


def local_candidates(ref: DatasetRef) -> list[str]:
    """The local paths the local source tried (or, without roots, the file names it wanted)."""
    patterns = [_expand(p, ref) for p in ref.local_patterns]
    if not ref.local_roots:
        return patterns
    return [f"{root.rstrip('/')}/{p}" for root in ref.local_roots for p in patterns]


def _where_looked(ref: DatasetRef) -> str:
    tried = local_candidates(ref)
    if tried and ref.local_roots:
        return f"no local copy found under the dataset dir (tried: {', '.join(tried)})"
    if tried:
        return f"no local copy found (no dataset dir set; expected files: {', '.join(tried)})"
    return "no local copy found (this benchmark declares no local file patterns)"


def _what(ref: DatasetRef) -> str:
    what = f"{ref.benchmark!r} (subset {ref.subset!r}, split {ref.split!r}"
    return what + (f", hub id {ref.dataset_id!r})" if ref.dataset_id else ")")


_LOCAL_HINT = "Set --dataset-dir / EVALSCOPE_DATASET_DIR to a directory holding the files, or dataset_args.{}.local_path."


def unreachable(ref: DatasetRef, hub: str, reason: str, hint: str = "") -> DatasetUnavailableError:
    """No local copy and no hub: say where we looked and how to point evalscope at local files."""
    message = (
        f"Dataset {_what(ref)} is unavailable: {_where_looked(ref)}, and the {hub} hub could not be reached ({reason}). "
        + _LOCAL_HINT.format(ref.benchmark)
    )
    if hint:
        message += f" {hint}"
    return DatasetUnavailableError(message)


def offline(ref: DatasetRef, hub: str, switch: str, detail: str = "", hint: str = "") -> DatasetUnavailableError:
    """Offline (`switch`, e.g. `HF_HUB_OFFLINE=1`) and no local copy: the hub is not asked at all."""
    cache = f" nor in the {hub} cache ({detail})" if detail else ""
    message = (
        f"Dataset {_what(ref)} is unavailable offline ({switch}): {_where_looked(ref)}{cache}; "
        f"the {hub} hub is not contacted while offline. " + _LOCAL_HINT.format(ref.benchmark)
    )
    return DatasetUnavailableError(f"{message} {hint}" if hint else message)


def failed(ref: DatasetRef, hub: str, error: BaseException) -> DatasetUnavailableError:
    """The hub answered but loading failed (unknown id, subset or split, broken files)."""
    return DatasetUnavailableError(
        f"Could not load dataset {ref.dataset_id!r} (subset {ref.hub_subset or ref.subset!r}, "
        f"split {ref.split!r}) of benchmark {ref.benchmark!r} from the {hub} hub: "
        f"{type(error).__name__}: {error}"
    )


__all__ = ["DatasetUnavailableError", "unreachable", "offline", "failed", "local_candidates"]
