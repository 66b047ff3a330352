"""Commands, live displays and site pages come from the one `Registry` (core/registry.py): what is
registered there (in process, or through the entry-point groups) is what `evalscope` lists and runs,
`--tui` opens and the site shows."""

from __future__ import annotations

import click
from click.testing import CliRunner

from evalscope.cli.main import main
from evalscope.core.registry import commands, displays, site_pages


@click.command("hello")
@click.option("--name", default="world")
def hello_command(name: str) -> None:
    """Say hello (a plug-in command registered by this test)."""
    click.echo(f"hello {name}")


def test_a_registered_command_is_listed_and_runs_and_plugins_are_listed(monkeypatch):
    monkeypatch.setitem(commands._items, "hello", hello_command)
    listing = CliRunner().invoke(main, ["--help"])
    assert listing.exit_code == 0
    names = {line.split()[0] for line in listing.output.split("Commands:")[1].splitlines() if line.strip()}
    assert {"hello", "eval", "benchmarks", "perf", "serve", "app", "arena"} <= names  # entry points of the packages too
    ran = CliRunner().invoke(main, ["hello", "--name", "registry"])
    assert (ran.exit_code, ran.output) == (0, "hello registry\n")
    unknown = CliRunner().invoke(main, ["helo"])
    assert unknown.exit_code == 2 and "Did you mean: hello" in unknown.output


def test_eval_tui_opens_the_display_the_registry_holds(monkeypatch, tmp_path):
    shown = []
    monkeypatch.setitem(displays._items, "tui", lambda cfg: shown.append(cfg))
    result = CliRunner().invoke(
        main, ["eval", "--tui", "--model", "mock", "--eval-type", "mock", "--datasets", "gsm8k", "--limit", "1",
               "--work-dir", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert [cfg.datasets for cfg in shown] == [["gsm8k"]]


def test_site_pages_come_from_the_registry(monkeypatch):
    from evalscope.viz.site import pages

    extra = pages.Page(path="/extra", title="Extra", layout=lambda ctx, keys: None, order=500)
    monkeypatch.setitem(site_pages._items, "extra", extra)
    paths = [p.path for p in pages.all_pages()]
    assert "/extra" in paths and "/arena" in paths and paths.index("/extra") > paths.index("/model")
