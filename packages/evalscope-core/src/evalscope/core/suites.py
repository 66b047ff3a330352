"""The port for third-party evaluation suites (OpenCompass, VLMEvalKit, RAGEval, ThirdParty).

A suite adapter receives the run's `TaskConfig` and its `eval_config` (a mapping with the suite's
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

#: the run's settings as suites read them: an `evalscope.config.TaskConfig` (the application layer's
#: type, which core does not import; a suite adapter may)
RunSettings = Any


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

    def model_id(self, task: RunSettings, eval_config: dict[str, Any]) -> str | None:
        """The model's name for the run and its reports when the task names none (`--model`/`model_id`),
        e.g. the eval_config's own model entry; None: the task's default."""
        return None

    @abc.abstractmethod
    def run(self, task: RunSettings, eval_config: dict[str, Any], run_dir: Path, sink: ProgressSink) -> SuiteRun:
        """Run the suite; raise SuiteUnavailableError when it cannot be imported or started."""


SuiteFactory = Callable[[], EvalSuite]
