"""Optional wandb / swanlab logging (extras). Keys come from the environment only."""

from __future__ import annotations

import math
from typing import Any

from evalscope.perf.args import PerfArgs, args_to_dict


def _flat(summary: dict[str, Any], pct: dict[str, dict[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in summary.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool) and not (isinstance(v, float) and math.isnan(v)):
            out[k] = v
    for metric, row in pct.items():
        for p, v in row.items():
            if not math.isnan(v):
                out[f"{metric} {p}"] = v
    return out


def log_run(args: PerfArgs, label: str, summary: dict[str, Any], pct: dict[str, dict[str, float]]) -> None:
    """Log one run's numbers; WANDB_API_KEY / SWANLAB_API_KEY are read by the libraries themselves."""
    data = _flat(summary, pct)
    config = args_to_dict(args)  # redacted
    name = f"{args.name or args.model}-{label}"
    if args.visualizer == "wandb":
        import wandb

        run = wandb.init(project="evalscope-perf", name=name, config=config, reinit=True)
        run.log(data)
        run.finish()
    elif args.visualizer == "swanlab":
        import swanlab

        run = swanlab.init(project="evalscope-perf", experiment_name=name, config=config)
        swanlab.log(data)
        run.finish() if hasattr(run, "finish") else swanlab.finish()
    else:
        raise ValueError(f"unknown visualizer {args.visualizer!r} (wandb or swanlab)")
