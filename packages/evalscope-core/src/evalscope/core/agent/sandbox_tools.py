"""Code the model writes, run only in `evalscope.core.sandbox`: the `python_exec` and `bash` tools.

Each call is its own sandbox run (no network, read-only filesystem but a throwaway working
directory, rlimits, a scrubbed environment; see the sandbox's docstring); `bash` runs `/bin/sh -c`
from inside that sandbox, never in the evaluator. With `require_isolation` (the default) a host
that cannot isolate answers every call with an error result naming the setting; the run goes on.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from evalscope.core.agent.tools import Tool, ToolOutput
from evalscope.core.sandbox import SandboxJob, SandboxResult, run_limited
from evalscope.core.types import ToolSpec

PYTHON_EXEC = ToolSpec(
    "python_exec",
    "Run a Python 3 program (standard library only, no network) and get its stdout and stderr.",
    {
        "type": "object",
        "properties": {"code": {"type": "string", "description": "the program"}},
        "required": ["code"],
    },
)
BASH = ToolSpec(
    "bash",
    "Run a shell command (no network, read-only files but the working directory) and get its output.",
    {
        "type": "object",
        "properties": {"command": {"type": "string", "description": "the command"}},
        "required": ["command"],
    },
)


@attrs.frozen
class SandboxSettings:
    """Limits of each tool call's sandbox run."""

    timeout: float = 10.0
    memory_mb: int = 512
    require_isolation: bool = True


def _output(result: SandboxResult) -> ToolOutput:
    parts = [f"exit status: {result.exit_code if result.exit_code is not None else result.status}"]
    if result.stdout:
        parts.append(f"stdout:\n{result.stdout}")
    if result.stderr:
        parts.append(f"stderr:\n{result.stderr}")
    if result.reason and result.status in ("timeout", "error"):
        parts.append(f"sandbox: {result.reason}")
    metadata = {
        "sandbox": {
            "status": result.status,
            "exit_code": result.exit_code,
            "isolation": result.isolation,
            "seconds": round(result.duration_s, 3),
        }
    }
    return ToolOutput("\n".join(parts), error=result.status == "error", metadata=metadata)


def python_exec(settings: SandboxSettings = SandboxSettings()) -> Tool:
    """The `python_exec` tool: the code as a sandboxed program's main.py."""

    def run(code: str) -> ToolOutput:
        job = SandboxJob(
            code=code,
            timeout=settings.timeout,
            memory_mb=settings.memory_mb,
            require_isolation=settings.require_isolation,
        )
        return _output(run_limited(job))

    return Tool(PYTHON_EXEC, run, blocking=True)


def bash(settings: SandboxSettings = SandboxSettings()) -> Tool:
    """The `bash` tool: `/bin/sh -c command`, started by a sandboxed Python program."""

    def run(command: str) -> ToolOutput:
        program = (
            "import subprocess, sys\n"
            f"done = subprocess.run(['/bin/sh', '-c', {json.dumps(command)}], timeout={settings.timeout!r})\n"
            "sys.exit(done.returncode)\n"
        )
        job = SandboxJob(
            code=program,
            timeout=settings.timeout + 1,
            memory_mb=settings.memory_mb,
            require_isolation=settings.require_isolation,
        )
        return _output(run_limited(job))

    return Tool(BASH, run, blocking=True)


def sandbox_tools(
    names: list[str] | tuple[str, ...], settings: SandboxSettings = SandboxSettings()
) -> list[Tool]:
    """The named sandbox tools (`python_exec`, `bash`)."""
    makers: dict[str, Any] = {"python_exec": python_exec, "bash": bash}
    unknown = [n for n in names if n not in makers]
    if unknown:
        raise ValueError(f"unknown sandbox tool(s) {', '.join(unknown)} (known: python_exec, bash)")
    return [makers[n](settings) for n in names]
