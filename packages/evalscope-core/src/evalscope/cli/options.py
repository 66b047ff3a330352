"""Click helpers shared by evalscope commands."""

from __future__ import annotations

from typing import Any

import click


class SpaceSeparatedOption(click.Option):
    """A repeatable option that also takes several values after one flag: `--datasets a b c`.

    Values are consumed until the next token that starts with `-`; `--datasets a --datasets b`
    works too.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["multiple"] = True
        super().__init__(*args, **kwargs)

    def add_to_parser(self, parser: Any, ctx: click.Context) -> None:
        super().add_to_parser(parser, ctx)
        for name in self.opts:
            option = parser._long_opt.get(name) or parser._short_opt.get(name)
            if option is None:
                continue
            original = option.process

            def process(value: Any, state: Any, _original: Any = original) -> None:
                _original(value, state)
                while state.rargs and not _looks_like_option(state.rargs[0]):
                    _original(state.rargs.pop(0), state)

            option.process = process


def _looks_like_option(token: str) -> bool:
    if not token.startswith("-") or token == "-":
        return False
    try:
        float(token)  # a negative number is a value
        return False
    except ValueError:
        return True


class LimitType(click.ParamType):
    """`--limit`: a count (5, or 5.0) or a fraction in (0, 1) -- the rule of `config.normalise_limit`."""

    name = "N|FRACTION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from evalscope.config import LIMIT_HELP, ConfigError, normalise_limit

        number = value
        if isinstance(value, str):
            for parse in (int, float):
                try:
                    number = parse(value)
                    break
                except ValueError:
                    continue
            else:
                self.fail(f"{value!r} is not a number. {LIMIT_HELP}", param, ctx)
        try:
            return normalise_limit(number, where="--limit")
        except ConfigError as exc:
            self.fail(str(exc).removeprefix("--limit: "), param, ctx)
