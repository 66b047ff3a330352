"""A light install (scripts/install.sh) has no site, TUI, perf or arena: naming one of their commands says
which package brings it, instead of "No such command"."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from evalscope.cli import main as cli_main
from evalscope.core.registry import Registry


@pytest.fixture
def light_install(monkeypatch):
    """The commands a core-only install registers: the built-in ones, no entry points."""
    registry: Registry = Registry("commands", entry_point_group="evalscope.no_such_group")  # no plug-ins installed
    for name, target in cli_main.BUILTIN_COMMANDS.items():
        registry.register_lazy(name, target)
    monkeypatch.setattr(cli_main, "commands", registry)
    return registry


@pytest.mark.parametrize(("command", "package"), [("app", "evalscope-viz"), ("perf", "evalscope-perf"), ("arena", "evalscope-arena")])
def test_a_command_of_a_package_not_installed_names_the_package(light_install, command, package):
    result = CliRunner().invoke(cli_main.main, [command, "--help"])
    assert result.exit_code == 2
    assert f"`evalscope {command}` comes with {package}" in result.output and "install_dev.sh" in result.output


def test_an_unknown_command_still_suggests(light_install):
    result = CliRunner().invoke(cli_main.main, ["evl"])
    assert result.exit_code == 2 and "No such command 'evl'" in result.output and "eval" in result.output
