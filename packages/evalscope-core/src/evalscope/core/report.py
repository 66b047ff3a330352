"""Reports: metric -> category -> subset, with micro and macro averages and standard errors.

Only SCORED samples count in a score; errored, judged-invalid and skipped samples are counted per
subset beside it (`SampleCounts`), never scored 0 in silence. Subset score = mean of its samples. A category's `score` is the micro average (weighted by sample
count) and `macro_score` the plain mean of its subsets. A metric's `score` is the micro average over
every sample and `macro_score` the mean of its categories' macro scores, as EvalScope reports them.
"""

from __future__ import annotations

import math
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

import attrs

from evalscope.core.cpu import cpu_ms_per_request
from evalscope.core.intervals import Interval, score_interval
from evalscope.core.judge_quality import JudgeQuality, of_details
from evalscope.core.metrics import get_metric, mean
from evalscope.core.reasoning import cut_at_max_tokens
from evalscope.core.repeats import Answer, answer_of, repeat_notes, with_repeat_metrics
from evalscope.core.types import AGENT_BUDGET_EXHAUSTED, ModelOutput, SampleResult, SampleStatus


def standard_error(values: Sequence[float]) -> float:
    """Standard error of the mean (sample std / sqrt(n)); 0 for fewer than two values."""
    n = len(values)
    if n < 2:
        return 0.0
    mu = mean(values)
    var = sum((v - mu) ** 2 for v in values) / (n - 1)
    return math.sqrt(var / n)


@attrs.define
class SampleCounts:
    """How the samples of a subset (or a whole report) ended. `num` of a score counts `scored`."""

    scored: int = 0
    errored: int = 0
    invalid: int = 0
    skipped: int = 0
    #: scored samples whose prompt was cut to fit the context (only when truncation was allowed)
    truncated: int = 0
    #: answered samples whose answer stopped at `max_tokens` (finish reason "length"); they are
    #: still scored. One per record: with repeats each answer counts itself; with n > 1 in one
    #: record, the scored (first) completion decides
    cut: int = 0
    #: answered samples whose agent loop ran out of a budget (turns, tokens, seconds) before the
    #: model answered (`Trajectory.status`); they are still scored, on what the agent did
    budget_exhausted: int = 0

    def add(self, other: SampleCounts) -> None:
        for field in attrs.fields(SampleCounts):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    @property
    def not_scored(self) -> int:
        return self.errored + self.invalid + self.skipped

    def describe(self) -> str:
        """'2 errored, 1 skipped' for the non-zero counts beside the score ('' when all scored)."""
        parts = [
            (self.errored, "errored"),
            (self.invalid, "judge invalid"),
            (self.skipped, "skipped"),
            (self.truncated, "truncated"),
            (self.cut, "cut at max_tokens"),
            (self.budget_exhausted, "budget exhausted"),
        ]
        return ", ".join(f"{n} {label}" for n, label in parts if n)


@attrs.define
class TokenUsage:
    """Tokens of a subset's (or a report's) answered samples: totals and means per sample.
    `samples` counts the answers with a model output (errored ones have none); `output_tokens`
    includes the reasoning's, as OpenAI counts them."""

    samples: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    mean_input_tokens: float = 0.0
    mean_output_tokens: float = 0.0
    mean_reasoning_tokens: float = 0.0

    def add_output(self, out: ModelOutput) -> None:
        self.samples += 1
        self.input_tokens += out.usage.input_tokens
        self.output_tokens += out.usage.output_tokens
        self.reasoning_tokens += out.usage.reasoning_tokens
        self._means()

    def add(self, other: TokenUsage) -> None:
        self.samples += other.samples
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.reasoning_tokens += other.reasoning_tokens
        self._means()

    def _means(self) -> None:
        n = max(self.samples, 1)
        self.mean_input_tokens = _round(self.input_tokens / n)
        self.mean_output_tokens = _round(self.output_tokens / n)
        self.mean_reasoning_tokens = _round(self.reasoning_tokens / n)


@attrs.define
class TaskStats:
    """How a dataset's run went: samples, cache hits, model calls, failures, wall time."""

    total: int = 0
    cached: int = 0
    inferred: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    output_tokens: int = 0


@attrs.define
class Timing:
    """What a dataset's run cost the evaluating process (`evalscope.core.cpu`): wall seconds and
    process CPU seconds (user + system, every thread) of the engine's run of the task, and per
    inferred sample (samples answered from the cache are not counted). With no sample inferred the
    rates are None. With an in-process local model the CPU includes the model's own compute; it is
    the client's own cost against a service."""

    inferred: int = 0
    wall_s: float = 0.0
    samples_per_s: float | None = None
    client_cpu_s: float = 0.0
    client_cpu_ms_per_sample: float | None = None

    @classmethod
    def of(cls, inferred: int, wall_s: float, cpu_s: float) -> Timing:
        """Rounded figures of `inferred` samples done in `wall_s` wall and `cpu_s` CPU seconds."""
        rate = round(inferred / wall_s, 2) if inferred > 0 and wall_s > 0 else None
        per = round(cpu_ms_per_request(cpu_s, inferred), 3) if inferred > 0 else None
        return cls(inferred, round(wall_s, 3), rate, round(cpu_s, 3), per)

    def rates(self) -> list[str]:
        """The per-sample figures as text, for the run log, the site and the TUI: ``["1143
        samples/s", "client CPU 0.85 ms/sample"]``; empty when nothing was inferred."""
        out = []
        if self.samples_per_s is not None:
            out.append(f"{_three_figures(self.samples_per_s)} samples/s")
        if self.client_cpu_ms_per_sample is not None:
            out.append(f"client CPU {self.client_cpu_ms_per_sample:.2f} ms/sample")
        return out


def _three_figures(value: float) -> str:
    """Three significant figures at most, never an exponent: 1143, 57.3, 0.42."""
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


@attrs.define
class SubsetReport:
    name: str
    score: float
    num: int
    stderr: float = 0.0
    counts: SampleCounts = attrs.field(factory=SampleCounts)
    #: tokens of the subset's answered samples (totals and means)
    usage: TokenUsage = attrs.field(factory=TokenUsage)
    #: 95% interval of the score and how it was computed (wilson | bootstrap | clustered;
    #: evalscope.core.intervals); None when no sample was scored or the metric is the benchmark's own aggregate
    ci_low: float | None = None
    ci_high: float | None = None
    ci_method: str | None = None
    #: with repeats, the standard deviation (n - 1) of the k per-repeat scores of a `mean_` metric
    repeat_std: float | None = None
    #: how the judge fared on the subset's samples (None when nothing was judged)
    judge_quality: JudgeQuality | None = None


@attrs.define
class CategoryReport:
    name: tuple[str, ...]
    score: float
    macro_score: float
    num: int
    subsets: list[SubsetReport] = attrs.field(factory=list)
    #: 95% interval of the micro score (as SubsetReport's)
    ci_low: float | None = None
    ci_high: float | None = None
    ci_method: str | None = None


@attrs.define
class MetricReport:
    name: str
    score: float
    macro_score: float
    num: int
    stderr: float = 0.0
    categories: list[CategoryReport] = attrs.field(factory=list)
    #: 95% interval of the micro score over every sample (as SubsetReport's)
    ci_low: float | None = None
    ci_high: float | None = None
    higher_is_better: bool = True
    ci_method: str | None = None
    #: with repeats, the standard deviation (n - 1) of the k per-repeat scores of a `mean_` metric
    repeat_std: float | None = None


@attrs.define
class Report:
    name: str
    dataset_name: str
    model_name: str
    score: float
    metrics: list[MetricReport] = attrs.field(factory=list)
    dataset_pretty_name: str = ""
    #: generation, multiple_choice (next-token letter probabilities) or continuation (log-likelihood)
    output_type: str = ""
    counts: SampleCounts = attrs.field(factory=SampleCounts)
    stats: TaskStats = attrs.field(factory=TaskStats)
    #: wall and client CPU per inferred sample (None in reports written before it was recorded); how
    #: long a run took is no part of its results, so two reports of the same results compare equal
    timing: Timing | None = attrs.field(default=None, eq=False)
    #: metric -> judge strategy (llm, llm_recall): the metrics whose values are LLM-judge verdicts
    judge_verdicts: dict[str, str] = attrs.field(factory=dict)
    #: tokens of every answered sample (totals and means); each subset's is on its SubsetReport
    usage: TokenUsage = attrs.field(factory=TokenUsage)
    #: how the requests' tools reached the model (native, native chat template, prompt); "" without tools
    tool_mode: str = ""
    #: answers per item (`repeats`); with k > 1 the metrics are `mean_<metric>`, `pass@k'`, `vote@k`
    repeats: int = 1
    #: why the run's repeats did not apply (log-likelihood output types); "" when they did
    repeats_note: str = ""
    #: how the judge fared over the whole run (judgements asked, invalid, re-asked, both-order
    #: disagreements); each subset's is on its SubsetReport; None when nothing was judged
    judge_quality: JudgeQuality | None = None


#: a benchmark's own aggregation: results -> {metric: value} for metrics that are not plain means
Aggregator = Callable[[Sequence[SampleResult]], dict[str, float]]


def build_report(
    *,
    dataset: str,
    model: str,
    results: Iterable[SampleResult],
    metric_names: Sequence[str] | None = None,
    pretty_name: str = "",
    subset_order: Sequence[str] = (),
    aggregate: Aggregator | None = None,
) -> Report:
    """Aggregate per-sample scores into a Report. Samples missing a metric are left out of it.

    Scores are means of the per-sample values, except the metrics `aggregate` returns: those are
    computed by it over each group of results (subset, category, whole), e.g. IFEval's
    instruction-level accuracy (followed / total instructions) or an F1 over samples.
    """
    tally = ScoreTally(keep_scored=aggregate is not None)
    for result in results:
        tally.add(result)
    return tally.report(
        dataset=dataset, model=model, metric_names=metric_names, pretty_name=pretty_name,
        subset_order=subset_order, aggregate=aggregate,
    )


GroupKey = tuple[tuple[str, ...], str]  # (category, subset)
_EMPTY = ModelOutput()
_TRUNCATED = ModelOutput(prompt_truncated=True)


#: the `Sample.metadata` key naming the cluster an item shares with others (a passage, a story...)
CLUSTER_KEY = "cluster"


class ScoreTally:
    """What a report needs of each result, kept compactly as a run streams: per (category, subset)
    how the samples ended, and each metric's per-sample values as doubles (8 bytes a sample), so a
    long run's memory hardly grows; the values are what the intervals (bootstrap, clustered) need.
    Samples naming a cluster (`metadata["cluster"]`) add a cluster number beside each value (8
    bytes more, only in subsets where one does); with `cluster_items` (repeats: several answers per
    item) the answers of one item form a cluster where the sample names none, so intervals are over
    items. Only a benchmark with its own aggregation (`keep_scored`) keeps its scored results whole."""

    def __init__(self, *, keep_scored: bool = False, cluster_items: bool = False, repeats: int = 1) -> None:
        self.cluster_items = cluster_items
        #: answers per item; with k > 1 each scored answer's values and prediction are kept per item
        #: (`evalscope.core.repeats`) for mean ± std, pass@k and vote@k
        self.repeats = repeats
        self.answers: dict[GroupKey, dict[str, list[Answer]]] = defaultdict(dict)
        self.counts: dict[GroupKey, SampleCounts] = defaultdict(SampleCounts)
        self.usage: dict[GroupKey, TokenUsage] = defaultdict(TokenUsage)
        #: judgements per (category, subset), from each judged sample's `details["judge"]`
        self.judge: dict[GroupKey, JudgeQuality] = {}
        #: metric -> category -> subset -> values, in the order first seen
        self.values: dict[str, dict[tuple[str, ...], dict[str, array[float]]]] = {}
        #: (metric, category, subset) -> cluster number of each value (>= 0 named, < 0 an item alone)
        self.clusters: dict[tuple[str, tuple[str, ...], str], array[int]] = {}
        self._cluster_numbers: dict[str, int] = {}
        self._alone = 0
        self.scored: list[SampleResult] | None = [] if keep_scored else None

    def _cluster_of(self, r: SampleResult) -> int | None:
        label = r.sample.metadata.get(CLUSTER_KEY) if r.sample is not None else None
        if label is None and self.cluster_items:
            key = r.key
            label = f"\0item\0{key.subset}\0{key.sample_id}"
        if label is None:
            return None
        return self._cluster_numbers.setdefault(str(label), len(self._cluster_numbers))

    def _single(self) -> int:
        self._alone -= 1
        return self._alone

    def add(self, r: SampleResult) -> None:
        category = r.category or ("default",)
        counts = self.counts[(category, r.subset)]
        quality = of_details(r.details)
        if quality is not None:
            self.judge.setdefault((category, r.subset), JudgeQuality()).add(quality)
        if r.status is SampleStatus.ERROR:
            counts.errored += 1
        elif r.status is SampleStatus.INVALID:
            counts.invalid += 1
        elif r.status is SampleStatus.SKIPPED:
            counts.skipped += 1
        if r.status is not SampleStatus.ERROR and r.output.error is None:
            counts.cut += int(cut_at_max_tokens(r.output))
            trajectory = r.output.trajectory
            counts.budget_exhausted += int(trajectory is not None and trajectory.status == AGENT_BUDGET_EXHAUSTED)
            self.usage[(category, r.subset)].add_output(r.output)
        if r.status is not SampleStatus.SCORED:
            return
        counts.scored += 1
        counts.truncated += int(r.output.prompt_truncated)
        if self.scored is not None:  # without the prompt and the raw output: memory does not grow with the text
            self.scored.append(attrs.evolve(r, sample=None, output=_TRUNCATED if r.output.prompt_truncated else _EMPTY))
        if self.repeats > 1:
            self.answers[(category, r.subset)].setdefault(r.key.sample_id, []).append(answer_of(r))
        cluster = self._cluster_of(r)
        for name, value in r.scores.items():
            if name.startswith("_"):  # helper values for an aggregator, not metrics
                continue
            by_subset = self.values.setdefault(name, {}).setdefault(category, {})
            values = by_subset.setdefault(r.subset, array("d"))
            key = (name, category, r.subset)
            numbers = self.clusters.get(key)
            if numbers is None and cluster is not None:  # earlier items of the subset: each alone
                numbers = self.clusters[key] = array("q", (self._single() for _ in values))
            values.append(float(value))
            if numbers is not None:
                numbers.append(self._single() if cluster is None else cluster)

    def _subset_clusters(self, name: str, cat: tuple[str, ...], subset: str) -> list[int] | None:
        numbers = self.clusters.get((name, cat, subset))
        return None if numbers is None else list(numbers)

    def _cluster_list(self, name: str, cat: tuple[str, ...], subset: str, size: int) -> list[int]:
        """The subset's cluster numbers; an item alone each where its samples named none."""
        numbers = self._subset_clusters(name, cat, subset)
        return numbers if numbers is not None else [self._single() for _ in range(size)]

    def report(
        self,
        *,
        dataset: str,
        model: str,
        metric_names: Sequence[str] | None = None,
        pretty_name: str = "",
        subset_order: Sequence[str] = (),
        aggregate: Aggregator | None = None,
    ) -> Report:
        """The report of everything added (see `build_report`)."""
        by_metric: dict[str, dict[tuple[str, ...], dict[str, Sequence[float]]]] = {
            name: {cat: dict(subsets) for cat, subsets in cats.items()} for name, cats in self.values.items()
        }
        seen_metrics = list(by_metric)
        custom: dict[object, dict[str, float]] = {}
        if aggregate is not None:
            results = self.scored or []
            groups: dict[GroupKey, list[SampleResult]] = defaultdict(list)
            for r in results:
                groups[(r.category or ("default",), r.subset)].append(r)
            custom["all"] = aggregate(results)
            for (cat, subset), members in groups.items():
                custom[(cat, subset)] = aggregate(members)
                custom.setdefault(cat, aggregate([r for r in results if (r.category or ("default",)) == cat]))
            for name in custom["all"]:
                if name not in seen_metrics:
                    seen_metrics.append(name)
                    by_metric[name] = defaultdict(dict)
                    for (cat, subset), members in groups.items():
                        by_metric[name][cat][subset] = [0.0] * len(members)

        def score(name: str, key: object, values: Sequence[float]) -> float:
            own = custom.get(key, {})
            return own[name] if name in own else get_metric(name).aggregate(values)

        def interval(name: str, key: object, values: Sequence[float], clusters: list[int] | None) -> Interval | None:  # noqa: E501
            """Intervals of means only: not of a benchmark's own aggregate (IFEval instruction level...)."""
            if name in custom.get(key, {}) or get_metric(name).aggregate is not mean:
                return None
            return score_interval(values, clusters)

        ordered = [m for m in (metric_names or []) if m in by_metric] + [
            m for m in seen_metrics if m not in (metric_names or [])
        ]
        order = {name: i for i, name in enumerate(subset_order)}
        metrics: list[MetricReport] = []
        for name in ordered:
            categories: list[CategoryReport] = []
            all_values: list[float] = []
            all_clusters: list[int] | None = None
            for cat, subsets in by_metric[name].items():
                clustered = any((name, cat, s) in self.clusters for s in subsets)
                subset_reports = [
                    _with_ci(
                        SubsetReport(
                            name=s,
                            score=_round(score(name, (cat, s), v)),
                            num=len(v),
                            stderr=_round(standard_error(v)),
                            counts=self.counts.get((cat, s), SampleCounts()),
                            usage=self.usage.get((cat, s), TokenUsage()),
                            judge_quality=self.judge.get((cat, s)),
                        ),
                        interval(name, (cat, s), v, self._subset_clusters(name, cat, s)),
                    )
                    for s, v in sorted(subsets.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
                ]
                values = [x for v in subsets.values() for x in v]
                clusters = None
                if clustered:  # the category's items by cluster (the OVERALL row's too)
                    clusters = [c for s, v in subsets.items() for c in self._cluster_list(name, cat, s, len(v))]
                if clusters is not None or all_clusters is not None:
                    before = [self._single() for _ in all_values] if all_clusters is None else all_clusters
                    all_clusters = before + (clusters if clusters is not None else [self._single() for _ in values])
                all_values.extend(values)
                categories.append(
                    _with_ci(
                        CategoryReport(
                            name=cat,
                            score=_round(score(name, cat, values)),
                            macro_score=_round(mean([sub.score for sub in subset_reports])),
                            num=len(values),
                            subsets=subset_reports,
                        ),
                        interval(name, cat, values, clusters),
                    )
                )
            metrics.append(
                _with_ci(
                    MetricReport(
                        name=name,
                        score=_round(score(name, "all", all_values)),
                        macro_score=_round(mean([c.macro_score for c in categories])),
                        num=len(all_values),
                        stderr=_round(standard_error(all_values)),
                        categories=categories,
                        higher_is_better=get_metric(name).higher_is_better,
                    ),
                    interval(name, "all", all_values, all_clusters),
                )
            )
        if self.repeats > 1 and metrics:
            metrics = with_repeat_metrics(self, metrics, metric_names, subset_order)
        counts = dict(self.counts)
        metrics.extend(_unscored_metrics(counts, metrics, metric_names, self.usage, self.judge))
        total = SampleCounts()
        for c in counts.values():
            total.add(c)
        usage = TokenUsage()
        for u in self.usage.values():
            usage.add(u)
        return Report(
            name=f"{model}_{dataset}",
            dataset_name=dataset,
            model_name=model,
            score=metrics[0].score if metrics else 0.0,
            metrics=metrics,
            dataset_pretty_name=pretty_name,
            counts=total,
            usage=usage,
            judge_quality=_summed(self.judge.values()),
        )


def _summed(qualities: Iterable[JudgeQuality]) -> JudgeQuality | None:
    """The judge quality of several subsets (None when none was judged)."""
    total: JudgeQuality | None = None
    for quality in qualities:
        total = total or JudgeQuality()
        total.add(quality)
    return total


def _unscored_metrics(
    counts: dict[tuple[tuple[str, ...], str], SampleCounts],
    metrics: list[MetricReport],
    names: Sequence[str] | None,
    usage: dict[GroupKey, TokenUsage] | None = None,
    judge: dict[GroupKey, JudgeQuality] | None = None,
) -> list[MetricReport]:
    """Subsets where no sample could be scored still appear (score 0 over 0 samples, with their
    counts), so a fully failed subset is visible rather than missing."""
    shown = {(cat.name, sub.name) for m in metrics for cat in m.categories for sub in cat.subsets}
    missing = {key: c for key, c in counts.items() if key not in shown and c.not_scored}
    if not missing:
        return []
    if metrics:
        for (cat, subset), c in missing.items():
            for metric in metrics:
                target = next((x for x in metric.categories if x.name == cat), None)
                if target is None:
                    target = CategoryReport(name=cat, score=0.0, macro_score=0.0, num=0)
                    metric.categories.append(target)
                tokens = (usage or {}).get((cat, subset), TokenUsage())
                target.subsets.append(SubsetReport(name=subset, score=0.0, num=0, counts=c, usage=tokens, judge_quality=(judge or {}).get((cat, subset))))
        return []
    name = (list(names or ()) or ["score"])[0]
    categories: dict[tuple[str, ...], CategoryReport] = {}
    for (cat, subset), c in missing.items():
        category = categories.setdefault(cat, CategoryReport(name=cat, score=0.0, macro_score=0.0, num=0))
        tokens = (usage or {}).get((cat, subset), TokenUsage())
        category.subsets.append(SubsetReport(name=subset, score=0.0, num=0, counts=c, usage=tokens, judge_quality=(judge or {}).get((cat, subset))))
    return [MetricReport(name=name, score=0.0, macro_score=0.0, num=0, categories=list(categories.values()))]


def _round(x: float) -> float:
    return round(x, 4)


_Row = TypeVar("_Row", SubsetReport, CategoryReport, MetricReport)


def _with_ci(row: _Row, ci: Interval | None) -> _Row:
    if ci is not None:
        row.ci_low, row.ci_high, row.ci_method = _round(ci.low), _round(ci.high), ci.method
    return row


TABLE_HEADERS = ["Model Name", "Dataset Name", "Metric Name", "Category Name", "Subset Name", "Num", "Score"]
#: the interval column, after Score, where a front-end asks for it (`table_rows(ci=True)`: the TUI)
CI_HEADER = "95% CI"


def ci_cell(row: SubsetReport | CategoryReport | MetricReport) -> str:
    """`[0.0000, 0.4345] (wilson)`: a row's 95% interval and its method; "-" when it has none (no
    scored sample, a benchmark's own aggregate, a report written before intervals)."""
    if row.ci_low is None or row.ci_high is None:
        return "-"
    method = getattr(row, "ci_method", None)
    return f"[{row.ci_low:.4f}, {row.ci_high:.4f}]" + (f" ({method})" if method else "")


NOT_SCORED_HEADER = "Not scored"

OUTPUT_TYPE_NOTES = {
    "generation": "generated text, answer extracted",
    "multiple_choice": "next-token probability of each option letter",
    "continuation": "log-likelihood of each option's text",
}


def _score_cell(score: float, num: int) -> str:
    return f"{score:.4f}" if num else "n/a"


def table_rows(reports: Iterable[Report], *, ci: bool = False) -> list[list[object]]:
    """One row per (metric, category, subset), plus an OVERALL row where a metric has several subsets.

    When any sample was not scored (errored, judged invalid, skipped) or had its prompt truncated,
    each row gets a last column saying how many, so a score is never read without them. With `ci`,
    the row's 95% interval (`ci_cell`) follows Score (EvalScope's columns stay as they are without).
    """
    reports = list(reports)
    rows: list[list[object]] = []
    for rep in reports:
        for metric in rep.metrics:
            subsets = 0
            overall = SampleCounts()  # this metric's own: a metric may miss samples others have
            for cat in metric.categories:
                for sub in cat.subsets:
                    subsets += 1
                    overall.add(sub.counts)
                    rows.append(
                        [rep.model_name, rep.dataset_name, metric.name, "/".join(cat.name), sub.name, sub.num,
                         _score_cell(sub.score, sub.num), *([ci_cell(sub)] if ci else []), sub.counts.describe()]
                    )
            if subsets > 1:
                rows.append([rep.model_name, rep.dataset_name, metric.name, "-", "OVERALL", metric.num,
                             _score_cell(metric.score, metric.num), *([ci_cell(metric)] if ci else []),
                             overall.describe()])
    if not any(row[-1] for row in rows):
        rows = [row[:-1] for row in rows]
    return rows


def table_headers(rows: Sequence[Sequence[object]], *, ci: bool = False) -> list[str]:
    """The headers of `table_rows(..., ci=ci)`: EvalScope's, the interval, and "Not scored" when the rows have it."""
    headers = TABLE_HEADERS + ([CI_HEADER] if ci else [])
    return headers + ([NOT_SCORED_HEADER] if rows and len(rows[0]) > len(headers) else [])


def format_table(reports: Iterable[Report]) -> str:
    """EvalScope's score table as a grid, then one line per dataset saying how answers were obtained."""
    from tabulate import tabulate

    reports = list(reports)
    rows = table_rows(reports)
    table: str = tabulate(rows, headers=table_headers(rows), tablefmt="grid", disable_numparse=True)
    notes = [
        f"{rep.dataset_name}: {rep.output_type} ({OUTPUT_TYPE_NOTES.get(rep.output_type, rep.output_type)})"
        for rep in reports
        if rep.output_type
    ]
    return (
        table
        + ("\nAnswers by " + "; ".join(notes) if notes else "")
        + "".join(f"\n{line}" for rep in reports for line in judge_notes(rep))
        + "".join(f"\n{line}" for rep in reports for line in usage_notes(rep))
        + "".join(f"\n{line}" for rep in reports for line in tool_notes(rep))
        + "".join(f"\n{line}" for rep in reports for line in repeat_notes(rep))
    )


def tool_notes(report: Report) -> list[str]:
    """`bfcl_v4: tools by prompt (function descriptions in the system prompt, ...)` for a report
    whose requests offered tools."""
    if not report.tool_mode:
        return []
    from evalscope.core.tools.prompt_mode import MODE_NOTES

    return [f"{report.dataset_name}: tools by {report.tool_mode} ({MODE_NOTES.get(report.tool_mode, report.tool_mode)})"]


def usage_notes(report: Report) -> list[str]:
    """`gsm8k: 412 output tokens/sample (mean, 120 reasoning), 2060 in all over 5 samples` for a
    report whose answers were generated (none for a report without token counts)."""
    u = report.usage
    if not u.samples or not u.output_tokens:
        return []
    reasoning = f", {u.mean_reasoning_tokens:g} reasoning" if u.reasoning_tokens else ""
    return [
        f"{report.dataset_name}: {u.mean_output_tokens:g} output tokens/sample (mean{reasoning}), "
        f"{u.output_tokens} in all over {u.samples} samples"
    ]


def format_outcome(reports: Iterable[Report], run_dir: object) -> str:
    """What a finished run prints, in every front-end (CLI, suites, `--tui`): the score table when
    there are reports, then `Outputs: <run dir>`."""
    reports = list(reports)
    table = f"{format_table(reports)}\n" if reports else ""
    return f"{table}Outputs: {run_dir}"


#: what a judge strategy did to the metric that holds its verdicts
JUDGE_STRATEGY_NOTES = {
    "llm": "every answer graded by the judge",
    "llm_recall": "answers the rule marked wrong re-checked by the judge",
}


def judge_notes(report: Report) -> list[str]:
    """One line per judge strategy of a report naming the metrics that hold LLM-judge verdicts, e.g.
    "general_qa: `llm_recall` holds LLM-judge verdicts (llm_recall: answers the rule marked wrong ...)"."""
    by_strategy: dict[str, list[str]] = {}
    for metric, strategy in report.judge_verdicts.items():
        by_strategy.setdefault(strategy, []).append(f"`{metric}`")
    lines = [
        f"{report.dataset_name}: {', '.join(names)} {'holds' if len(names) == 1 else 'hold'} LLM-judge verdicts "
        f"({strategy}: {JUDGE_STRATEGY_NOTES.get(strategy, strategy)})"
        for strategy, names in by_strategy.items()
    ]
    return lines + judge_quality_notes(report)


def judge_quality_notes(report: Report) -> list[str]:
    """How often the judge was invalid, over the run and per subset (category), e.g. "mt_bench:
    judge: 4 of 8 judgement(s) invalid (50.0%), 5 re-asked; per subset: writing 1/4, math 3/4"."""
    if report.judge_quality is None or not report.judge_quality.asked:
        return []
    subsets = {
        sub.name: sub.judge_quality
        for metric in report.metrics[:1]
        for cat in metric.categories
        for sub in cat.subsets
        if sub.judge_quality is not None and sub.judge_quality.asked
    }
    line = f"{report.dataset_name}: judge: {report.judge_quality.describe()}"
    if len(subsets) > 1:
        line += "; invalid per subset: " + ", ".join(f"{name} {q.invalid}/{q.asked}" for name, q in subsets.items())
    return [line]
