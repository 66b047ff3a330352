"""Agents: a model and tools in a loop (`loop.run_agent`), with in-process and sandboxed tools.

A benchmark opts in with `BenchmarkSpec.agent` (the sample's `Agent`, or None to answer it in one
call); the engine runs the loop in place of the single call, and the steps land in the output's
`trajectory` (docs/agents.md).
"""

from evalscope.core.agent.loop import BUDGET_DEFAULTS, Agent, AgentSettings, budget_exhausted, run_agent
from evalscope.core.agent.sandbox_tools import SandboxSettings, sandbox_tools
from evalscope.core.agent.tools import Tool, Toolbox, ToolError, ToolOutput, check_arguments

__all__ = [
    "BUDGET_DEFAULTS",
    "Agent",
    "AgentSettings",
    "SandboxSettings",
    "Tool",
    "ToolError",
    "ToolOutput",
    "Toolbox",
    "budget_exhausted",
    "check_arguments",
    "run_agent",
    "sandbox_tools",
]
