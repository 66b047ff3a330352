"""`evalscope backend install|list|remove|plan`: the managed environments of third-party suites."""

from __future__ import annotations

import click


def _spec_name(name: str) -> str:
    from evalscope.backends.suites.envs import ENV_SPECS

    if name not in ENV_SPECS:
        from evalscope.core.registry import did_you_mean

        raise click.BadParameter(
            f"no managed env {name!r}.{did_you_mean(name, ENV_SPECS)} Known: {', '.join(ENV_SPECS)}", param_hint="NAME"
        )
    return name


@click.group("backend", context_settings={"help_option_names": ["-h", "--help"]})
def backend() -> None:
    """Managed environments of third-party suites (OpenCompass, RAGEval, VLMEvalKit, CLIP).

    Each lives in its own venv under $EVALSCOPE_BACKEND_HOME (default ~/.cache/evalscope/backends),
    so a suite's pins never move the main environment's packages.
    """


@backend.command("install")
@click.argument("names", nargs=-1, required=True)
@click.option("--force", is_flag=True, help="Recreate the env even when it is ready.")
def install(names: tuple[str, ...], force: bool) -> None:
    """Create the env of each NAME (opencompass, rag, vlmeval, clip); a ready env is kept."""
    from evalscope.backends.suites.envs import EnvInstallError, install_env

    for name in [_spec_name(n) for n in names]:
        try:
            install_env(name, force=force, echo=lambda line: click.echo(line, err=False))
        except EnvInstallError as exc:
            raise click.ClickException(str(exc)) from None


@backend.command("list")
def list_envs() -> None:
    """Every managed env: state, size, install time, location."""
    from tabulate import tabulate

    from evalscope.backends.suites.envs import ENV_SPECS, backend_home, human_size, install_command, status

    rows = []
    for name, spec in ENV_SPECS.items():
        state = status(name)
        manifest = state.manifest
        rows.append([
            name,
            state.state,
            human_size(manifest.size_bytes) if manifest else "",
            f"{manifest.install_seconds:.0f} s" if manifest else "",
            spec.summary if state.state == "ready" else f"{spec.summary}; `{install_command(name)}`",
        ])
    click.echo(f"backend envs under {backend_home()}")
    click.echo(tabulate(rows, headers=["name", "state", "size", "install time", "what"], tablefmt="simple"))


@backend.command("remove")
@click.argument("names", nargs=-1, required=True)
def remove(names: tuple[str, ...]) -> None:
    """Delete the env of each NAME."""
    from evalscope.backends.suites.envs import env_dir, remove_env

    for name in [_spec_name(n) for n in names]:
        removed = remove_env(name)
        click.echo(f"{name}: {'removed ' if removed else 'not installed at '}{env_dir(name)}")


@backend.command("plan")
@click.argument("name")
def plan(name: str) -> None:
    """Could NAME share the main environment? A pip dry run lists the packages it would move."""
    from evalscope.backends.suites.envs import EnvInstallError, get_spec, plan_share

    spec = get_spec(_spec_name(name))
    try:
        result = plan_share(name)
    except EnvInstallError as exc:
        raise click.ClickException(str(exc)) from None
    moved = result.moved_core
    for pkg, (old, new) in sorted(moved.items()):
        click.echo(f"  {pkg}: {old} -> {new}")
    added = len(result.changes) - len(moved)
    if result.can_share:
        click.echo(f"{name}: shares the main environment cleanly ({added} packages to add, none moved)")
    else:
        click.echo(f"{name}: cannot share the main environment: {len(moved)} installed packages would move "
                   f"({added} to add); it runs in its own env ({spec.reason})")
