"""`evalscope serve` command. Only click is imported at module level; the model and aiohttp load on run."""

from __future__ import annotations

import socket
from typing import Any

import click


def parse_model_args(text: str | None) -> dict[str, Any]:
    """``k=v,k2=v2`` -> dict; values become int, float, bool or None where they read as such."""
    out: dict[str, Any] = {}
    if not text:
        return out
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected key=value, got {item!r}", param_hint="--model-args")
        out[key.strip()] = _coerce(raw.strip())
    return out


def _coerce(raw: str) -> Any:
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return raw


def bind_port(host: str, port: int) -> socket.socket:
    """A listening socket on `host`:`port`, taken before the model loads: a port in use fails in
    a second with one line naming it, not after minutes of loading."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
        return socket.create_server((host, port), family=family, backlog=128)
    except OSError as exc:
        raise click.ClickException(
            f"--port {port}: cannot listen on {host}:{port} ({exc.strerror or exc}); "
            "another server may be using it: stop it or pick another --port"
        ) from None


@click.command("serve")
@click.option(
    "--model", required=True, help="Model alias (e.g. smollm2-135m-instruct), local path or hub id."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to bind.")
@click.option(
    "--batch-size", default=8, show_default=True, type=click.IntRange(1), help="Most requests per model call."
)
@click.option("--model-args", default=None, help="Adapter arguments as k=v,k2=v2 (e.g. dtype=float32).")
@click.option(
    "--served-model-name",
    default=None,
    help="Name reported by /v1/models (default: --model); requests may name it or --model, other names get 404.",
)
@click.option(
    "--api-key",
    envvar="EVALSCOPE_SERVE_API_KEY",
    default=None,
    help="Require `Authorization: Bearer <key>` on /v1 requests (env EVALSCOPE_SERVE_API_KEY).",
)
@click.option(
    "--max-queue",
    default=256,
    show_default=True,
    type=click.IntRange(1),
    help="Most completion requests queued or running; more are answered 503 with Retry-After.",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False),
)
def serve(
    model: str,
    host: str,
    port: int,
    batch_size: int,
    model_args: str | None,
    served_model_name: str | None,
    api_key: str | None,
    max_queue: int,
    log_level: str,
) -> None:
    """Serve a local model over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/completions)."""
    import logging

    sock = bind_port(host, port)  # before anything heavy loads: a busy port fails at once
    port = sock.getsockname()[1]
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from aiohttp import web

    from evalscope.backends.hf.model import HFModelAPI
    from evalscope.backends.serve.app import create_app

    # a prompt that does not fit the context is the client's error (HTTP 400), never cut
    api = HFModelAPI(
        model,
        parse_model_args(model_args),
        batch_size=batch_size,
        truncation="error",
        overflow_hint="Shorten the prompt or lower max_tokens.",
    )
    name = served_model_name or model
    app = create_app(api, model_name=name, aliases=(model,), api_key=api_key, max_queue=max_queue)
    web.run_app(
        app,
        sock=sock,
        print=lambda _: click.echo(f"evalscope serve: {name} on http://{host}:{port}/v1", err=True),
        access_log=None,
        handler_cancellation=True,  # a client that hangs up cancels its handler (and its generation)
    )


if __name__ == "__main__":  # pragma: no cover
    serve()
