"""Classify the OpenAI provider's errors (both clients) for core's retry policy; keep API keys out.

Timeouts: a request that got no answer within the client timeout is NOT retried. The server may
still be generating it (a long generation is the usual reason for the silence), so another try
would start the same long generation again, and again. Only a timeout before the request left
(connecting, or waiting for a free connection) is retried. The error names the limit that fired
and the setting that controls it (`timeout` in the TaskConfig, `--timeout`).
"""

from __future__ import annotations

import email.utils
import json
import sys
import time
from typing import Any

#: HTTP statuses worth another try: request timeout, conflict/lock, too early, rate limit, 5xx
_RETRYABLE_STATUSES = {408, 409, 425, 429}


class ServiceError(Exception):
    """An OpenAI-compatible server refused or failed a request.

    Carries what the retry policy needs (`status`, `retryable`, `retry_after`) and a message from
    which the API key has been removed; the SDK exception (which holds the request and its
    headers) is not kept.
    """

    def __init__(
        self, message: str, *, status: int | None, retryable: bool, retry_after: float | None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


def redact(text: str, secret: str | None) -> str:
    """`text` with every occurrence of `secret` (and of its long prefixes) replaced by ***."""
    if not secret:
        return text
    out = text.replace(secret, "***")
    # servers often echo a truncated key ("sk-abc...xyz"); hide any 8+ char prefix we find
    if len(secret) >= 8:
        for size in range(len(secret) - 1, 7, -1):
            if secret[:size] in out:
                out = out.replace(secret[:size], "***")
                break
    return out


def status_of(error: BaseException) -> int | None:
    status = getattr(error, "status_code", None)
    return status if isinstance(status, int) else None


class ServiceTimeout(ServiceError):
    """No answer within the client timeout; `seconds` is the limit that fired."""

    def __init__(self, message: str, *, seconds: float | None, retryable: bool) -> None:
        super().__init__(message, status=None, retryable=retryable, retry_after=None)
        self.seconds = seconds


#: timeouts raised before the request reached the server (safe to retry)
_BEFORE_SENDING = {"ConnectTimeout", "PoolTimeout"}


def timed_out_before_sending(error: BaseException) -> bool:
    """Whether an SDK timeout fired while connecting (the server never saw the request)."""
    cause = error.__cause__ or error.__context__
    return cause is not None and type(cause).__name__ in _BEFORE_SENDING


def is_retryable_error(error: BaseException) -> bool:
    """Rate limits, connection failures and 5xx are transient; other 4xx are not; a timeout is
    transient only when it fired before the request was sent (see the module docstring)."""
    if isinstance(error, ServiceError):
        return error.retryable
    openai = sys.modules.get("openai")  # an SDK error exists only once the SDK was imported
    if openai is not None and isinstance(error, openai.APITimeoutError):
        return timed_out_before_sending(error)
    if isinstance(error, TimeoutError):  # asyncio's too: a wait_for around a request in flight
        return False
    if isinstance(error, ConnectionError) or (
        openai is not None and isinstance(error, openai.APIConnectionError)
    ):
        return True
    status = status_of(error)
    return status is not None and retryable_status(status)


def retryable_status(status: int) -> bool:
    """429 and friends, and 5xx except "not implemented" and "HTTP version not supported"."""
    return status in _RETRYABLE_STATUSES or (status >= 500 and status not in (501, 505))


#: the OpenAI SDK's name for each error status, so both transports word an error alike
_STATUS_KINDS = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    409: "ConflictError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
}


def status_kind(status: int) -> str:
    """The SDK's error class name for an HTTP status (``InternalServerError`` for 5xx)."""
    if status >= 500:
        return "InternalServerError"
    return _STATUS_KINDS.get(status, "APIStatusError")


def status_error(status: int, body: bytes, headers: Any, api_key: str | None) -> ServiceError:
    """A key-free ServiceError for an HTTP error answer: the server's own message when it sent one."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error", data)
        message = error.get("message") if isinstance(error, dict) else error
        if message:
            text = str(message)
    return ServiceError(
        redact(f"{status_kind(status)} (HTTP {status}): {text[:2000] or '(no body)'}", api_key),
        status=status,
        retryable=retryable_status(status),
        retry_after=parse_retry_after(headers),
    )


def parse_retry_after(headers: Any) -> float | None:
    """Seconds from `retry-after-ms` or `Retry-After` (delta-seconds or HTTP date); None if absent."""
    if headers is None:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def retry_after_of(error: BaseException) -> float | None:
    if isinstance(error, ServiceError):
        return error.retry_after
    response = getattr(error, "response", None)
    return parse_retry_after(getattr(response, "headers", None))


def to_service_error(error: BaseException, api_key: str | None) -> ServiceError:
    """A key-free ServiceError describing an SDK error."""
    status = status_of(error)
    kind = type(error).__name__
    detail = str(error)
    prefix = f"{kind} (HTTP {status})" if status is not None else kind
    return ServiceError(
        redact(f"{prefix}: {detail}", api_key),
        status=status,
        retryable=is_retryable_error(error),
        retry_after=retry_after_of(error),
    )


def timeout_error(
    error: BaseException | None,
    *,
    url: str,
    seconds: float | None,
    connect_seconds: float | None,
    source: str,
    streaming: bool,
    before_sending: bool | None = None,
) -> ServiceTimeout:
    """A `ServiceTimeout` that says which limit fired, where it is set, and whether it is retried.

    `source` says where `seconds` came from: ``"setting"`` (`timeout` of the run),
    ``"request"`` (the request's generation_config.timeout) or ``"default"`` (none was set: the
    OpenAI client's default). `before_sending` (else read from an SDK error's cause): the limit
    fired while connecting.
    """
    if before_sending is None:
        before_sending = error is not None and timed_out_before_sending(error)
    if before_sending:
        limit = f"{connect_seconds:g} s" if connect_seconds else "the connect timeout"
        return ServiceTimeout(
            f"could not connect to {url} within {limit} (connect timeout); the request was not sent, "
            "so it is retried",
            seconds=connect_seconds,
            retryable=True,
        )
    limit = f"{seconds:g} s" if seconds is not None else "the client timeout"
    where = {
        "setting": "the `timeout` setting",
        "request": "generation_config.timeout of the request",
        "default": "the OpenAI client's default, as no `timeout` was set",
    }.get(source, source)
    silence = "sent nothing more in the stream for" if streaming else "did not answer within"
    return ServiceTimeout(
        f"timeout: {url} {silence} {limit} ({where}). The server may still be generating, so the "
        "request is not retried (a retry would start the same generation again). Raise the limit "
        "with `timeout: SECONDS` in the TaskConfig (--timeout SECONDS on the command line), or "
        "lower max_tokens.",
        seconds=seconds,
        retryable=False,
    )
