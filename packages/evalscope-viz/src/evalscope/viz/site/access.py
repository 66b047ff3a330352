"""Who may read the site: an access token for every request when the site is reachable beyond loopback.

The site serves every prompt, answer and file of the outputs directory (evalscope.db included). On a
loopback address only this machine reaches it; bound anywhere else, every request must carry the
token, as Jupyter does: `http://HOST:PORT/?token=...` once, which sets an HttpOnly, SameSite=Strict
cookie; pages, Dash's routes (`/_dash-*`) and files without the cookie or the token get 403.
`token_required` is the one place that decides.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Callable

import flask

TOKEN_PARAM = "token"
#: environment variable that sets the token (`evalscope app --token` wins)
TOKEN_ENV = "EVALSCOPE_APP_TOKEN"
FORBIDDEN = (
    "403 Forbidden: this site needs its access token. Open the URL that `evalscope app` printed "
    "at start-up (it ends in ?token=...).\n"
)


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback addresses (127.0.0.0/8, ::1); any other name or address,
    the wildcard `0.0.0.0`/`::` included, may be reached from other machines."""
    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def token_required(host: str, explicit: str | None = None, *, require: bool = False) -> bool:
    """Whether every request must carry the access token: when one was given (`--token`,
    `$EVALSCOPE_APP_TOKEN`), when asked for (`require`), and whenever the bind is beyond loopback."""
    return bool(explicit) or require or not is_loopback(host)


def resolve_token(host: str, explicit: str | None = None, *, require: bool = False) -> str | None:
    """The token the site will require (`explicit`, else a new random one), or None when it needs none."""
    if not token_required(host, explicit, require=require):
        return None
    return explicit or secrets.token_urlsafe(24)


def cookie_name(token: str) -> str:
    """Per-token cookie name: cookies ignore ports, so two sites on one host must not share one."""
    return "evalscope-app-" + hashlib.sha256(token.encode()).hexdigest()[:12]


def install_token_guard(server: flask.Flask, token: str) -> None:
    """403 for every request without the token (query string) or its cookie; a request that brings
    the token in its query string gets the cookie, so the browser's later requests carry it."""
    name = cookie_name(token)

    def _matches(value: str | None) -> bool:
        return value is not None and hmac.compare_digest(value.encode(), token.encode())

    @server.before_request
    def _check_token() -> flask.Response | None:
        if _matches(flask.request.cookies.get(name)):
            return None
        if _matches(flask.request.args.get(TOKEN_PARAM)):
            flask.g.set_token_cookie = True
            return None
        return flask.Response(FORBIDDEN, status=403, mimetype="text/plain")

    @server.after_request
    def _set_cookie(response: flask.Response) -> flask.Response:
        if flask.g.get("set_token_cookie"):
            response.set_cookie(name, token, httponly=True, samesite="Strict", path="/")
        return response


def request_has_token(token: str) -> bool:
    """Whether the current request carries `token` (its cookie, or the query string)."""
    for value in (flask.request.cookies.get(cookie_name(token)), flask.request.args.get(TOKEN_PARAM)):
        if value is not None and hmac.compare_digest(value.encode(), token.encode()):
            return True
    return False


def same_origin() -> bool:
    """False for a request a browser sent from another origin (`Origin` names another scheme, host or
    port: another page on this machine is the same *site* for cookies, but never the same origin)."""
    origin = flask.request.headers.get("Origin")
    return origin is None or origin == f"{flask.request.scheme}://{flask.request.host}"


def install_run_guard(server: flask.Flask, token: str, protected: Callable[[], bool]) -> None:
    """403 for a request that `protected()` picks (the run page, the callbacks that start or stop
    runs) without the token, on loopback too: another page in the same browser cannot start runs
    (the cookie is SameSite=Strict, and that page does not know the token). The token in the query
    string sets the cookie, as `install_token_guard` does."""
    name = cookie_name(token)

    @server.before_request
    def _check_run_token() -> flask.Response | None:
        if not protected():
            return None
        if not request_has_token(token) or not same_origin():
            return flask.Response(FORBIDDEN, status=403, mimetype="text/plain")
        if flask.request.cookies.get(name) is None:
            flask.g.set_run_cookie = True
        return None

    @server.after_request
    def _set_run_cookie(response: flask.Response) -> flask.Response:
        if flask.g.get("set_run_cookie") and not flask.g.get("set_token_cookie"):
            response.set_cookie(name, token, httponly=True, samesite="Strict", path="/")
        return response
