"""The report's completeness section: 发文字号 sequence coverage and availability over time,
next to the trajectories (cells whose coverage is low are marked, as thin cells are).

:func:`coverage_section` computes both (zhengce.corpus.coverage, zhengce.corpus.availability),
writes their tables and figures where the report keeps its own, and returns what the section
shows. :func:`mark_low_coverage` adds the low-coverage flag to any level × year table (the
report's document counts, a trajectory table).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from zhengce.common.outputs import save_figure, write_table
from zhengce.corpus.availability import availability, survival_figure
from zhengce.corpus.coverage import LOW_COVERAGE, coverage_figure, sequence_coverage

CELL_COLUMNS = ["level", "year", "n_series", "n_seen", "est_size", "coverage", "low_coverage"]


@dataclass
class CoverageSection:
    """What the section shows. ``tables`` / ``figures``: name -> {format: path} (as the report's
    ``files`` manifest keeps them); ``cells``: sequence coverage per level × 发文字号 year with
    ``low_coverage`` (coverage < ``LOW_COVERAGE``); ``lines``: the section's sentences;
    ``has_availability``: some URL was crawled (the availability tables exist)."""

    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    figures: dict[str, dict[str, str]] = field(default_factory=dict)
    cells: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CELL_COLUMNS))
    lines: list[str] = field(default_factory=list)
    has_availability: bool = False
    context: dict[str, Any] = field(default_factory=dict)


def coverage_cells(series: pd.DataFrame, low: float = LOW_COVERAGE) -> pd.DataFrame:
    """Sequence coverage per level × year (series with a year and a level)."""
    frame = series.dropna(subset=["year", "level"])
    if frame.empty:
        return pd.DataFrame(columns=CELL_COLUMNS)
    cells = frame.groupby(["level", "year"], sort=True).agg(
        n_series=("prefix", "size"), n_seen=("n_seen", "sum"),
        est_size=("est_size", "sum")).reset_index()
    cells["year"] = cells["year"].astype(int)
    cells["coverage"] = (cells["n_seen"] / cells["est_size"]).round(4)
    cells["low_coverage"] = cells["coverage"] < low
    return cells[CELL_COLUMNS]


def mark_low_coverage(table: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """``table`` (columns level, year, ...) with ``coverage`` and ``low_coverage`` added from
    ``cells``; cells without numbered documents get coverage NaN and low_coverage False."""
    keyed = cells[["level", "year", "coverage", "low_coverage"]].copy()
    left = table.copy()
    year = pd.to_numeric(left["year"], errors="coerce")
    left["_year"] = year.astype("Int64")
    keyed["_year"] = keyed.pop("year").astype("Int64")
    out = left.merge(keyed, on=["level", "_year"], how="left").drop(columns="_year")
    out["low_coverage"] = out["low_coverage"].fillna(False).astype(bool)
    return out


def coverage_section(store, tab_dir: str | Path, fig_dir: str | Path, *, dpi: int = 200,
                     low: float = LOW_COVERAGE) -> CoverageSection:
    """Compute and write the completeness section's tables and figures (see module docstring)."""
    section = CoverageSection()
    conn = store.db.conn
    cov = sequence_coverage(conn)
    section.cells = coverage_cells(cov.series, low)
    tables = {"coverage_series": (cov.series, "Coverage of each 发文字号 series"),
              "coverage_level_year": (section.cells, "Sequence coverage per level and 发文字号 "
                                                     f"year (low: below {low:.0%})"),
              "coverage_by_issuer": (cov.by_issuer, "Sequence coverage by issuer"),
              "coverage_by_source": (cov.by_source, "Numbered documents per source"),
              "gaps": (cov.gaps, "Missing document numbers")}
    for name, (frame, caption) in tables.items():
        section.tables[name] = _paths(write_table(frame, tab_dir, name, caption=caption))
    section.figures["coverage_by_year"] = _paths(save_figure(coverage_figure(cov), fig_dir,
                                                             "coverage_by_year", dpi=dpi))
    section.lines.append(cov.line())
    n_low = int(section.cells["low_coverage"].sum())
    if n_low:
        section.lines.append(f"{n_low} level × year cells have sequence coverage below {low:.0%}: "
                             "read their trajectories as what was collected, not what was issued.")
    avail = availability(conn)
    section.has_availability = len(avail.documents) > 0
    if section.has_availability:
        for name, frame, caption in (
                ("availability_by_level", avail.by_level, "No longer available, by level"),
                ("availability_by_year", avail.by_year, "No longer available, by publication year"),
                ("availability_by_age", avail.by_age, "No longer available, by age"),
                ("availability_survival", avail.survival, "Survival of documents online")):
            section.tables[name] = _paths(write_table(frame, tab_dir, name, caption=caption))
        section.figures["availability_survival"] = _paths(save_figure(
            survival_figure(avail), fig_dir, "availability_survival", dpi=dpi))
        section.lines.append(avail.line())
    section.context = {"series": cov.series, "by_year": cov.by_year, "by_level": cov.by_level,
                       "cells": section.cells, "availability_by_level": avail.by_level,
                       "survival": avail.survival, "low": low}
    return section


def _paths(paths: dict[str, Path]) -> dict[str, str]:
    return {k: str(v) for k, v in paths.items()}
