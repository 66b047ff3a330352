"""The report site on large runs: start-up time, time to first paint of the prediction browser, and
the site's memory, for runs of 1,000 and 10,000 samples.

For each size it writes a general_qa dataset, evaluates it with the mock model (every third answer
right), starts the real `evalscope app` in a child process and drives headless Debian Chromium
through Playwright: settings -> tick the run -> Load -> Dataset details. Printed per size:
- start-up: process start until the site answers its first page (HTTP 200 on /);
- load: Load pressed until the score table shows;
- first paint: Dataset details clicked until the first sample card is drawn (the browser pages:
  the cards shown and the pager's total are printed too);
- next page: the pager's next button until the new page's cards are drawn;
- RSS of the site process after all that (current and peak, from /proc).

Usage: python bench/site_timing.py [--sizes 1000 10000]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def make_run(root: Path, size: int) -> str:
    """Evaluate a `size`-question general_qa set with the mock model; returns the run's label."""
    from evalscope.core.events import NullSink
    from evalscope.run import run_task

    data = root / f"qa-{size}"
    data.mkdir(parents=True)
    with open(data / "default.jsonl", "w", encoding="utf-8") as f:
        for i in range(size):
            answer = "The answer is A." if i % 3 == 0 else f"Answer number {i}."
            f.write(json.dumps({"query": f"Question {i}: which answer is right, and why?", "response": answer}) + "\n")
    run_task(
        {
            "model": "mock", "eval_type": "mock", "model_id": f"mock-{size}", "datasets": ["general_qa"],
            "dataset_args": {"general_qa": {"local_path": str(data)}}, "eval_batch_size": 32,
            "work_dir": str(root / "outputs" / f"run-{size}"), "no_timestamp": True,
        },
        print_table=False, sink=NullSink(),
    )
    return f"run-{size}@mock-{size}"


def rss_mib(pid: int) -> tuple[float, float]:
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def start_site(outputs: Path) -> tuple[subprocess.Popen[str], str, float]:
    exe = Path(sys.executable).with_name("evalscope")
    started = time.perf_counter()
    proc = subprocess.Popen([str(exe), "app", "--outputs", str(outputs), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = ""
    while not url:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        if not line and proc.poll() is not None:
            sys.exit("evalscope app exited before printing its URL")
        found = re.search(r"Running on local URL:\s+(http://\S+)", line)
        url = found.group(1) if found else ""
    while True:
        try:
            with urllib.request.urlopen(url + "/", timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.02)
    return proc, url, time.perf_counter() - started


def measure(outputs: Path, label: str) -> dict[str, float | int | str]:
    from playwright.sync_api import sync_playwright

    proc, url, startup = start_site(outputs)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url + "/")
            page.wait_for_selector("#run-picker input")
            page.locator("#run-picker label", has_text=label).locator("input").check()
            t0 = time.perf_counter()
            page.click("#load")
            page.wait_for_selector("#score-table")
            load = time.perf_counter() - t0
            t0 = time.perf_counter()
            page.click("#nav-dataset")
            page.wait_for_selector("#ds-samples .sample")
            first_paint = time.perf_counter() - t0
            cards = page.locator("#ds-samples .sample").count()
            pager = page.locator("#ds-page-info").inner_text()
            first_id = page.locator("#ds-samples .sample").first.inner_text()[:60]
            t0 = time.perf_counter()
            page.click("#ds-next")
            page.wait_for_function(
                "first => { const c = document.querySelector('#ds-samples .sample');"
                " return c && !c.innerText.startsWith(first); }",
                arg=first_id,
            )
            next_page = time.perf_counter() - t0
            browser.close()
        rss, peak = rss_mib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)
    return {"startup": startup, "load": load, "first_paint": first_paint, "next_page": next_page,
            "cards": cards, "pager": pager, "rss": rss, "peak": peak}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for size in args.sizes:
            label = make_run(root, size)
            rows.append((size, measure(root / "outputs", label)))
            print(f"  {size}: measured", file=sys.stderr, flush=True)
    print(f"{'samples':>8} {'start-up s':>10} {'load s':>7} {'first paint s':>13} {'next page s':>11} "
          f"{'RSS MiB':>8} {'peak MiB':>9}  pager")
    for size, r in rows:
        print(f"{size:>8} {r['startup']:>10.2f} {r['load']:>7.2f} {r['first_paint']:>13.2f} {r['next_page']:>11.2f} "
              f"{r['rss']:>8.0f} {r['peak']:>9.0f}  {r['cards']} cards shown, '{r['pager']}'")
    print("(start-up: process start until HTTP 200 on /; first paint: Dataset details clicked until the first "
          "sample card is drawn; RSS of the site process afterwards)")


if __name__ == "__main__":
    main()
