"""Following a run started elsewhere: re-read its store as it grows and fold what it holds into the
live view's state (samples done per status, running score, samples/s between reads)."""

from __future__ import annotations

from evalscope.core.ports import ResultFilter
from evalscope.core.types import SampleStatus
from evalscope.viz.data.catalog import Catalog
from evalscope.viz.data.samples import primary_score
from evalscope.viz.tui.state import DatasetProgress, EvalLiveState


class StoreFollower:
    """Reads one run through the store port; `poll(state)` updates the state in place.

    A dataset's total is what the run planned for it (`RunInfo.planned`, recorded at the run's start
    once its data is loaded), so progress and ETA show while it runs; a finished dataset's report
    has the last word. Runs recorded before plans were stored show counts and rates until their
    reports appear.
    """

    def __init__(self, catalog: Catalog, key: str) -> None:
        self.catalog = catalog
        self.key = key
        #: per dataset: (clock, done) of the first read that saw it growing
        self._first: dict[str, tuple[float, int]] = {}

    def poll(self, state: EvalLiveState) -> None:
        entry = next((e for e in self.catalog.runs(refresh=True) if e.key == self.key), None)
        if entry is None:
            state.message = (
                f"run {self.key} is gone from {', '.join(s.location for s in self.catalog.sources)}"
            )
            return
        info = entry.info
        state.run_id, state.run_dir, state.model_id = info.run_id, info.work_dir, info.model_id
        now = state.clock()
        if state.started is None:
            state.started = now
        reports = {r.dataset_name: r for r in self.catalog.reports(self.key)}
        for name in dict.fromkeys([*self.catalog.datasets(self.key), *info.planned]):
            ds = state.dataset(name)
            self._read(ds, reports.get(name), now)
            if reports.get(name) is None and info.planned.get(name):
                ds.total = info.planned[name]
        if info.status != "running" and state.finished is None:  # "interrupted": its writer is gone, no clock ticks
            state.finished, state.ok = now, info.status == "finished"
            if info.status in ("stopped", "interrupted"):
                state.verdict, state.message = info.status, f"resume with --use-cache {info.work_dir}"

    def _read(self, ds: DatasetProgress, report: object, now: float) -> None:
        counts = {status: 0 for status in SampleStatus}
        score_sum, score_n = 0.0, 0
        for result in self.catalog.results(self.key, ResultFilter(dataset=ds.name)):
            counts[result.status] += 1
            if result.status is SampleStatus.SCORED:
                score = primary_score(result)
                if score is not None:
                    score_sum, score_n = score_sum + score, score_n + 1
        ds.done = sum(counts.values())
        ds.scored, ds.errors = counts[SampleStatus.SCORED], counts[SampleStatus.ERROR]
        ds.invalid, ds.skipped = counts[SampleStatus.INVALID], counts[SampleStatus.SKIPPED]
        ds.score_sum, ds.score_n = score_sum, score_n
        if ds.done or report is not None:
            # the rate counts the samples this follower saw arrive, since it first saw the dataset
            first = self._first.setdefault(ds.name, (now, ds.done))
            ds.started, ds.fresh = first[0], ds.done - first[1]
        if report is not None:
            stats = getattr(report, "stats", None)
            ds.total = getattr(stats, "total", None) or ds.done
            ds.cached = getattr(stats, "cached", 0)
            ds.output_type = getattr(report, "output_type", "") or ds.output_type
            if ds.finished is None:
                ds.finished = now
                seconds = getattr(stats, "seconds", 0.0) or 0.0
                if (
                    ds.fresh == 0 and seconds > 0
                ):  # finished before this follower saw it: the report's own rate
                    ds.started, ds.fresh = now - seconds, getattr(stats, "inferred", 0)
                    ds.tokens = getattr(stats, "output_tokens", 0)
