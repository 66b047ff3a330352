"""A result database that cannot be read any more (a truncated or overwritten file).

Stores raise `DamagedStoreError` instead of their driver's message, so the CLI prints one line that
names the file, and the site and the TUI can fall back to the run's JSONL records with a warning.
"""

from __future__ import annotations

from evalscope.core.serialization import ConfigError

#: what a run that finds its database damaged should do (the JSONL records hold every sample)
WAY_OUT = (
    "the run's predictions are also in its JSONL records (predictions/): move it aside "
    "(mv {path} {path}.damaged) and rerun with --use-cache {run}, which rebuilds it from them"
)


class DamagedStoreError(ConfigError):
    """The database at `path` is damaged; `reason` is what its driver said."""

    def __init__(self, path: str, reason: str, run_dir: str | None = None) -> None:
        self.path = path
        self.reason = reason
        way_out = WAY_OUT.format(path=path, run=run_dir or "<its run dir>")
        super().__init__(f"{path} is damaged ({reason}); {way_out}")

    @property
    def short(self) -> str:
        """The damage without the way out (a banner's text)."""
        return f"{self.path} is damaged ({self.reason})"


__all__ = ["DamagedStoreError", "WAY_OUT"]
