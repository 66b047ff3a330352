"""Plug-in pages: the arena page comes from evalscope-arena through the `evalscope.site_pages` entry
points, the report site never imports the arena package, and starts (without that page) when the
arena package cannot be imported."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from evalscope.viz.site.i18n import Translator

VIZ_SRC = Path(__file__).resolve().parents[2] / "packages" / "evalscope-viz" / "src"


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_viz_never_imports_the_arena_package():
    files = sorted(VIZ_SRC.rglob("*.py"))
    assert len(files) > 10
    offenders = {
        str(f.relative_to(VIZ_SRC)): sorted(m for m in imported_modules(f) if m.startswith("evalscope.arena"))
        for f in files
    }
    assert not {k: v for k, v in offenders.items() if v}


SITE_PAGES = """
import json, logging, sys
{block}
from evalscope.viz.data.catalog import Catalog
from evalscope.viz.site.app import create_app
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
app = create_app(Catalog(sys.argv[1]), lang="zh")
layout = json.dumps(app.layout().to_plotly_json(), default=lambda o: o.to_plotly_json(), ensure_ascii=False)
print(json.dumps({{"nav": "竞技场" in layout, "arena": "evalscope.arena" in sys.modules}}))
"""

BLOCK_ARENA = """
import importlib.abc
class NoArena(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "evalscope.arena" or name.startswith("evalscope.arena."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, NoArena())
"""


def site_pages(tmp_path: Path, block: str) -> tuple[dict, str]:
    out = subprocess.run(
        [sys.executable, "-c", SITE_PAGES.format(block=block), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1]), out.stderr


def test_the_arena_page_is_a_plugin_page_of_the_arena_package(tmp_path):
    shown, _ = site_pages(tmp_path, "")
    assert shown == {"nav": True, "arena": True}  # its title in Chinese comes with the page's own strings


def test_the_site_starts_without_the_arena_package(tmp_path):
    shown, stderr = site_pages(tmp_path, BLOCK_ARENA)
    assert shown == {"nav": False, "arena": False}
    assert "site page 'arena'" in stderr and "is left out" in stderr


def test_plugin_strings_never_replace_the_sites_own():
    t = Translator("en", extra={"page_arena": ("Arena", "竞技场"), "title": ("hijacked", "hijacked")})
    assert t("page_arena") == "Arena" and t("title") == "evalscope reports"
    assert Translator("zh", extra={"page_arena": ("Arena", "竞技场")})("page_arena") == "竞技场"
