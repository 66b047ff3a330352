"""Re-export: the prompting-format call parser lives in `evalscope.core.tools.text_calls` (backends
read local models' answers with it too)."""

from __future__ import annotations

from evalscope.core.tools.text_calls import CallTextError, parse_call_text

__all__ = ["CallTextError", "parse_call_text"]
