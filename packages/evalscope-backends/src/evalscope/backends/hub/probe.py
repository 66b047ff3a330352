"""A fast "can we reach the hub?" check, so an offline machine fails in seconds, not minutes.

The hub libraries retry with back-off for 15-25 s before giving up when DNS fails; one TCP connect
with a short deadline (DNS included) answers the same question at once. Results are remembered for a
minute so loading many subsets probes once.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.parse
import urllib.request

PROBE_TIMEOUT_S = 3.0
_TTL_S = 60.0
_cache: dict[tuple[str, int], tuple[float, str | None]] = {}
_lock = threading.Lock()


def _target(endpoint: str) -> tuple[str, int]:
    """Host and port a request to `endpoint` connects to first (the proxy, if one applies)."""
    parsed = urllib.parse.urlsplit(endpoint)
    host = parsed.hostname or endpoint
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parsed.scheme or "https")
    if proxy and not urllib.request.proxy_bypass(host):
        p = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        return p.hostname or proxy, p.port or (443 if p.scheme == "https" else 80)
    return host, parsed.port or (80 if parsed.scheme == "http" else 443)


def _connect(host: str, port: int, timeout: float, out: list[str | None]) -> None:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            out.append(None)
    except OSError as exc:
        out.append(f"{host}:{port}: {exc.strerror or exc}")


def unreachable_reason(endpoint: str, timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """None when a TCP connection to `endpoint` opens within `timeout` seconds, else why not."""
    host, port = _target(endpoint)
    now = time.monotonic()
    with _lock:
        hit = _cache.get((host, port))
    if hit is not None and now - hit[0] < _TTL_S:
        return hit[1]
    out: list[str | None] = []
    # DNS lookups ignore socket timeouts; a daemon thread bounds the whole attempt
    worker = threading.Thread(target=_connect, args=(host, port, timeout, out), daemon=True)
    worker.start()
    worker.join(timeout + 0.5)
    reason = out[0] if out else f"{host}:{port}: no answer within {timeout:g} s"
    with _lock:
        _cache[(host, port)] = (time.monotonic(), reason)
    return reason


def forget() -> None:
    """Drop remembered probe results."""
    with _lock:
        _cache.clear()
