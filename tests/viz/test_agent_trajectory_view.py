"""An agent run's trajectory where a person reads it: the site's prediction browser (headless
Chromium over `evalscope app`) and the TUI's sample text show each turn role-labelled, each tool
call with its arguments and each result, a long result folded until expanded. The run is the
scripted general_fc agent run of tests/agent/test_agent_loop.py, with a long first result."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from evalscope.core.stores import open_reader
from evalscope.viz.data.samples import sample_view
from evalscope.viz.tui.browse import sample_text
from tests.agent.test_agent_loop import ROW, _eval, weather_script
from tests.e2e.scripted_server import ScriptedServer
from tests.viz.conftest import SiteProcess, shot
from tests.viz.test_site_browser import load_runs

pytestmark = pytest.mark.slow
NOTES = "Station Paris-Montsouris, hourly readings. " * 12  # a result of ~530 characters: folded
IMAGE = Path(__file__).resolve().parents[2] / "docs" / "images" / "site-agent-trajectory.png"


@pytest.fixture(scope="module")
def agent_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("agent") / "outputs"
    data = root.parent / "fc"
    data.mkdir()
    row = json.loads(json.dumps(ROW))
    row["steps"][0]["tool_results"] = [{"celsius": 21, "notes": NOTES}]
    (data / "agent.jsonl").write_text(json.dumps(row) + "\n")
    with ScriptedServer(weather_script) as server:
        done = _eval(server.url, data, root / "agent-run")
    assert done.returncode == 0, done.stderr[-3000:]
    return root


def test_tui_sample_text_shows_the_trajectory(agent_run: Path) -> None:
    reader = open_reader(str(agent_run / "agent-run"))
    (result,) = list(reader.iter_results(reader.list_runs()[0].run_id))
    text = sample_text(sample_view(result))
    assert "── Trajectory\nanswered after 3 turns, 2 tool calls" in text
    assert '  → get_weather({"city": "Paris"})' in text
    assert '  → to_fahrenheit({"celsius": 21})' in text
    assert "  ← to_fahrenheit · ok" in text and ": 69.8" in text
    assert "characters]" in text  # the long result cut, its length said
    assert "[assistant turn 3 · 5 in, 5 out" in text and "It is 69.8 F in Paris." in text


def test_site_prediction_browser_shows_the_trajectory(agent_run: Path, browser) -> None:
    with SiteProcess("--outputs", str(agent_run)) as site:
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        page = context.new_page()
        page.set_default_timeout(30_000)
        load_runs(page, site, "agent-run@scripted")
        page.click("#nav-dataset")
        page.wait_for_selector("#ds-samples .sample [data-field=trajectory]")
        card = page.query_selector("#ds-samples .sample")
        steps = card.eval_on_selector_all(
            "[data-field=trajectory] .step", "els => els.map(e => [e.dataset.role, e.innerText])"
        )
        roles = [role for role, _ in steps]
        assert roles == ["assistant", "tool_call", "tool", "assistant", "tool_call", "tool", "assistant"]
        assert "get_weather" in steps[1][1] and '{"city": "Paris"}' in steps[1][1]
        assert steps[3][1].startswith("assistant: turn 2")
        assert "It is 69.8 F in Paris." in steps[6][1]
        folded = card.query_selector("[data-field=trajectory] details.tool-result")
        assert folded is not None and folded.get_attribute("open") is None
        assert not folded.query_selector("pre").is_visible()
        folded.query_selector("summary").click()
        assert (
            folded.query_selector("pre").is_visible()
            and NOTES.strip() in folded.query_selector("pre").inner_text()
        )
        path = shot(page, "site-agent-trajectory")
        context.close()
    if os.environ.get("EVALSCOPE_UPDATE_DOC_IMAGES") == "1":  # refresh the README's picture on request only
        IMAGE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, IMAGE)
