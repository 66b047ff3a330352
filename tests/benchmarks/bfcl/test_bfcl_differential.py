"""Our AST check against BFCL's own checker (bfcl-eval 2026.3.23), verdict by verdict, over outputs
made from BFCL's possible answers; and fetching BFCL leaves the main environment as it was."""

from __future__ import annotations

import collections
import json
import subprocess
import sys
from pathlib import Path

import pytest

from evalscope.benchmarks._lib import bfcl_data
from evalscope.benchmarks._lib.fc_check import check_calls
from tests.benchmarks.bfcl.cases import AST_CATEGORIES, generate

WORKER = Path(__file__).with_name("reference_worker.py")
#: items drawn per category (all of the smaller ones); about 12 outputs each
PER_CATEGORY = 40


def reference_verdicts(root: Path, cases: list[dict], tmp_path: Path) -> list[dict]:
    """BFCL's checker in a child interpreter with no site-packages, only the unpacked wheel."""
    cases_path, out_path = tmp_path / "cases.json", tmp_path / "verdicts.json"
    cases_path.write_text(json.dumps(cases), encoding="utf-8")
    subprocess.run(
        [sys.executable, "-I", "-S", str(WORKER), str(root), str(cases_path), str(out_path)],
        check=True,
        timeout=300,
    )
    return json.loads(out_path.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_verdicts_equal_bfcl_checker_one_by_one(bfcl_root, bfcl_folder, tmp_path):
    records = {c: bfcl_data.category_records(bfcl_folder, c) for c in AST_CATEGORIES}
    cases = generate(records, PER_CATEGORY)
    reference = reference_verdicts(bfcl_root, cases, tmp_path)
    assert len(reference) == len(cases) > 1000
    assert not [r for r in reference if r["valid"] is None], "BFCL's checker crashed on a generated case"
    differ = []
    seen: collections.Counter[tuple[str, bool]] = collections.Counter()
    for case, ref in zip(cases, reference):
        ours = check_calls(
            case["functions"],
            case["calls"],
            case["answer"],
            category=case["category"],
            language=case["language"],
        ).valid
        seen[(case["kind"], ref["valid"])] += 1
        if ours != ref["valid"]:
            differ.append((case["id"], case["kind"], ours, ref))
    assert differ == []
    # the cases exercise both verdicts where a kind can go either way, and every language
    for kind in (
        "correct",
        "optional_omitted",
        "optional_dropped",
        "reordered",
        "normalised_string",
        "int_for_float",
        "wrong_value",
    ):
        assert seen[(kind, True)] > 0, kind
    for kind in (
        "wrong_type",
        "missing_required",
        "extra_param",
        "wrong_function_name",
        "no_call",
        "extra_call",
        "optional_dropped",
    ):
        assert seen[(kind, False)] > 0, kind
    assert {c["language"] for c in cases} == {"python", "java", "javascript"}


@pytest.mark.slow
def test_fetching_bfcl_leaves_the_main_environment_unchanged(tmp_path, monkeypatch):
    freeze = [sys.executable, "-m", "pip", "freeze", "--all", "--disable-pip-version-check"]
    before = subprocess.run(freeze, capture_output=True, text=True, check=True).stdout
    monkeypatch.setenv(bfcl_data.HOME_ENV, str(tmp_path / "bfcl-home"))
    try:
        root = bfcl_data.unpacked_root()
    except Exception as exc:  # noqa: BLE001 - offline: nothing to compare
        pytest.skip(f"cannot download bfcl-eval ({exc}); {bfcl_data.fetch_command()}")
    after = subprocess.run(freeze, capture_output=True, text=True, check=True).stdout
    assert (root / "bfcl_eval" / "data" / "possible_answer" / "BFCL_v4_simple_python.json").is_file()
    assert before == after
    assert "bfcl" not in after.lower() and "soundfile" not in after.lower()
