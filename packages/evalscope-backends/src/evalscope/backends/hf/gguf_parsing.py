"""One parse of a GGUF file per load through transformers.

transformers' GGUF path parses the file with ``gguf.GGUFReader`` once for the config, once for
the tokenizer and once for the weights (about 4 s each for SmolLM2's 49k-token vocabulary on a
2-core machine), and builds ``gguf.get_tensor_name_map(arch, blocks)`` anew for each of the
model's ~400 modules (about 6 s in all). Inside :func:`shared_gguf_parsing` both are memoised for
the duration of the load: the reader is a read-only view of the file and the name map a pure
function of its arguments, so the weights and tokenizer are the same
(tests/backends/test_gguf_parsing.py compares them). Where the installed ``gguf`` lacks either
name, nothing is patched and the load is merely slower.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

#: the names transformers imports from `gguf` at call time (`from gguf import GGUFReader`)
_PATCHED = ("GGUFReader", "get_tensor_name_map")
#: one patched load at a time: the patch is on the `gguf` module, seen by every thread
_lock = threading.Lock()


@contextlib.contextmanager
def shared_gguf_parsing() -> Iterator[None]:
    """Within the block, each GGUF file is parsed once and each tensor-name map built once."""
    try:
        import gguf
    except ImportError:
        yield
        return
    originals: dict[str, Any] = {name: getattr(gguf, name, None) for name in _PATCHED}
    if any(value is None for value in originals.values()):
        yield
        return
    readers: dict[tuple[Any, ...], Any] = {}
    name_maps: dict[tuple[Any, ...], Any] = {}

    def reader(path: Any, *args: Any, **kwargs: Any) -> Any:
        key = (os.fspath(path), args, tuple(sorted(kwargs.items())))
        if key not in readers:
            readers[key] = originals["GGUFReader"](path, *args, **kwargs)
        return readers[key]

    def tensor_name_map(arch: Any, n_blocks: int) -> Any:
        key = (arch, n_blocks)
        if key not in name_maps:
            name_maps[key] = originals["get_tensor_name_map"](arch, n_blocks)
        return name_maps[key]

    with _lock:
        for name, replacement in zip(_PATCHED, (reader, tensor_name_map), strict=True):
            setattr(gguf, name, replacement)
        try:
            yield
        finally:
            for name, value in originals.items():
                setattr(gguf, name, value)
            readers.clear()
            name_maps.clear()


__all__ = ["shared_gguf_parsing"]
