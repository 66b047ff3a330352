"""The load tester's HTTP/1.1 client: :mod:`evalscope.core.net.http` (shared with the OpenAI provider)."""

from evalscope.core.net.http import (  # noqa: F401 - re-exported for perf's modules and tests
    MAX_DELAY_SAMPLES,
    BodyCallback,
    ConnectError,
    ConnectTimeout,
    HttpError,
    Pool,
    ReadTimeout,
    Response,
    Target,
    build_request,
    clock_offset,
)
