"""Stand-ins for a provider that sends tools: a ModelAPI answering with `tool_calls` from a script
(the one fake here: no provider sends tools yet), recording every request it was asked."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from evalscope.core.models.mock import MockModelAPI
from evalscope.core.types import Feature, ModelOutput, ModelRequest, ToolCall, Usage

#: the calls to answer for a request's last user message: [(name, arguments)], or a text answer
Script = Callable[[ModelRequest], "list[tuple[str, dict]] | str"]


class ScriptedToolModel(MockModelAPI):
    """Answers each request with the tool calls (or text) `script` gives for it."""

    features = frozenset({Feature.MULTI_TURN, Feature.TOOLS})

    def __init__(self, script: Script) -> None:
        super().__init__("scripted-tools")
        self.script = script
        self.requests: list[ModelRequest] = []

    async def call(self, requests: Sequence[ModelRequest]) -> list[ModelOutput]:
        self.requests.extend(requests)
        outs = []
        for request in requests:
            answer = self.script(request)
            if isinstance(answer, str):
                outs.append(ModelOutput(text=answer, usage=Usage(1, 1), finish_reason="stop"))
                continue
            calls = [
                ToolCall.parse(f"call_{i}", name, json.dumps(args)) for i, (name, args) in enumerate(answer)
            ]
            outs.append(ModelOutput(text="", tool_calls=calls, usage=Usage(1, 1), finish_reason="tool_calls"))
        return outs
