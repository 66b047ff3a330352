"""Give freed heap memory back to the operating system after work with very large inputs.

Tokenising a prompt of a few megabytes makes millions of small allocations (token strings,
offsets, id lists). Once they are freed glibc keeps the pages in its arenas, so a long-running
process (`evalscope serve`, an evaluation with long-context prompts) stays at its peak: four 7 MB
prompts left a server ~700 MB above its warm level. `malloc_trim(0)` returns those pages (it
takes about a millisecond); it is a no-op where the C library is not glibc, and when
``EVALSCOPE_MALLOC_TRIM=0`` (to measure what it does: ``bench/serve_memory.py --no-trim``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import os
from typing import Any

log = logging.getLogger(__name__)

#: inputs at least this long (characters) are worth a trim once their work is done
TRIM_AFTER_CHARS = 256 * 1024


@functools.cache
def _malloc_trim() -> Any:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows)
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_freed_memory() -> bool:
    """Return free heap pages to the OS; True when the C library could do it."""
    trim = _malloc_trim()
    if trim is None or os.environ.get("EVALSCOPE_MALLOC_TRIM") == "0":
        return False
    trim(0)
    return True
