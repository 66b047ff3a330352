"""The site's parts without a browser: figures built from a report, intervals in the subset table,
which text gets MathJax, and the page registry."""

from __future__ import annotations

import pytest

from evalscope.core.report import CategoryReport, MetricReport, Report, SubsetReport
from evalscope.viz.site import charts
from evalscope.viz.site.components import has_latex


def report(ci: tuple[float, float] | None = None) -> Report:
    subsets = [SubsetReport("easy", 0.75, 4, stderr=0.25), SubsetReport("hard", 0.25, 4, stderr=0.25)]
    metric = MetricReport(
        "AverageAccuracy",
        0.5,
        0.5,
        8,
        stderr=0.19,
        categories=[CategoryReport(("default",), 0.5, 0.5, 8, subsets)],
    )
    if ci is not None:
        metric.ci_low, metric.ci_high = ci
    return Report("m_arc", "arc", "m", 0.5, [metric])


def test_sunburst_is_dataset_category_subset_sized_by_samples():
    fig = charts.sunburst([report()], "t")
    trace = fig.data[0]
    assert list(trace.ids) == ["arc", "arc/default", "arc/default/easy", "arc/default/hard"]
    assert list(trace.parents) == ["", "arc", "arc/default", "arc/default"]
    assert list(trace.values) == [8, 8, 4, 4]
    assert list(trace.marker.colors) == [0.5, 0.5, 0.75, 0.25]


def test_subset_bars_clip_the_interval_to_the_score_range():
    trace = charts.subset_bars(report(), 0, "t").data[0]
    assert list(trace.y) == [0.75, 0.25]
    assert trace.error_y.array[0] == pytest.approx(0.25)  # 0.75 + 0.49 would pass 1
    assert trace.error_y.arrayminus[1] == pytest.approx(0.25)  # 0.25 - 0.49 would pass 0


def test_subset_table_shows_each_rows_interval_and_method_from_the_report():
    from evalscope.viz.site.pages.dataset import scores

    class Ctx:
        from evalscope.viz.site.i18n import Translator

        t = Translator("en")

    rep = report(ci=(0.3, 0.7))
    rep.metrics[0].ci_method = "clustered"
    sub = rep.metrics[0].categories[0].subsets[0]
    sub.ci_low, sub.ci_high, sub.ci_method = 0.4, 0.9, "wilson"
    text = str(scores(rep, Ctx()).to_plotly_json())
    assert "[0.3000, 0.7000] (clustered)" in text and "[0.4000, 0.9000] (wilson)" in text
    # a report written before intervals: "-", never a normal interval made up from the stderr
    assert "(normal)" not in str(scores(report(), Ctx()).to_plotly_json())


def test_dataset_page_shows_the_runs_timing_line_and_nothing_for_a_report_without_one():
    from evalscope.core.report import Timing
    from evalscope.viz.site.i18n import Translator
    from evalscope.viz.site.pages.dataset import scores

    class Ctx:
        t = Translator("en")

    timed = report()
    timed.timing = Timing.of(1319, 1.154, 1.12)  # 1143 samples/s, 0.849 ms of client CPU each
    text = str(scores(timed, Ctx()).to_plotly_json())
    assert "1319 inferred · 1143 samples/s · client CPU 0.85 ms/sample" in text
    cached = report()
    cached.timing = Timing.of(0, 0.02, 0.004)  # every sample from the cache: no rates
    assert "from cache" in str(scores(cached, Ctx()).to_plotly_json())
    older = str(scores(report(), Ctx()).to_plotly_json())  # `timing: null`, written before the block
    assert "inferred" not in older and "from cache" not in older and "ds-timing" not in older


def test_radar_leaves_a_gap_where_a_model_did_not_run_a_dataset():
    fig = charts.radar({"a": {"x": 0.5, "y": 0.6, "z": 0.7}, "b": {"x": 0.4, "z": 0.2}}, "t")
    assert list(fig.data[1].r) == [0.4, None, 0.2, 0.4]


@pytest.mark.parametrize(
    ("text", "math"),
    [
        ("Compute $99^2+99+1$ in your head.", True),
        ("Enter $(r,\\theta)$ where $r > 0$.", True),
        ("She sells eggs for $2 each and muffins for $5.", False),
        ("$$x = 1$$", True),
        ("plain question", False),
    ],
)
def test_latex_detection(text, math):
    assert has_latex(text) is math


def test_page_registry_orders_pages_and_rejects_a_duplicate_path(monkeypatch):
    from evalscope.viz.site import pages

    # the built-in pages, then the arena's (evalscope-arena registers it under evalscope.site_pages)
    paths = ["/model", "/dataset", "/compare", "/perf", "/benchmarks", "/arena"]
    assert [p.path for p in pages.all_pages()] == paths
    monkeypatch.setattr(
        pages, "plugin_pages", lambda: [pages.Page(path="/model", title="x", layout=lambda ctx, keys: None)]
    )
    with pytest.raises(ValueError, match="/model"):
        pages.all_pages()
