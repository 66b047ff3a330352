"""What every page of the site can use: the run catalog and the translator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from evalscope.viz.data.catalog import Catalog
from evalscope.viz.site.i18n import Translator


@attrs.define
class SiteContext:
    catalog: Catalog
    t: Translator
    #: the run page's launcher (`viz/site/runs.py`); None when starting runs is off (`--read-only`)
    launcher: Any = None

    @property
    def outputs(self) -> Path | None:
        return self.catalog.outputs
