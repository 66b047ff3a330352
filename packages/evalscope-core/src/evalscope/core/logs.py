"""Run logging: a file in the run's logs/ folder, with secrets masked in every record.

`attach_run_log` returns a `RunLog` and `detach` undoes everything it did (the file handler, the
secret filters on the root logger's handlers, the `evalscope` logger's level), so runs called again
and again from a training loop leave logging as they found it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import attrs


class SecretMask(logging.Filter):
    """Replaces each secret string by *** in log messages and their arguments."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 4 and s != "EMPTY"]

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            for secret in self.secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, ()
        return True


@attrs.define
class RunLog:
    """What `attach_run_log` changed, so `detach` can undo exactly that."""

    handler: logging.Handler
    mask: SecretMask
    masked: list[logging.Handler]
    previous_level: int


def attach_run_log(log_file: Path, secrets: list[str], debug: bool = False) -> RunLog:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    mask = SecretMask(secrets)
    handler.addFilter(mask)
    logger = logging.getLogger("evalscope")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    masked = [h for h in logging.getLogger().handlers if mask.secrets]
    for h in masked:
        h.addFilter(mask)
    return RunLog(handler=handler, mask=mask, masked=masked, previous_level=previous)


def detach(run_log: RunLog) -> None:
    logger = logging.getLogger("evalscope")
    logger.removeHandler(run_log.handler)
    logger.setLevel(run_log.previous_level)
    for h in run_log.masked:
        h.removeFilter(run_log.mask)
    run_log.handler.close()
