"""The report's completeness section data (analysis.coverage)."""

from __future__ import annotations

import pandas as pd

from zhengce.analysis.coverage import coverage_section, mark_low_coverage
from zhengce.corpus.store import Store


def test_section_writes_tables_and_marks_low_cells(gapped_db, tmp_path):
    with Store.open(gapped_db) as store:
        section = coverage_section(store, tmp_path / "tables", tmp_path / "figures", dpi=50)
    assert set(section.tables) >= {"coverage_series", "coverage_level_year", "gaps"}
    assert all(_exists(p) for paths in section.tables.values() for p in paths.values())
    assert _exists(section.figures["coverage_by_year"]["png"])
    cells = section.cells.set_index("year")
    assert cells.loc[2001, "coverage"] == round(11 / 14, 4) and cells.loc[2001, "low_coverage"]
    assert not section.has_availability  # nothing crawled: no availability tables
    assert "13 gaps" in section.lines[0]
    counts = pd.DataFrame({"level": ["central", "central", "local"], "year": [2001, 1999, 2001],
                           "n_docs": [11, 3, 5]})
    marked = mark_low_coverage(counts, section.cells)
    assert list(marked["low_coverage"]) == [True, False, False]
    assert marked["coverage"].isna().tolist() == [False, True, True]


def _exists(path: str) -> bool:
    from pathlib import Path

    return Path(path).exists()
