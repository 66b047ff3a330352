"""Classify OpenAI SDK errors for core's retry policy, and keep API keys out of messages."""

from __future__ import annotations

import email.utils
import time
from typing import Any

import openai

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


def is_retryable_error(error: BaseException) -> bool:
    """Rate limits, timeouts, connection failures and 5xx are transient; other 4xx are not."""
    if isinstance(error, ServiceError):
        return error.retryable
    if isinstance(error, (openai.APITimeoutError, openai.APIConnectionError, TimeoutError, ConnectionError)):
        return True
    status = status_of(error)
    if status is not None:
        return status in _RETRYABLE_STATUSES or status >= 500
    return False


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
    if isinstance(error, openai.APITimeoutError):
        detail = "request timed out"
    prefix = f"{kind} (HTTP {status})" if status is not None else kind
    return ServiceError(
        redact(f"{prefix}: {detail}", api_key),
        status=status,
        retryable=is_retryable_error(error),
        retry_after=retry_after_of(error),
    )
