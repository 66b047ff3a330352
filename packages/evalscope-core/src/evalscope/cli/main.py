"""Root `evalscope` command.

Sub-commands come from the `commands` registry (`evalscope.core.registry`): built-in ones by
module path, plug-in ones through the ``evalscope.commands`` entry-point group, and listing their
names imports none of them. Nothing heavy is imported until a command runs, so
``evalscope --help`` stays fast. Every sub-command runs under one error policy
(`evalscope.cli.errors.user_errors`): one line for a user's mistake, a traceback only with --debug.
"""

from __future__ import annotations

import click

from evalscope.core.registry import commands

BUILTIN_COMMANDS: dict[str, str] = {
    "eval": "evalscope.cli.eval_cmd:eval_command",
    "benchmarks": "evalscope.cli.benchmarks_cmd:benchmarks_command",
    "collection": "evalscope.cli.collection_cmd:collection_command",
    "compare": "evalscope.cli.compare_cmd:compare_command",
}

for _name, _target in BUILTIN_COMMANDS.items():
    commands.register_lazy(_name, _target)

#: commands that come with another package of this project: a light install (scripts/install.sh) lacks
#: some, and naming one then says what to install instead of "no such command"
OPTIONAL_COMMANDS: dict[str, str] = {
    "app": "evalscope-viz (pip install 'evalscope[app]')",
    "tui": "evalscope-viz (pip install 'evalscope[app]')",
    "perf": "evalscope-perf (pip install 'evalscope[perf]')",
    "arena": "evalscope-arena (pip install 'evalscope[arena]')",
    "serve": "evalscope-backends (pip install evalscope-backends)",
    "backend": "evalscope-backends (pip install evalscope-backends)",
}


class LazyGroup(click.Group):
    """A click group whose commands are imported only when invoked, and run under the error policy."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["evalscope.args"] = list(args)  # for --debug, wherever it appears
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> object:
        from evalscope.cli.errors import user_errors

        with user_errors(ctx.meta.get("evalscope.args", ())):
            return super().invoke(ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return commands.names()

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return commands.get(cmd_name) if cmd_name in commands else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listing must not import every command: show names with a short static hint.
        hints = {
            "eval": "Run benchmarks against a model.",
            "benchmarks": "List registered benchmarks.",
            "collection": "Sample benchmarks into a mixed dataset.",
            "compare": "Paired significance test of two runs.",
            "serve": "Serve a local model over an OpenAI-compatible HTTP API.",
            "perf": "Load-test an OpenAI-compatible serving endpoint.",
            "app": "Open the report site (runs, predictions, comparisons, perf).",
            "tui": "Terminal dashboard: browse runs or follow a running one.",
            "arena": "Rank models by battles judged by a model (Elo, Bradley-Terry).",
            "backend": "Managed environments of third-party suites (install, list, remove, plan).",
        }
        rows = [(name, hints.get(name, "")) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def resolve_command(self, ctx, args):
        cmd_name = args[0] if args else None
        if cmd_name and cmd_name not in self.list_commands(ctx) and not cmd_name.startswith("-"):
            from evalscope.core.registry import did_you_mean

            if cmd_name in OPTIONAL_COMMANDS:
                raise click.UsageError(
                    f"`evalscope {cmd_name}` comes with {OPTIONAL_COMMANDS[cmd_name]}, which is not installed "
                    "(from a checkout: bash scripts/install_dev.sh installs every package)"
                )

            raise click.UsageError(f"No such command {cmd_name!r}.{did_you_mean(cmd_name, self.list_commands(ctx))}")
        return super().resolve_command(ctx, args)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=None, package_name="evalscope-core", prog_name="evalscope", message="%(prog)s %(version)s")
def main() -> None:
    """evalscope: evaluate language models and benchmark the servers that run them."""


if __name__ == "__main__":  # pragma: no cover
    main()
