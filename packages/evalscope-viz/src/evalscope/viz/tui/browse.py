"""Browse finished runs in the terminal: the score table, then per-sample predictions with keyboard
navigation, an All / Pass / Fail / Errors filter, search and paging."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option, OptionDoesNotExist

from evalscope.core.report import CI_HEADER, NOT_SCORED_HEADER, table_headers, table_rows
from evalscope.viz.data.catalog import Catalog, RunEntry
from evalscope.viz.data.repeats import ItemGroup, item_page, run_repeats
from evalscope.viz.data.samples import FILTERS, SampleView, browser_filter, sample_view
from evalscope.viz.data.timing import timing_line
from evalscope.viz.data.trajectory import trajectory_text
from evalscope.viz.tui.needle import grid_table as needle_grid_table
from evalscope.viz.tui.repeats import ITEM_COLUMNS, item_row, item_text

PAGE_SIZE = 20
#: what a sample's row needs first on a narrow terminal (the subset is in its details as well)
SAMPLE_COLUMNS = ("Id", "Result", "Score", "Extracted", "Gold", "Subset")
#: the score table's columns, Num and Score (and how many were not scored) first
REPORT_COLUMNS = (
    "Dataset Name",
    "Subset Name",
    "Num",
    "Score",
    CI_HEADER,
    NOT_SCORED_HEADER,
    "Metric Name",
    "Category Name",
    "Model Name",
)
NEEDLE_TITLE = "Needle in a haystack: score by depth (rows) and context length (columns)"
#: below this many columns the runs list goes above the tabs and long cells are cut shorter
NARROW = 100


def _short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _tail(text: str, width: int) -> str:
    """`…gebra/24.json`: ids differ at their end."""
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def fill_table(table: DataTable, headers: Sequence[str], rows: list[list[str]]) -> None:
    """Replace a table's columns and rows (row keys: their index). Each column is as wide as its
    widest cell, set here: DataTable measures cells only when idle, and a frame drawn before that
    (as a resize does) keeps cells cut to the header's width."""
    table.clear(columns=True)
    for i, header in enumerate(headers):
        table.add_column(header, width=max([cell_len(header), *(cell_len(row[i]) for row in rows)]))
    for i, row in enumerate(rows):
        table.add_row(*row, key=str(i))


def report_table(reports: list) -> tuple[list[str], list[list[str]]]:
    """The score table's headers and rows in the TUI's column order (`REPORT_COLUMNS`), with each
    row's 95% interval and its method."""
    rows = table_rows(reports, ci=True)
    headers = table_headers(rows, ci=True)
    order = [headers.index(name) for name in REPORT_COLUMNS if name in headers]
    cut = {headers.index("Dataset Name"): 20, headers.index("Subset Name"): 24}
    return [headers[i] for i in order], [[_short(str(row[i]), cut.get(i, 60)) for i in order] for row in rows]


def timing_text(reports: list) -> str:
    """One line per dataset with a timing block: `gsm8k: 1319 inferred · 1143 samples/s · client CPU
    0.85 ms/sample` (`from cache` when nothing was inferred); "" when no report has one."""
    return "\n".join(f"{r.dataset_name}: {line}" for r in reports if (line := timing_line(r)))


def sample_text(view: SampleView) -> str:
    """A sample's details as plain text (prompt, gold, raw output, extracted answer, score, verdict)."""
    parts = [
        f"#{view.sample_id}  subset {view.subset}  status {view.status}  score {'-' if view.score is None else f'{view.score:.4f}'}",
        f"── Prompt\n{view.prompt}",
        f"── Gold\n{view.gold}",
        f"── Raw output\n{view.output}"
        if view.output or not view.option_scores
        else f"── Option scores\n{view.option_scores}",
        f"── Extracted answer\n{view.extracted}",
        "── Scores\n" + (", ".join(f"{k}={v:g}" for k, v in view.scores.items()) or "-"),
    ]
    if view.conversation:  # a multi-turn item: the whole conversation in place of the prompt
        lines = [f"[{role} {i // 2 + 1}] {text}" for i, (role, text) in enumerate(view.conversation)]
        parts[1] = "── Conversation\n" + "\n".join(lines)
    if view.trajectory:  # an agent loop: its steps after the prompt
        parts.insert(2, "── Trajectory\n" + trajectory_text(view.trajectory, view.trajectory_summary))
    if view.judge:
        parts.append("── Judge verdict\n" + "\n".join(f"{k}: {v}" for k, v in view.judge))
    if view.error:
        parts.append(f"── Error\n{view.error}")
    return "\n".join(parts)


class BrowseScreen(Screen[None]):
    """Runs on the left; the chosen run's reports and samples on the right. Below `NARROW` columns
    (an 80×24 terminal) the runs list goes above the tabs, one line per run, and the sample controls
    take two lines, so the score table and the sample columns get the whole width."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW, "-wide")]
    CSS = """
    #runs { width: 34; border-right: solid $primary-darken-2; }
    #tabs { width: 1fr; }
    #controls { height: auto; }
    #labels { width: auto; height: auto; }
    #filter-label, #page-label, #dataset-label { width: auto; padding: 0 1; content-align: left middle; height: 3; }
    #search { width: 30; }
    #samples { height: 12; }
    BrowseScreen.-narrow #main { layout: vertical; }
    BrowseScreen.-narrow #runs { width: 1fr; height: auto; max-height: 5; border: none; border-bottom: solid $primary-darken-2; }
    BrowseScreen.-narrow #controls { layout: vertical; }
    BrowseScreen.-narrow #labels { width: 1fr; }
    BrowseScreen.-narrow #labels Static { height: 1; }
    BrowseScreen.-narrow #dataset-label { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    BrowseScreen.-narrow #search { width: 1fr; height: 1; border: none; padding: 0 1; }
    BrowseScreen.-narrow #samples { height: 8; }
    #detail-box { height: 1fr; border-top: solid $primary-darken-2; }
    #detail-box { overflow-x: hidden; }
    #detail { width: 100%; }
    #reports { height: auto; }
    #timing { height: auto; padding: 0 1; color: $text-muted; }
    #needle-title { height: auto; padding: 0 1; text-style: bold; display: none; }
    #needle-grid { height: auto; margin-bottom: 1; display: none; }
    #run-warning { height: auto; padding: 0 1; background: $warning 30%; display: none; }
    """
    BINDINGS = [
        Binding("f", "cycle_filter", "Filter"),
        Binding("d", "next_dataset", "Dataset"),
        Binding("slash", "search", "Search"),
        Binding("n", "page(1)", "Next page", group=Binding.Group("Page")),
        Binding("p", "page(-1)", "Prev page", group=Binding.Group("Page")),
        Binding("r", "reload", "Reload"),
        Binding("escape", "leave", "Back"),
    ]

    def __init__(self, catalog: Catalog, run_key: str | None = None, *, closable: bool = False) -> None:
        super().__init__()
        self.catalog = catalog
        self.run_key = run_key
        #: escape returns to the screen below (the live view this screen was opened from)
        self.closable = closable
        self.datasets: list[str] = []
        self.dataset: str | None = None
        self.filter = "all"
        self.search = ""
        self.page = 0
        self.total = 0
        self.views: list[SampleView] = []
        #: a repeated run's items on this page (one row each), else empty
        self.items: list[ItemGroup] = []
        self.by_item = False
        #: laid out for a narrow terminal (`NARROW`), set on every resize
        self.narrow = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="run-warning", markup=False)
        with Horizontal(id="main"):
            yield OptionList(id="runs")
            with TabbedContent(initial="tab-reports", id="tabs"):
                with TabPane("Reports", id="tab-reports"):
                    # needle_haystack: the length x depth grid first (hidden for other runs)
                    yield Static(NEEDLE_TITLE, id="needle-title")
                    yield DataTable(id="needle-grid", zebra_stripes=True)
                    yield DataTable(id="reports", cursor_type="row", zebra_stripes=True)
                    yield Static("", id="timing", markup=False)
                with TabPane("Samples", id="tab-samples"):
                    with Vertical():
                        with Horizontal(id="controls"):
                            with Horizontal(id="labels"):
                                yield Static("", id="dataset-label")
                                yield Static("", id="filter-label")
                                yield Static("", id="page-label")
                            yield Input(placeholder="search (enter)", id="search")
                        yield DataTable(id="samples", cursor_type="row", zebra_stripes=True)
                        with VerticalScroll(id="detail-box"):
                            yield Static("", id="detail", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.narrow = self.app.size.width < NARROW
        self.fill_runs()
        self.query_one("#runs", OptionList).focus()

    def on_resize(self) -> None:
        """Across `NARROW`: one line per run or two, sample cells cut to fit, and the footer's room
        kept for the keys (the command palette's hint goes)."""
        narrow = self.size.width < NARROW
        self.query_one(Footer).show_command_palette = not narrow
        if narrow == self.narrow:
            return
        self.narrow = narrow
        options = self.query_one("#runs", OptionList)
        for entry in self.catalog.runs():
            with contextlib.suppress(OptionDoesNotExist):
                options.replace_option_prompt(entry.key, self.run_prompt(entry))
        self.load_samples()

    def run_prompt(self, entry: RunEntry) -> str:
        facts = f"{entry.info.status} · {len(entry.info.datasets)} datasets"
        return f"{entry.label}  {facts}" if self.narrow else f"{entry.label}\n  {facts}"

    # -- runs ---------------------------------------------------------------------------------
    def fill_runs(self, refresh: bool = False) -> None:
        runs = self.catalog.runs(refresh=refresh)
        options = self.query_one("#runs", OptionList)
        options.clear_options()
        options.add_options([Option(self.run_prompt(e), id=e.key) for e in runs])
        if not runs:
            self.query_one("#detail", Static).update(
                "No runs found." + "".join(f"\n{e}" for e in self.catalog.errors)
            )
            return
        keys = [e.key for e in runs]
        chosen = self.run_key if self.run_key in keys else keys[-1]
        options.highlighted = keys.index(chosen)
        self.open_run(chosen)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and event.option.id != self.run_key:
            self.open_run(event.option.id)

    def open_run(self, key: str) -> None:
        self.run_key = key
        entry = self.catalog.run(key)
        self.sub_title = entry.label
        reports = self.catalog.reports(key)
        table = self.query_one("#reports", DataTable)
        table.clear(columns=True)
        headers, rows = report_table(reports)
        fill_table(table, headers, rows)
        timing, lines = self.query_one("#timing", Static), timing_text(reports)
        timing.update(lines)
        timing.display = bool(lines)
        self.show_needle_grid(reports)
        self.datasets = self.catalog.datasets(key)
        self.dataset = self.datasets[0] if self.datasets else None
        self.page = 0
        self.load_samples()
        self.show_warning()

    def show_needle_grid(self, reports: list) -> None:
        """The needle_haystack grid under the score table, or nothing for other runs."""
        grid = needle_grid_table(reports)
        table = self.query_one("#needle-grid", DataTable)
        fill_table(table, *(grid or ([], [])))
        table.display = self.query_one("#needle-title", Static).display = grid is not None

    # -- samples ------------------------------------------------------------------------------
    def load_samples(self) -> None:
        table = self.query_one("#samples", DataTable)
        self.views, self.items, self.by_item = [], [], False
        if self.run_key is None or self.dataset is None:
            fill_table(table, SAMPLE_COLUMNS, [])
            self.update_labels()
            return
        if run_repeats(self.catalog.report(self.run_key, self.dataset)) > 1:
            self.load_items()
            return
        where = browser_filter(dataset=self.dataset, kind=self.filter, search=self.search)
        self.total = self.catalog.count(self.run_key, where)
        pages = max(1, -(-self.total // PAGE_SIZE))
        self.page = min(max(self.page, 0), pages - 1)
        where.offset, where.limit = self.page * PAGE_SIZE, PAGE_SIZE
        self.views = [sample_view(r) for r in self.catalog.results(self.run_key, where)]
        cut = 16 if self.narrow else 24
        rows = []
        for v in self.views:
            verdict = "pass" if v.passed else ("fail" if v.passed is False else v.status)
            score = "-" if v.score is None else f"{v.score:.4f}"
            rows.append(
                [
                    _tail(v.sample_id, cut + 4),
                    verdict,
                    score,
                    _short(v.extracted, cut),
                    _short(v.gold, cut),
                    _short(v.subset, 24),
                ]
            )
        fill_table(table, SAMPLE_COLUMNS, rows)
        self.update_labels()
        self.show_detail(0)
        self.show_warning()

    def load_items(self) -> None:
        """A repeated run's samples list: one row per item (solved j/k, each repeat's extracted
        answer); an item is listed when any of its answers matches the filter."""
        if self.run_key is None or self.dataset is None:
            return
        key, dataset = self.run_key, self.dataset
        k = run_repeats(self.catalog.report(key, dataset))

        def fetch(page: int) -> tuple[list[ItemGroup], int]:
            return item_page(
                self.catalog, key, dataset=dataset, k=k, kind=self.filter, search=self.search or None,
                page=page, size=PAGE_SIZE,
            )  # fmt: skip

        self.page = max(self.page, 0)
        self.items, self.total = fetch(self.page)
        pages = max(1, -(-self.total // PAGE_SIZE))
        if self.page >= pages:  # past the last page (the filter shrank): the last one
            self.page = pages - 1
            self.items, self.total = fetch(self.page)
        self.by_item = True
        cut = 16 if self.narrow else 24
        fill_table(self.query_one("#samples", DataTable), ITEM_COLUMNS, [item_row(g, _short, cut) for g in self.items])
        self.update_labels()
        self.show_detail(0)
        self.show_warning()

    def show_warning(self) -> None:
        """A line over the run when its records are not read from its database (a damaged
        evalscope.db: the JSONL records are shown)."""
        warning = self.catalog.warning(self.run_key) if self.run_key is not None else None
        banner = self.query_one("#run-warning", Static)
        banner.update(f"⚠ {warning}" if warning else "")
        banner.display = bool(warning)

    def update_labels(self) -> None:
        pages = max(1, -(-self.total // PAGE_SIZE))
        self.query_one("#dataset-label", Static).update(f"dataset [b]{self.dataset or '-'}[/b]")
        self.query_one("#filter-label", Static).update(f"filter [b]{self.filter}[/b]")
        unit = "items" if self.by_item else "samples"
        self.query_one("#page-label", Static).update(f"page {self.page + 1}/{pages} · {self.total} {unit}")

    def show_detail(self, index: int) -> None:
        detail = self.query_one("#detail", Static)
        if self.by_item:  # a repeated run: the item's k answers
            detail.update(item_text(self.items[index]) if 0 <= index < len(self.items) else "no samples")
            return
        detail.update(sample_text(self.views[index]) if 0 <= index < len(self.views) else "no samples")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "samples" and event.row_key.value is not None:
            self.show_detail(int(event.row_key.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.search = event.value.strip()
        self.page = 0
        self.load_samples()
        self.query_one("#samples", DataTable).focus()

    # -- actions ------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`esc Back` only where escape goes somewhere (out of the search box, back to the live view)."""
        if action == "leave":
            return self.closable or (self.focused is not None and self.focused.id == "search")
        return True

    def _samples_tab(self) -> None:
        """Show the samples tab with its table focused (arrows move between samples)."""
        self.query_one("#tabs", TabbedContent).active = "tab-samples"
        self.query_one("#samples", DataTable).focus()

    def action_cycle_filter(self) -> None:
        self.filter = FILTERS[(FILTERS.index(self.filter) + 1) % len(FILTERS)]
        self.page = 0
        self._samples_tab()
        self.load_samples()

    def action_next_dataset(self) -> None:
        if self.datasets:
            i = self.datasets.index(self.dataset) if self.dataset in self.datasets else -1
            self.dataset = self.datasets[(i + 1) % len(self.datasets)]
            self.page = 0
            self._samples_tab()
            self.load_samples()

    def action_search(self) -> None:
        self.query_one("#tabs", TabbedContent).active = "tab-samples"
        self.query_one("#search", Input).focus()

    def action_page(self, step: int) -> None:
        self.page += step
        self._samples_tab()
        self.load_samples()

    def action_reload(self) -> None:
        self.fill_runs(refresh=True)

    def action_leave(self) -> None:
        if self.focused is not None and self.focused.id == "search":
            self.query_one("#samples", DataTable).focus()
        elif self.closable:
            self.app.pop_screen()


class BrowseApp(App[None]):
    TITLE = "evalscope runs"
    BINDINGS = [Binding("q", "quit", "Quit")]

    def __init__(self, catalog: Catalog, run_key: str | None = None) -> None:
        super().__init__()
        self.catalog = catalog
        self.run_key = run_key

    def on_mount(self) -> None:
        self.push_screen(BrowseScreen(self.catalog, self.run_key))
