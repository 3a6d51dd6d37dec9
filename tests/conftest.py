"""Shared fixtures.

``shared_dir``: the read-only ../shared folder beside the checkout. Tests that need it skip with a
clear reason on a user's machine, but fail when CI=true (CI always has it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ZHENGCE_SHARED", REPO.parent / "shared"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _need_shared(rel: str = "") -> Path:
    target = SHARED / rel
    if not target.exists():
        msg = (f"{target} is absent: these tests read the project's ../shared data "
               "(set ZHENGCE_SHARED to its location)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg + " — and CI=true, where it must exist")
        pytest.skip(msg)
    return target


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return _need_shared()


@pytest.fixture(scope="session")
def lawrefbook_path() -> Path:
    return _need_shared("corpora/lawrefbook.jsonl.gz")


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def store():
    from zhengce.corpus.store import Store

    s = Store.memory()
    yield s
    s.close()


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "test.db"
