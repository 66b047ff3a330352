"""Fixtures of the viz tests: real evaluation runs and perf runs in a temporary outputs directory,
the report site served by the real `evalscope app` command, and headless Debian Chromium."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import attrs
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: screenshots of every page land here (ignored by git); EVALSCOPE_VIZ_SCREENSHOTS overrides
SCREENSHOTS = Path(os.environ.get("EVALSCOPE_VIZ_SCREENSHOTS", Path(__file__).parent / "screenshots"))
REPLY_A = "The answer is 18."
REPLY_B = "The answer is 3."


@attrs.frozen
class VizOutputs:
    root: Path
    run_a: Path
    run_b: Path
    perf: list[Path]


def mock_task(
    work_dir: Path, model_id: str, reply: str, datasets: list[str], limit: int = 6, **extra: object
) -> dict:
    """A real evaluation on real local data; the mock model answers `reply` to every prompt and
    picks option A of every multiple-choice question, so some samples pass and some fail."""
    return {
        "model": "mock",
        "model_id": model_id,
        "eval_type": "mock",
        "model_args": {"reply": reply},
        "datasets": datasets,
        "limit": limit,
        "work_dir": str(work_dir),
        "no_timestamp": True,
        **extra,
    }


@pytest.fixture(scope="session")
def eval_outputs(tmp_path_factory: pytest.TempPathFactory, dataset_dir: Path) -> VizOutputs:
    """Two evaluation runs (gsm8k, arc, math_500) of two mock models under one outputs directory,
    and an older one of gsm8k whose answers a (mock) judge scored."""
    from evalscope.run import run_task

    root = tmp_path_factory.mktemp("viz") / "outputs"
    run_a, run_b = root / "run-a", root / "run-b"
    datasets = ["gsm8k", "arc", "math_500"]
    # oldest: gsm8k judged by a mock judge that calls every answer incorrect ([[B]])
    judged = mock_task(
        root / "run-judged", "mock-j", REPLY_A, ["gsm8k"], limit=3, dataset_dir=str(dataset_dir)
    )
    judged.update(
        judge_strategy="llm",
        judge_model_args={"model_id": "mock-judge", "eval_type": "mock", "model_args": {"reply": "[[B]]"}},
    )
    run_task(judged, print_table=False)
    run_task(mock_task(run_a, "mock-a", REPLY_A, datasets, dataset_dir=str(dataset_dir)), print_table=False)
    run_task(mock_task(run_b, "mock-b", REPLY_B, datasets, dataset_dir=str(dataset_dir)), print_table=False)
    return VizOutputs(root, run_a, run_b, [])


@pytest.fixture(scope="session")
def viz_outputs(eval_outputs: VizOutputs) -> VizOutputs:
    """The evaluation runs plus a two-load perf sweep against the mock streaming server."""
    return attrs.evolve(eval_outputs, perf=perf_sweep(eval_outputs.root))


def perf_sweep(root: Path) -> list[Path]:
    """`evalscope perf` (the real CLI, in a child process) at concurrency 1 and 2 against the mock
    streaming server; the run folders it wrote, in load order."""
    from evalscope.perf.mock_server import MockServerProcess

    with MockServerProcess(ttft_ms=20, itl_ms=3, tokens=8) as server:
        subprocess.run(
            [
                str(Path(sys.executable).with_name("evalscope")),
                "perf",
                "--model",
                "mock",
                "--api-url",
                server.base_url,
                "--parallel",
                "1",
                "2",
                "--number",
                "6",
                "--prompt",
                "hello",
                "--max-tokens",
                "8",
                "--sleep-interval",
                "0",
                "--num-workers",
                "1",
                "--outputs-dir",
                str(root),
                "--name",
                "mockperf",
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
    return sorted(p.parent for p in root.glob("*/mockperf/*/run.json"))


def review_lines(run_dir: Path, dataset: str) -> list[dict]:
    """The review JSONL lines of a dataset, read straight from the files (independent of the store)."""
    lines = []
    for path in sorted((run_dir / "reviews").glob(f"*/{dataset}_*.jsonl")):
        lines += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines


def report_json(run_dir: Path, dataset: str) -> dict:
    (path,) = sorted((run_dir / "reports").glob(f"*/{dataset}.json"))
    return json.loads(path.read_text(encoding="utf-8"))


class SiteProcess:
    """`evalscope app` in a child process on a free port; the URL is read from what it prints."""

    def __init__(self, *args: str) -> None:
        self.args = args
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> SiteProcess:
        exe = Path(sys.executable).with_name("evalscope")
        self.proc = subprocess.Popen(
            [str(exe), "app", "--port", "0", *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()  # type: ignore[union-attr]
            if not line and self.proc.poll() is not None:
                break
            found = re.search(r"Running on local URL:\s+(http://\S+)", line)
            if found:
                self.url = found.group(1)
                return self
        self.__exit__()
        raise RuntimeError("evalscope app did not print its URL")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc.stdout.close()  # type: ignore[union-attr]


class LoggedSite(SiteProcess):
    """`evalscope app` whose every output line after the banner is kept in `log` after exit.

    A thread reads the rest through the same text stream the banner was read from: lines that came
    with the banner already sit in that stream's buffer, which a read of the raw pipe would miss."""

    def __enter__(self) -> LoggedSite:
        super().__enter__()
        self.banner = self.url
        self.url = self.url.split("/?", 1)[0]
        self._lines: list[str] = []
        stream = self.proc.stdout  # type: ignore[union-attr]
        self._reader = threading.Thread(target=lambda: self._lines.extend(stream), daemon=True)
        self._reader.start()
        return self

    def __exit__(self, *exc: object) -> None:
        proc = self.proc
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            self._reader.join(timeout=10)
            self.log = "".join(self._lines)
            self.proc = None


    def wait_for_line(self, pattern: str, timeout: float = 30) -> re.Match[str] | None:
        """The first line after the banner that matches `pattern`, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            for line in list(self._lines):
                found = re.search(pattern, line)
                if found:
                    return found
            if time.monotonic() > deadline or not self._reader.is_alive():
                return None
            time.sleep(0.05)


@pytest.fixture(scope="session")
def site(viz_outputs: VizOutputs):
    with SiteProcess("--outputs", str(viz_outputs.root)) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by Playwright (no browser download). Module-scoped: the
    sync API runs an event loop on this thread while it is open, which asyncio tests cannot share."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/install_dev.sh does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, site):
    """A fresh page; every request it makes is recorded in `page.requests_seen`."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.requests_seen = []
    pg.failed_requests = []
    pg.on("request", lambda r: pg.requests_seen.append(r.url))
    pg.on("requestfailed", lambda r: pg.failed_requests.append(r.url))
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def shot(pg, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path


# -- an arena run -------------------------------------------------------------------------------

ARENA_MODELS = ("weak", "strong", "medium")
ARENA_QUESTIONS = [
    {"question_id": str(i), "text": f"Question number {i}?", "category": "odd" if i % 2 else "even"}
    for i in range(1, 7)
]


@attrs.frozen
class ArenaOutputs:
    root: Path
    run_dir: Path

    @property
    def ratings(self) -> dict:
        return json.loads((self.run_dir / "ratings.json").read_text(encoding="utf-8"))

    def battles(self) -> list[dict]:
        """The battle records as the work-dir files hold them (independent of any store)."""
        return review_lines(self.run_dir, "arena")


def arena_answer(model: str, question_id: str) -> str:
    return f"{model} answer to {question_id}"


def arena_judge(messages: list[dict]) -> str:
    """A scripted judge: prefers the better answer (strong > medium > weak) in either order, except
    on question 3, where it always prefers whichever answer it was shown first (the two orders
    disagree: a tie), and question 5, where it never gives a verdict (judge invalid)."""
    text = next((m["content"] for m in messages if m.get("role") == "user"), "")
    if "Question number 5?" in text:
        return "Both answers have merit; I cannot decide."
    if "Question number 3?" in text:
        return "The first one reads better. [[A]]"
    rank = {"strong": 3, "medium": 2, "weak": 1}

    def quality(tag: str) -> int:
        return rank[text.split(f"[{tag}]\n", 1)[1].split(" ", 1)[0]]

    a, b = quality("Assistant A's answer"), quality("Assistant B's answer")
    return "[[A]]" if a > b else "[[B]]" if b > a else "[[C]]"


@pytest.fixture(scope="session")
def arena_outputs(tmp_path_factory: pytest.TempPathFactory) -> ArenaOutputs:
    """A real `run_arena` (answer files, every pair, both orders) judged by `arena_judge` behind a
    real OpenAI-compatible server on 127.0.0.1, stored in both stores under its outputs directory."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "judge"))
    from judge_server import judge_server

    from evalscope.arena import run_arena

    folder = tmp_path_factory.mktemp("arena")
    (folder / "questions.jsonl").write_text(
        "\n".join(json.dumps(q) for q in ARENA_QUESTIONS) + "\n", encoding="utf-8"
    )
    for name in ARENA_MODELS:
        rows = [{"question_id": q["question_id"], "answer": arena_answer(name, q["question_id"])} for q in ARENA_QUESTIONS]
        (folder / f"{name}.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    root = folder / "outputs"
    with judge_server(arena_judge) as judge:
        result = run_arena(
            {
                "question_file": str(folder / "questions.jsonl"),
                "models": [{"name": n, "answers_file": str(folder / f"{n}.jsonl")} for n in ARENA_MODELS],
                "judge_model_args": {"model_id": "scripted-judge", "api_url": judge.base_url},
                "judge_worker_num": 4,
                "bootstrap_rounds": 100,
                "name": "scripted-arena",
                "work_dir": str(root),
            },
            print_table=False,
        )
    return ArenaOutputs(root, Path(result.run_dir))


@pytest.fixture(scope="module")
def arena_site(arena_outputs: ArenaOutputs):
    with SiteProcess("--outputs", str(arena_outputs.root)) as server:
        yield server
