"""Run logging: a file in the run's logs/ folder, with secrets masked in every record."""

from __future__ import annotations

import logging
from pathlib import Path


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


def attach_run_log(log_file: Path, secrets: list[str], debug: bool = False) -> logging.Handler:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretMask(secrets))
    root = logging.getLogger("evalscope")
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    for h in logging.getLogger().handlers:
        h.addFilter(SecretMask(secrets))
    return handler


def detach(handler: logging.Handler) -> None:
    logging.getLogger("evalscope").removeHandler(handler)
    handler.close()
