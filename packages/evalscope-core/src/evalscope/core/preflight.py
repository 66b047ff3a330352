"""Checks run before an evaluation starts work: is the configured endpoint there at all?

A service run against a URL where nothing listens would otherwise send every sample through the
retry policy (5 backoffs each) before failing. One TCP connection up front turns that into one
clear line naming the URL. Only plain reachability is checked (no HTTP request, no key): a proxy
that applies to the URL skips the check, since only the proxy can reach it.
"""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit


class EndpointUnreachableError(ConnectionError):
    """Nothing answers at the configured API URL; the message names it and what happened."""


def check_endpoint(url: str, *, timeout: float = 5.0, what: str = "api_url") -> None:
    """Open (and close) one TCP connection to `url`'s host and port; raise EndpointUnreachableError
    naming the URL when it is refused, the name does not resolve, or nothing answers in `timeout` s."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointUnreachableError(f"{what} {url!r}: expected an http:// or https:// URL")
    if _proxied(url):
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise EndpointUnreachableError(f"{what} {url!r}: the port is not a number in 0..65535") from None
    problem = _connect(parts.hostname, port, timeout)
    if problem:
        raise EndpointUnreachableError(
            f"Cannot reach the API at {url} ({problem}). Is the server running, and is {what} right?"
        )


def _connect(host: str, port: int, timeout: float) -> str | None:
    """None when a connection opens; else what went wrong. Name resolution has no timeout of its
    own, so the attempt runs in a daemon thread that we stop waiting for after `timeout`."""
    result: list[str | None] = [f"no answer within {timeout:g} s"]

    def attempt() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                result[0] = None
        except ConnectionRefusedError:
            result[0] = f"connection refused on port {port}"
        except socket.gaierror as exc:
            result[0] = f"cannot resolve host {host!r}: {exc.strerror or exc}"
        except TimeoutError:
            result[0] = f"no answer within {timeout:g} s"
        except OSError as exc:
            result[0] = exc.strerror or str(exc) or type(exc).__name__

    worker = threading.Thread(target=attempt, daemon=True, name="evalscope-preflight")
    worker.start()
    worker.join(timeout + 1.0)
    return result[0]


def _proxied(url: str) -> bool:
    import urllib.request

    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    if parts.scheme not in proxies:
        return False
    return not urllib.request.proxy_bypass(parts.hostname or "")


__all__ = ["EndpointUnreachableError", "check_endpoint"]
