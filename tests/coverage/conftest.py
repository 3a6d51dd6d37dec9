"""Fixtures of the coverage tests (the corpus with known gaps: coverage_helpers)."""

from __future__ import annotations

import pytest

from coverage_helpers import build_store


@pytest.fixture
def gapped_db(tmp_path):
    path = tmp_path / "gapped.db"
    build_store(path)
    return path
