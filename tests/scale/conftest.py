"""Fixtures for the shard and Dask tests; the corpus itself is in scale_corpus.py (a module with
its own name: test files importing ``conftest`` would get whichever conftest was imported first)."""

from __future__ import annotations

import pytest

from scale_corpus import fill_store


@pytest.fixture
def small_store(tmp_path):
    from zhengce.corpus.store import Store

    store = Store.open(tmp_path / "corpus.db")
    fill_store(store)
    yield store
    store.close()
