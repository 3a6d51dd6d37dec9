"""Targeted gap filling: ``zhengce crawl --sites govcn --gaps DIR/gaps.csv``.

``gaps.csv`` is what ``zhengce coverage`` writes: one missing 发文字号 per row (prefix, year,
serial, doc_number). The gov.cn policy library is searched for each number with its
document-number filters — ``pcodeJiguan`` (the prefix), ``pcodeYear``, ``pcodeNum`` — in both
libraries (国务院文件, 国务院部门文件); a result whose ``pcode`` is that number is fetched and
stored like any crawled document. Each gap's outcome is a row of ``gap_fills``: ``found`` (with
the document's URL; ``crawl_state`` says whether it was stored), ``absent`` (both libraries
answered, neither has the number) or ``failed`` (a library did not answer).
"""

from __future__ import annotations

import csv
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from zhengce.common.errors import UserError


@dataclass
class Gap:
    prefix: str
    year: int | None
    serial: int
    doc_number: str
    answers: int = 0                  # libraries that answered
    failures: int = 0
    urls: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.doc_number


def read_gaps(path: str | Path) -> list[Gap]:
    """The gaps of a ``gaps.csv`` (columns prefix, year, serial, doc_number)."""
    target = Path(path)
    if not target.exists():
        raise UserError(f"--gaps {target}: no such file; write it with zhengce coverage --out DIR "
                        "(DIR/gaps.csv)")
    with target.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"prefix", "year", "serial", "doc_number"} - set(reader.fieldnames or [])
        if missing:
            raise UserError(f"--gaps {target}: columns {', '.join(sorted(missing))} are missing; "
                            "give the gaps.csv that zhengce coverage writes")
        gaps = []
        for row in reader:
            year = row["year"].strip()
            gaps.append(Gap(row["prefix"].strip(), int(float(year)) if year else None,
                            int(float(row["serial"])), row["doc_number"].strip()))
    return gaps


def same_number(pcode: str | None, gap: Gap) -> bool:
    """The search result's 发文字号 is the gap's number (however it is bracketed)."""
    from zhengce.corpus.tagging import parse_doc_number

    parsed = parse_doc_number(pcode) if pcode else None
    return parsed is not None and (parsed.prefix, parsed.year, parsed.serial) == (
        gap.prefix, gap.year, gap.serial)


def outcome_of(gap: Gap) -> str:
    if gap.urls:
        return "found"
    return "failed" if gap.failures else "absent"


def record_gaps(db_path: str, gaps: list[Gap], *, checked_at: str) -> dict[str, int]:
    """Write every gap's outcome to ``gap_fills`` (one row per number and check date)."""
    counts: dict[str, int] = {}
    conn = sqlite3.connect(db_path, timeout=60)
    try:
        with conn:
            for gap in gaps:
                outcome = outcome_of(gap)
                counts[outcome] = counts.get(outcome, 0) + 1
                conn.execute(
                    "insert or replace into gap_fills (doc_number, prefix, year, serial, "
                    "checked_at, outcome, url, source) values (?, ?, ?, ?, ?, ?, ?, 'govcn')",
                    [gap.doc_number, gap.prefix, gap.year, gap.serial, checked_at, outcome,
                     gap.urls[0] if gap.urls else None])
    finally:
        conn.close()
    return counts
