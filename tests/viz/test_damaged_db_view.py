"""A run whose evalscope.db is damaged (truncated, emptied) is shown from its JSONL records, and the
catalog, the TUI and the site say so, naming the file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from evalscope.run import run_task
from evalscope.viz.data.catalog import Catalog
from evalscope.viz.tui.browse import BrowseApp
from tests.viz.conftest import REPLY_A, mock_task
from tests.viz.test_tui_pilot import SIZE, screen_text


def finished_run(outputs: Path, dataset_dir: Path) -> Path:
    run_dir = outputs / "run"
    run_task(mock_task(run_dir, "mock-a", REPLY_A, ["arc"], limit=4, dataset_dir=str(dataset_dir)), print_table=False)
    return run_dir


def damage(db: Path, how: str) -> None:
    if how == "empty":
        db.write_bytes(b"")
    else:
        with open(db, "r+b") as fh:
            fh.truncate(db.stat().st_size // 2)


@pytest.mark.parametrize("how", ["truncated", "empty"])
def test_catalog_warns_and_reads_the_jsonl_records(tmp_path, dataset_dir, how):
    run_dir = finished_run(tmp_path / "outputs", dataset_dir)
    intact = Catalog(tmp_path / "outputs")
    (entry,) = intact.runs()
    expected = intact.results(entry.key)
    assert intact.warning(entry.key) is None
    intact.close()

    db = run_dir / "evalscope.db"
    damage(db, how)
    catalog = Catalog(tmp_path / "outputs")
    (entry,) = catalog.runs()
    assert catalog.count(entry.key) == len(expected) == 8
    assert [r.prediction for r in catalog.results(entry.key)] == [r.prediction for r in expected]
    warning = catalog.warning(entry.key)
    assert warning is not None and warning.startswith(f"{db} is damaged (")
    assert warning.endswith("showing the JSONL records")


def test_tui_shows_the_warning_over_the_run(tmp_path, dataset_dir):
    run_dir = finished_run(tmp_path / "outputs", dataset_dir)
    damage(run_dir / "evalscope.db", "truncated")

    async def scenario() -> tuple[bool, str]:
        app = BrowseApp(Catalog(tmp_path / "outputs"))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            banner = app.screen.query_one("#run-warning")
            return banner.display, screen_text(app)

    shown, text = asyncio.run(scenario())
    assert shown
    assert "evalscope.db is damaged" in text and "showing the JSONL records" in text


def test_tui_shows_no_warning_for_an_intact_run(tmp_path, dataset_dir):
    finished_run(tmp_path / "outputs", dataset_dir)

    async def scenario() -> tuple[bool, str]:
        app = BrowseApp(Catalog(tmp_path / "outputs"))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            return app.screen.query_one("#run-warning").display, screen_text(app)

    shown, text = asyncio.run(scenario())
    assert not shown and "damaged" not in text


def test_site_model_page_shows_the_warning(tmp_path, dataset_dir):
    from evalscope.viz.site.context import SiteContext
    from evalscope.viz.site.i18n import Translator
    from evalscope.viz.site.pages import model

    run_dir = finished_run(tmp_path / "outputs", dataset_dir)
    damage(run_dir / "evalscope.db", "empty")
    ctx = SiteContext(Catalog(tmp_path / "outputs"), Translator("en"))
    (entry,) = ctx.catalog.runs()
    banners = [p for p in model.body(ctx, entry.key) if getattr(p, "id", None) == "run-warning"]
    assert len(banners) == 1
    assert f"{run_dir / 'evalscope.db'} is damaged (an empty file): showing the JSONL records" in banners[0].children
