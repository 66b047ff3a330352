"""The model page's report links come from the store's read side (`report_location`), not from
globbing `reports/*/<dataset>.json`: in a run dir holding two models' runs side by side, each
model's page links its own report (a model id with `/` has a folder of another name)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from evalscope.run import run_task
from evalscope.viz.data.catalog import Catalog
from evalscope.viz.site.context import SiteContext
from evalscope.viz.site.i18n import Translator
from evalscope.viz.site.pages.model import report_links
from tests.viz.conftest import REPLY_A, mock_task


def links(ctx: SiteContext, key: str) -> list[str]:
    page = report_links(ctx, ctx.catalog.run(key), ctx.catalog.reports(key))
    return [unquote(a.href) for a in page.children] if page is not None else []


def test_each_model_links_its_own_report_in_a_shared_run_dir(tmp_path: Path, dataset_dir: Path):
    outputs = tmp_path / "outputs"
    run_dir = outputs / "shared"
    for model_id in ("alpha", "org/zeta"):
        run_task(
            mock_task(run_dir, model_id, REPLY_A, ["gsm8k"], limit=2, dataset_dir=str(dataset_dir)),
            print_table=False,
        )
    ctx = SiteContext(Catalog(outputs), Translator("en"))
    keys = {entry.info.model_id: entry.key for entry in ctx.catalog.runs()}
    assert set(keys) == {"alpha", "org/zeta"}
    assert links(ctx, keys["alpha"]) == ["/files/shared/reports/alpha/gsm8k.json"]
    assert links(ctx, keys["org/zeta"]) == ["/files/shared/reports/org_zeta/gsm8k.json"]
