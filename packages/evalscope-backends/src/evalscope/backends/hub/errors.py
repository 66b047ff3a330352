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


def unreachable(ref: DatasetRef, hub: str, reason: str, hint: str = "") -> DatasetUnavailableError:
    """No local copy and no hub: say where we looked and how to point evalscope at local files."""
    tried = local_candidates(ref)
    if tried and ref.local_roots:
        local = f"no local copy found under the dataset dir (tried: {', '.join(tried)})"
    elif tried:
        local = f"no local copy found (no dataset dir set; expected files: {', '.join(tried)})"
    else:
        local = "no local copy found (this benchmark declares no local file patterns)"
    what = f"{ref.benchmark!r} (subset {ref.subset!r}, split {ref.split!r}"
    what += f", hub id {ref.dataset_id!r})" if ref.dataset_id else ")"
    message = (
        f"Dataset {what} is unavailable: {local}, and the {hub} hub could not be reached ({reason}). "
        f"Set --dataset-dir / EVALSCOPE_DATASET_DIR to a directory holding the files, "
        f"or dataset_args.{ref.benchmark}.local_path."
    )
    if hint:
        message += f" {hint}"
    return DatasetUnavailableError(message)


def failed(ref: DatasetRef, hub: str, error: BaseException) -> DatasetUnavailableError:
    """The hub answered but loading failed (unknown id, subset or split, broken files)."""
    return DatasetUnavailableError(
        f"Could not load dataset {ref.dataset_id!r} (subset {ref.hub_subset or ref.subset!r}, "
        f"split {ref.split!r}) of benchmark {ref.benchmark!r} from the {hub} hub: "
        f"{type(error).__name__}: {error}"
    )


__all__ = ["DatasetUnavailableError", "unreachable", "failed", "local_candidates"]
