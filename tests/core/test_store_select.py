"""Result stores chosen by registry name (TaskConfig `store`) and readers by location or URL scheme."""

from __future__ import annotations

import pytest

from evalscope.config import TaskConfig
from evalscope.core.serialization import ConfigError
from evalscope.core.stores import WorkDirStore, build_stores, open_reader, store_for_url
from evalscope.core.stores.select import url_scheme


def kinds(cfg: dict) -> list[tuple[str, str | None]]:
    return [(type(s).__name__, getattr(s, "url", None)) for s in build_stores(TaskConfig.from_dict(cfg))]


def test_store_names_pick_the_registered_store():
    assert kinds({"store": "workdir"}) == [("WorkDirStore", None)]
    assert kinds({"store": "auto"}) == [("SqlResultStore", None), ("WorkDirStore", None)]
    assert kinds({"store": "sqlite", "store_url": "sqlite:////tmp/x.db"}) == [
        ("SqlResultStore", "sqlite:////tmp/x.db"), ("WorkDirStore", None)
    ]
    # auto with a URL: the store registered for the URL's scheme (the driver suffix is ignored)
    url = "postgresql+psycopg://u:pw@127.0.0.1/evals"
    assert kinds({"store": "auto", "store_url": url}) == [("SqlResultStore", url), ("WorkDirStore", None)]


def test_unknown_store_name_suggests_close_ones():
    with pytest.raises(ConfigError, match=r"store: no result store named 'sqlit'\. Did you mean: sqlite"):
        build_stores(TaskConfig.from_dict({"store": "sqlit"}))
    with pytest.raises(ConfigError, match="Did you mean: workdir"):
        build_stores(TaskConfig.from_dict({"store": "work_dir"}))
    with pytest.raises(ConfigError, match="store_url: no result store named 'mongodb'"):
        build_stores(TaskConfig.from_dict({"store": "auto", "store_url": "mongodb://127.0.0.1/x"}))
    with pytest.raises(ConfigError, match="not a URL"):
        store_for_url("just/a/path.db")


def test_url_schemes():
    assert url_scheme("sqlite:///a.db") == "sqlite"
    assert url_scheme("postgresql+psycopg2://h/db") == "postgresql"
    assert url_scheme("outputs/20250101_000000") is None
    assert url_scheme("C:\\outputs") is None


def test_a_reader_of_a_directory_is_the_work_dir_store(tmp_path):
    reader = open_reader(tmp_path)
    assert isinstance(reader, WorkDirStore) and reader.list_runs() == []
