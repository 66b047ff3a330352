"""The command line's one policy for errors: a user's mistake ends in one line, never a traceback.

`LazyGroup.invoke` (cli/main.py) runs every sub-command -- built-in or plug-in -- inside
`user_errors`. Known user errors (bad config, unknown names, missing or malformed datasets, an
unreachable endpoint) become `click.ClickException`: `Error: <message>`, exit code 1. Any other
exception is shown the same way, plus a hint; with `--debug` anywhere on the command line (or
`EVALSCOPE_DEBUG=1`) it propagates with its full traceback instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import click

DEBUG_FLAG = "--debug"
DEBUG_ENV = "EVALSCOPE_DEBUG"
#: longest message printed; longer ones are cut in the middle (the ends say what and where)
MAX_CHARS = 2000


def debug_requested(args: Sequence[str]) -> bool:
    return DEBUG_FLAG in args or os.environ.get(DEBUG_ENV, "").lower() in {"1", "true", "yes"}


def _user_error_types() -> tuple[type[BaseException], ...]:
    from evalscope.core.datasets import DatasetFormatError, DatasetUnavailableError
    from evalscope.core.preflight import EndpointUnreachableError
    from evalscope.core.registry import UnknownNameError
    from evalscope.core.serialization import ConfigError
    from evalscope.core.suites import SuiteUnavailableError

    return (ConfigError, UnknownNameError, DatasetUnavailableError, DatasetFormatError, EndpointUnreachableError,
            SuiteUnavailableError)


def one_line(exc: BaseException, *, known: bool) -> str:
    """The message as one line. Unknown error types keep their class name (a bare `'answer'` from
    a KeyError says nothing) and get a pointer to --debug."""
    text = " ".join(str(exc).split())
    if not known and (type(exc).__module__ == "builtins" or not text):
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    if len(text) > MAX_CHARS:
        text = f"{text[: MAX_CHARS // 2]} ... {text[-MAX_CHARS // 2 :]}"
    if not known:
        text += f" (rerun with {DEBUG_FLAG} for the traceback)"
    return text


@contextmanager
def user_errors(args: Sequence[str]) -> Iterator[None]:
    """Turn exceptions into one-line click errors unless `--debug` is among `args`."""
    try:
        yield
    except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
        raise
    except Exception as exc:
        if debug_requested(args):
            raise
        known = isinstance(exc, _user_error_types())
        raise click.ClickException(one_line(exc, known=known)) from None
