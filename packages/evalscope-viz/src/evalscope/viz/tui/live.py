"""The live view of a running evaluation.

In process (`evalscope eval ... --tui`): the evaluation runs in a worker thread and reports through
a `QueueSink` (the `ProgressSink` port); the Textual app on the main thread drains the queue a few
times a second. Attached (`evalscope tui RUN_DIR`): a `StoreFollower` reads the run's store as it
grows and the same table shows what it found.
"""

from __future__ import annotations

import copy
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static

from evalscope.viz.tui.state import EvalLiveState
from evalscope.viz.tui.widgets import EvalProgressTable


class QueueSink:
    """A thread-safe ProgressSink: events wait in a queue, stamped with the time they happened
    (`time.monotonic`), until the UI thread takes them as (time, event) pairs."""

    def __init__(self) -> None:
        self.events: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def on_event(self, event: Any) -> None:
        self.events.put((time.monotonic(), event))

    def drain(self, limit: int = 100_000) -> list[Any]:
        out: list[Any] = []
        while len(out) < limit:
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                break
        return out


class Job:
    """`work(sink)` on a daemon thread; its result or exception kept for whoever waits."""

    def __init__(self, work: Callable[[QueueSink], Any], sink: QueueSink) -> None:
        self.sink = sink
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(work,), name="evalscope-eval", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self, work: Callable[[QueueSink], Any]) -> None:
        try:
            self.result = work(self.sink)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller after the UI closes
            self.error = exc
        finally:
            self.done.set()


class LiveEvalApp(App[None]):
    """Per dataset: progress, samples/s, running score, errors, ETA; `q` quits, `b` browses the results."""

    TITLE = "evalscope eval"
    CSS = """
    #status { height: auto; padding: 0 1; }
    #status.finished { color: $success; }
    #status.failed { color: $error; }
    """
    BINDINGS = [Binding("q", "quit", "Quit"), Binding("b", "browse", "Browse results")]

    def __init__(
        self,
        state: EvalLiveState | None = None,
        *,
        job: Job | None = None,
        follower: Any = None,
        interval: float = 0.25,
        browse: Callable[[], Any] | None = None,
    ) -> None:
        super().__init__()
        self.state = state or EvalLiveState()
        self.job = job
        self.follower = follower
        self.interval = interval
        self.browse_factory = browse
        self._polling = False

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static("starting…", id="status")
        yield EvalProgressTable(id="progress")
        yield Footer()

    def on_mount(self) -> None:
        if self.job is not None:
            self.job.start()
        self.set_interval(self.interval, self.tick)
        self.tick()

    # -- updates ------------------------------------------------------------------------------
    def tick(self) -> None:
        if self.job is not None:
            self.state.apply_all(self.job.sink.drain())
            if self.job.done.is_set() and self.state.finished is None:
                self.state.finished, self.state.ok = self.state.clock(), self.job.error is None
                self.state.message = _error_text(self.job.error)
        elif self.follower is not None and not self._polling:
            self._polling = True
            self.run_worker(self._follow, thread=True, exclusive=True, group="follow")
        self.show()

    def _follow(self) -> None:
        """Read the store on a worker thread into a copy; the UI thread swaps it in."""
        fresh = copy.deepcopy(self.state)
        try:
            self.follower.poll(fresh)
        finally:
            self._polling = False
        self.call_from_thread(self._swap, fresh)

    def _swap(self, fresh: EvalLiveState) -> None:
        self.state = fresh
        self.show()

    def show(self) -> None:
        self.query_one(EvalProgressTable).show(self.state)
        status = self.query_one("#status", Static)
        status.update(self.status_line())
        status.set_class(self.state.finished is not None and bool(self.state.ok), "finished")
        status.set_class(self.state.finished is not None and not self.state.ok, "failed")
        if self.state.model_id:
            self.sub_title = f"{self.state.model_id} · {self.state.run_dir}"

    def status_line(self) -> str:
        st = self.state
        total = len(st.datasets)
        done = sum(1 for d in st.datasets.values() if d.finished is not None)
        elapsed = f"{st.elapsed():.1f} s"
        if st.finished is None:
            if not total:
                return f"loading datasets · {elapsed}"
            return f"running · {done}/{total} datasets done · {elapsed}"
        verdict = st.verdict or ("finished" if st.ok else "failed")
        message = f" · {st.message}" if st.message else ""
        return f"{verdict} in {elapsed}{message} · q quits, b browses the results"

    # -- actions ------------------------------------------------------------------------------
    def action_browse(self) -> None:
        if self.browse_factory is not None and self.state.finished is not None:
            self.push_screen(self.browse_factory())


def _error_text(error: BaseException | None) -> str:
    if error is None:
        return ""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:300]
