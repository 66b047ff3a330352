"""The ThirdParty backend (`eval_backend: ThirdParty`): `tool` picks LongBench-Write or ToolBench-static.

```yaml
tool: longbench_write          # or toolbench_static
...                            # the tool's own settings, as EvalScope's run_task of that tool takes them
```

Both run in the main environment (no dependency beyond evalscope-backends): answers come through
our model adapters, the length, F1 and ROUGE scoring is ours, the quality judge is any
OpenAI-compatible URL.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalscope.core.ports import ProgressSink
from evalscope.core.suites import EvalSuite, SuiteRun

if TYPE_CHECKING:
    from evalscope.core.suites import SuiteRequest

TOOLS = ("longbench_write", "toolbench_static")


def tool_name(eval_config: dict[str, Any], where: str) -> str:
    """The tool the eval_config names (`LongBench-Write` and `ToolBench-Static` spellings accepted)."""
    from evalscope.core.registry import did_you_mean
    from evalscope.core.serialization import ConfigError

    if not isinstance(eval_config, dict):
        raise ConfigError(f"{where}: expected a mapping of ThirdParty settings, got {type(eval_config).__name__}")
    raw = eval_config.get("tool")
    if raw is None:
        raise ConfigError(f"{where}: tool: required, one of {', '.join(TOOLS)}")
    name = str(raw).strip().lower().replace("-", "_")
    if name not in TOOLS:
        raise ConfigError(f"{where}: tool: unknown ThirdParty tool {raw!r}.{did_you_mean(name, TOOLS)} Tools: {', '.join(TOOLS)}")
    return name


def _module(name: str) -> Any:
    if name == "longbench_write":
        from evalscope.backends.suites.thirdparty import longbench_write

        return longbench_write
    from evalscope.backends.suites.thirdparty import toolbench_static

    return toolbench_static


class ThirdPartySuite(EvalSuite):
    name = "ThirdParty"
    install_command = "pip install evalscope-backends"

    def check_config(self, eval_config: dict[str, Any], *, where: str) -> None:
        name = tool_name(eval_config, where)
        _module(name).parse({**eval_config, "tool": name}, where)

    def model_id(self, task: SuiteRequest, eval_config: dict[str, Any]) -> str | None:
        name = tool_name(eval_config, "eval_config")
        cfg = _module(name).parse({**eval_config, "tool": name}, "eval_config")
        model = cfg.model if name == "longbench_write" else cfg.infer_args.model_name_or_path
        return Path(model.rstrip("/")).name if model else None

    def run(self, task: SuiteRequest, eval_config: dict[str, Any], run_dir: Path, sink: ProgressSink) -> SuiteRun:
        name = tool_name(eval_config, "eval_config")
        module = _module(name)
        cfg = module.parse({**eval_config, "tool": name}, "eval_config")
        model_name = (task.resolved_model_id if (task.model or task.model_id) else self.model_id(task, eval_config)) or "model"
        return module.run(cfg, task, run_dir, sink, model_name)
