"""ThirdParty (`eval_backend: ThirdParty`): EvalScope's third-party tools as tasks, in the main env.

- `longbench_write`: LongBench-Write (LongWriter): length adherence S_l and quality S_q (six
  dimensions judged through an OpenAI-compatible URL).
- `toolbench_static`: ToolBench-static: Plan.EM, Act.EM, HalluRate, Avg.F1, Rouge-L per domain.

The eval_config names the tool (`tool: longbench_write`) beside the tool's own settings as EvalScope's
`run_task(task_cfg)` of that tool takes them. Answers come through our model adapters (the task's
model, or the tool's own OpenAI-compatible base URL), so they need nothing beyond the main env.
"""
