"""`evalscope perf` command line. Import-light: heavy modules load inside the command."""

from __future__ import annotations

import json

import click

# Options that take several values: `--parallel 1 2 4` == `--parallel 1 --parallel 2 --parallel 4`.
MULTI_VALUE = ("--parallel", "--number", "-n", "--rate")


def expand_multi(args: list[str]) -> list[str]:
    """Rewrite space- or comma-separated value lists after multi-value options into repeats."""
    out: list[str] = []
    i = 0
    while i < len(args):
        tok = args[i]
        name, eq, inline = tok.partition("=")
        if name in MULTI_VALUE:
            values = [inline] if eq else []
            i += 1
            if not eq:
                while i < len(args) and not args[i].startswith("-"):
                    values.append(args[i])
                    i += 1
            for v in values:
                for part in v.split(","):
                    if part:
                        out += [name, part]
            if not values:
                out.append(name)  # let click report the missing value
            continue
        out.append(tok)
        i += 1
    return out


class MultiValueCommand(click.Command):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, expand_multi(list(args)))


def _kv(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for v in values:
        k, sep, val = v.partition("=") if "=" in v else v.partition(":")
        if not sep:
            raise click.BadParameter(f"expected KEY=VALUE, got {v!r}")
        out[k.strip()] = val.strip()
    return out


def _json_arg(value: str | None) -> dict | None:
    if not value:
        return None
    if value.startswith("@"):
        with open(value[1:], encoding="utf-8") as f:
            return json.load(f)
    return json.loads(value)


def _tools_file(path: str | None) -> list[dict] | None:
    """``--tools FILE``: a JSON list of OpenAI function tools (``{"type": "function", "function": {"name": ...}}``)."""
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            tools = json.load(f)
    except (OSError, ValueError) as exc:
        raise click.BadParameter(f"{path}: {exc}", param_hint="'--tools'") from exc
    if not isinstance(tools, list) or not tools:
        raise click.BadParameter(f"{path}: expected a non-empty JSON list of function tools", param_hint="'--tools'")
    for k, tool in enumerate(tools):
        fn = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or tool.get("type", "function") != "function":
            raise click.BadParameter(
                f'{path}: tool {k} is not {{"type": "function", "function": {{"name": ...}}}}', param_hint="'--tools'"
            )
    return tools


def _check_tool_choice(choice: str | None, tools: list[dict] | None) -> None:
    if choice is None:
        return
    if not tools:
        raise click.BadParameter("needs --tools FILE", param_hint="'--tool-choice'")
    names = [t["function"]["name"] for t in tools]
    if choice not in ("auto", "none", "required") and choice not in names:
        raise click.BadParameter(
            f"{choice!r} is neither auto, none, required nor a tool in --tools ({', '.join(names)})",
            param_hint="'--tool-choice'",
        )


def _at_least(least: float, *, above: bool = False):
    """Option callback: every value ≥ ``least`` (> when ``above``), else a one-line usage error."""

    def check(ctx: click.Context, param: click.Parameter, value):
        for v in value if isinstance(value, tuple) else (value,):
            if v is not None and (v <= least if above else v < least):
                raise click.BadParameter(f"must be {'above' if above else 'at least'} {least:g} (got {v:g})")
        return value

    return check


def _display(name: str):
    """A live display from the `displays` registry (entry points `evalscope.displays`; --tui: evalscope-viz)."""
    from evalscope.core.registry import displays

    if name not in displays:
        raise click.ClickException(f"--tui: no live display {name!r} installed (pip install evalscope-viz)")
    return displays.get(name)


@click.command(cls=MultiValueCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--model", required=True, help="Model name sent in requests (for --api local: the model to serve).")
@click.option("--api", default="openai", show_default=True,
              help="openai (chat completions) | completions | embeddings | local (start `evalscope serve`).")
@click.option("--api-url", "--url", "api_url", default=None, help="Endpoint URL or base URL (…/v1 is completed).")
@click.option("--api-key", default=None, help="Bearer key (or env EVALSCOPE_API_KEY / OPENAI_API_KEY). Never written to disk.")
@click.option("--headers", multiple=True, help="Extra header KEY=VALUE (repeatable).")
@click.option("--query-template", default=None, help="JSON body template or @file.json; {prompt} {messages} {model} placeholders.")
@click.option("--parallel", type=int, multiple=True, callback=_at_least(1), help="Concurrency (closed loop); several values = sweep.")
@click.option("--number", "-n", type=int, multiple=True, callback=_at_least(1), help="Requests per run; one value or one per run.")
@click.option("--rate", type=float, multiple=True, callback=_at_least(0, above=True), help="Open-loop request rate (req/s); several values = sweep.")
@click.option("--arrival", type=click.Choice(["poisson", "constant"]), default="poisson", show_default=True)
@click.option("--max-concurrency", type=int, default=None, callback=_at_least(1), help="Cap on requests in flight under --rate.")
@click.option("--duration", type=float, default=None, help="Stop issuing new requests after this many seconds.")
@click.option("--warmup-num", type=int, default=0, show_default=True, callback=_at_least(0), help="Requests sent first and excluded.")
@click.option("--sleep-interval", type=float, default=5.0, show_default=True, help="Seconds between sweep runs.")
@click.option("--timeout", "--total-timeout", "timeout", type=float, default=600.0, show_default=True, help="Per-request timeout (s).")
@click.option("--connect-timeout", type=float, default=30.0, show_default=True)
@click.option("--num-workers", type=int, default=0, show_default=True, help="Client processes (0 = automatic).")
@click.option("--stream/--no-stream", default=True, show_default=True)
@click.option("--max-tokens", type=int, default=2048, show_default=True)
@click.option("--min-tokens", type=int, default=None)
@click.option("--temperature", type=float, default=0.0, show_default=True)
@click.option("--top-p", type=float, default=None)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--extra-args", default=None, help="JSON merged into every request body.")
@click.option("--tools", default=None, metavar="FILE",
              help="JSON list of OpenAI function tools sent with every chat request; tool calls are counted.")
@click.option("--tool-choice", default=None, metavar="auto|none|required|NAME",
              help="tool_choice sent with --tools (a tool's name forces that tool).")
@click.option("--dataset", default="openqa", show_default=True,
              help="openqa | longalpaca | line_by_line | custom | random | speed_benchmark | speed_benchmark_long")
@click.option("--dataset-path", default=None)
@click.option("--prompt", default=None, help="Fixed prompt (or @file) instead of a dataset.")
@click.option("--min-prompt-length", type=int, default=0, show_default=True, help="Tokens (random) / filter.")
@click.option("--max-prompt-length", type=int, default=131072, show_default=True, help="Tokens (random) / filter.")
@click.option("--prefix-length", type=int, default=0, show_default=True, help="Shared random prefix tokens (random).")
@click.option("--multi-turn", is_flag=True, help="Send conversations turn by turn with the real replies.")
@click.option("--max-turns", type=int, default=3, show_default=True)
@click.option("--tokenizer-path", default=None, help="The served model's tokenizer (exact lengths, counts without usage).")
@click.option("--slo", default=None, help="Goodput thresholds, e.g. ttft:500,tpot:50,e2e:3000 (ms).")
@click.option("--outputs-dir", default="outputs", show_default=True)
@click.option("--name", default=None, help="Output sub-directory / run name (default: model).")
@click.option("--no-timestamp", is_flag=True)
@click.option("--visualizer", type=click.Choice(["wandb", "swanlab"]), default=None)
@click.option("--port", type=int, default=None, help="--api local: server port (default: a free one).")
@click.option("--uvloop/--no-uvloop", default=True, show_default=True)
@click.option("--tui", "display", flag_value="perf-tui", default=None, help="Live terminal dashboard while it runs (evalscope-viz).")
def perf(display: str | None = None, **kw) -> None:
    """Load-test an OpenAI-compatible serving endpoint.

    Exits with status 1 when no request of a run succeeded (the first errors are printed).
    """
    from evalscope.perf.args import PerfArgs

    kw["headers"] = _kv(kw["headers"])
    kw["query_template"] = _json_arg(kw["query_template"])
    kw["extra_args"] = _json_arg(kw["extra_args"]) or {}
    kw["tools"] = _tools_file(kw["tools"])
    _check_tool_choice(kw["tool_choice"], kw["tools"])
    if kw["tools"] and kw["api"] not in ("openai", "openai_chat", "chat", "local"):
        raise click.BadParameter(f"tools are sent with chat requests only (--api {kw['api']})", param_hint="'--tools'")
    kw["parallel"] = list(kw["parallel"]) or [1]
    kw["number"] = list(kw["number"]) or [100]
    kw["rate"] = list(kw["rate"])
    args = PerfArgs(**kw)
    from evalscope.perf.runner import run_perf

    try:
        done = _display(display)(args) if display else run_perf(args)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    failed = [r for r in done if r.status == "failed"]
    if failed:
        r = failed[0]
        click.echo(f"Error: no request of {r.label} succeeded ({len(r.records)} failed; "
                   f"the first errors are printed above and in {r.out_dir / 'run.json'})", err=True)
        raise SystemExit(1)
