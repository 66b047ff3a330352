"""evalscope core: the pure domain (attrs types), its ports, the registry and the engine.

Importing this package is cheap: it pulls in attrs only. Adapters (transformers, OpenAI, SQLite,
hubs) live in other packages and arrive through entry points.
"""

from evalscope.core.types import (
    ChatMessage,
    GenerationConfig,
    ModelOutput,
    ModelRequest,
    RequestKind,
    Sample,
    SampleResult,
    TokenLogprob,
    Usage,
)

__all__ = [
    "ChatMessage",
    "GenerationConfig",
    "ModelOutput",
    "ModelRequest",
    "RequestKind",
    "Sample",
    "SampleResult",
    "TokenLogprob",
    "Usage",
]
