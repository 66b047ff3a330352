"""The port for third-party evaluation suites (OpenCompass, VLMEvalKit, RAGEval, ThirdParty).

A suite adapter receives a `SuiteRequest` (the run's settings it reads) and its `eval_config` (a mapping with the suite's
own keys, as EvalScope users write them), runs the suite (in-process or in an environment of its
own across a process boundary) and hands back our records: one `Report` per dataset and, where the
suite has them, per-sample `SampleResult`s. `run_task` then stores them like a native run's, so the
score table, both stores, the report site and the TUI show them alike.

Adapters register by name in the `evalscope.eval_backends` entry-point group (`OpenCompass`,
`VLMEvalKit`, `RAGEval`, `ThirdParty`); core never names them and nothing imports a suite until
that backend is chosen.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from evalscope.core.ports import ProgressSink
from evalscope.core.report import Report  # at run time: cattrs resolves SuiteRun's fields
from evalscope.core.types import SampleResult


@attrs.define
class SuiteRequest:
    """What a suite reads of the run: exactly these settings, converted from the run's `TaskConfig`
    by the application layer (`evalscope.app.requests.suite_request`)."""

    #: the run's benchmark names (OpenCompass takes them when its eval_config names no datasets)
    datasets: list[str] = attrs.field(factory=list)
    #: `--model` and `--model-id` as given (None: not named), and the name reports use
    model: str | None = None
    model_id: str | None = None
    resolved_model_id: str = "model"
    eval_type: str = "checkpoint"
    api_url: str | None = None
    api_key: str | None = attrs.field(default=None, repr=False)
    model_args: dict[str, Any] = attrs.field(factory=dict)
    eval_batch_size: int = 1
    timeout: float | None = None
    retries: int = 5
    seed: int | None = None
    #: a count, a fraction in (0, 1), or None
    limit: int | float | None = None
    #: generation_config.max_tokens when set
    max_tokens: int | None = None
    dataset_dir: str | None = None

    @property
    def named(self) -> bool:
        """Whether the run names its model (`--model` or `--model-id`)."""
        return bool(self.model or self.model_id)

    def worker_settings(self) -> dict[str, Any]:
        """The settings a suite's worker process receives (no secrets)."""
        return {"limit": self.limit, "model": self.model, "model_id": self.model_id, "datasets": list(self.datasets)}




class SuiteUnavailableError(RuntimeError):
    """The suite is not installed or does not import; the message names the install command."""


@attrs.define
class SuiteRun:
    """What one suite run produced: a report per dataset and per-sample results where known."""

    reports: list[Report] = attrs.field(factory=list)
    #: dataset name -> results of its samples (optional: not every suite exposes them)
    results: dict[str, list[SampleResult]] = attrs.field(factory=dict)
    #: files the suite wrote (its own work dir, logs), for the user to look at
    artefacts: list[str] = attrs.field(factory=list)


class EvalSuite(abc.ABC):
    """One third-party evaluation suite behind evalscope's `run_task`."""

    #: the registry name users write as `eval_backend`
    name: str = "suite"
    #: the exact command that installs what this suite needs
    install_command: str = ""

    @abc.abstractmethod
    def check_config(self, eval_config: dict[str, Any], *, where: str) -> None:
        """Raise ConfigError naming the key (or missing file) of a bad `eval_config`, before running."""

    def model_id(self, task: SuiteRequest, eval_config: dict[str, Any]) -> str | None:
        """The model's name for the run and its reports when the task names none (`--model`/`model_id`),
        e.g. the eval_config's own model entry; None: the task's default."""
        return None

    @abc.abstractmethod
    def run(self, task: SuiteRequest, eval_config: dict[str, Any], run_dir: Path, sink: ProgressSink) -> SuiteRun:
        """Run the suite; raise SuiteUnavailableError when it cannot be imported or started."""


SuiteFactory = Callable[[], EvalSuite]
