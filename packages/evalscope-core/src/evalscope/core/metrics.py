"""The metric port: a metric is how one sample is scored, how scores aggregate, and which way is better.

Benchmarks name the metrics their scorer produces (`BenchmarkSpec.metrics`); `dataset_args.<name>.metric_list`
chooses among them and may add any registered metric that can score a sample on its own
(`Metric.score(prediction, reference)`, e.g. `exact_match` or `bleu-4` on any benchmark). Names are
checked against the registry; plug-ins add metrics through the `evalscope.metrics` entry-point group
(the entry point names a `Metric` object).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from evalscope.core.registry import UnknownNameError, did_you_mean, metrics

ACCURACY = "AverageAccuracy"
PASS_AT_1 = "AveragePass@1"


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


@attrs.frozen
class Metric:
    """One metric.

    `score(prediction, reference) -> float` scores a sample by itself (None when only a benchmark's
    own scorer can produce the value, e.g. Pass@k from running code); `aggregate` turns the scores
    of a group of samples into one number (the mean unless said otherwise); `higher_is_better` tells
    comparisons and the report site which way is an improvement.
    """

    name: str
    description: str = ""
    higher_is_better: bool = True
    aggregate: Callable[[Sequence[float]], float] = mean
    score: Callable[[Any, Any], float] | None = None


def _exact_match(prediction: Any, reference: Any) -> float:
    if prediction is None or prediction == "":
        return 0.0
    if isinstance(reference, (list, tuple, set)):
        return float(prediction in reference)
    return float(str(prediction).strip() == str(reference).strip())


def _text_overlap(name: str) -> Callable[[Any, Any], float]:
    def score(prediction: Any, reference: Any) -> float:
        from evalscope.core.text_overlap import text_overlap_scores

        return float(text_overlap_scores(str(prediction or ""), str(reference or ""))[name])

    return score


def _register_builtins() -> None:
    add = metrics.register
    add(ACCURACY, Metric(ACCURACY, "share of samples answered correctly", score=_exact_match))
    add("exact_match", Metric("exact_match", "prediction equals the reference (any of a list)", score=_exact_match))
    add(PASS_AT_1, Metric(PASS_AT_1, "share of problems whose (first) answer is right"))
    for k in (1, 5, 10):
        add(f"Pass@{k}", Metric(f"Pass@{k}", f"unbiased estimate of solving with {k} samples (code run in the sandbox)"))
    add("MC1", Metric("MC1", "TruthfulQA: the single true answer ranks first"))
    add("MC2", Metric("MC2", "TruthfulQA: probability mass on the true answers"))
    for n in (1, 2, 3, 4):
        add(f"bleu-{n}", Metric(f"bleu-{n}", f"BLEU with n-grams up to {n}", score=_text_overlap(f"bleu-{n}")))
    for kind in ("1", "2", "l"):
        for part, word in (("f", "F1"), ("r", "recall"), ("p", "precision")):
            name = f"rouge-{kind}-{part}"
            add(name, Metric(name, f"ROUGE-{kind.upper()} {word}", score=_text_overlap(name)))
    for level in ("prompt", "inst"):
        for mode in ("strict", "loose"):
            name = f"{level}_level_{mode}_acc"
            add(name, Metric(name, f"IFEval {level}-level accuracy, {mode} checking"))
    add("error_acc", Metric("error_acc", "ProcessBench: earliest wrong step found"))
    add("correct_acc", Metric("correct_acc", "ProcessBench: correct solutions recognised"))
    add("simple_f1_score", Metric("simple_f1_score", "ProcessBench: harmonic mean of error_acc and correct_acc"))
    add("mean", Metric("mean", "mean of the per-sample values"))


_register_builtins()


def get_metric(name: str) -> Metric:
    """The registered metric called `name`; a metric a benchmark invents is described as a plain mean."""
    try:
        found = metrics.get(name)
    except UnknownNameError:
        return Metric(name)
    return found if isinstance(found, Metric) else Metric(name)


def check_metric_list(requested: Sequence[str], produced: Sequence[str], *, where: str) -> None:
    """Every requested metric is produced by the benchmark or can score a sample by itself."""
    known = set(metrics.names()) | set(produced)
    for name in requested:
        if name in produced:
            continue
        if name not in known:
            raise ValueError(f"{where}: unknown metric {name!r}.{did_you_mean(name, known)} This benchmark gives: {', '.join(produced)}")
        if get_metric(name).score is None:
            raise ValueError(
                f"{where}: {name!r} cannot score a sample by itself and this benchmark does not produce it "
                f"(it gives: {', '.join(produced)})"
            )
