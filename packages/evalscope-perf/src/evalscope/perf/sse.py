"""Server-Sent-Events parsing: :mod:`evalscope.core.net.sse` (shared with the OpenAI provider)."""

from evalscope.core.net.sse import SSEParser, data_of, payloads  # noqa: F401 - re-exported
