"""Sequence coverage: how complete each 发文字号 series is, and which numbers are missing.

A 发文字号 series is one prefix and one year (国发〔2001〕1号, 2号, …; order numbers such as
国务院令第260号 run across years: their series is the prefix alone, year empty). Issuers number
their documents consecutively from 1, so within a series the serials seen, the highest serial and
the numbers in between that the corpus lacks say how complete the corpus is — the count of
documents that *should* exist, as one walks the sequence.

Two estimators of the missing documents, named in every table (column ``estimator``):

``max_serial``  the highest serial seen is taken as the size of the series: missing =
                max_serial − serials seen (exactly the gaps). It cannot see documents numbered
                after the last one held, so it is a lower bound.
``chapman``     when two sources overlap in a series (``document_sources``: the same document
                from two sources, or the same number held by documents of two sources), the
                Chapman form of the Lincoln–Petersen capture–recapture estimate
                N̂ = (n₁+1)(n₂+1)/(m+1) − 1, with n₁, n₂ the serials each of the two largest sources
                holds and m those both hold; missing = max(N̂, max_serial) − serials seen. It
                assumes the two sources miss documents independently.

A serial is counted once however many documents and sources hold it (cross-source identity by
number within the series); the gaps table says what ``zhengce crawl --gaps`` found for each
missing number (``gap_fill``: found, absent, failed; empty: not searched yet); the ``sources``
column names the sources that hold some of it, and
``n_documents`` counts documents matched across sources (:mod:`.identity`) once.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from zhengce.common.errors import UserError

from .identity import canonical_ids

#: a series whose coverage (serials seen / estimated size) is below this is marked low
LOW_COVERAGE = 0.8
#: series with a higher serial are not expanded into gap rows (a misparsed number, or a running
#: order series far longer than the corpus): their gaps are counted, not listed
MAX_LISTED_SERIAL = 5000

SERIES_COLUMNS = ["prefix", "year", "issuer", "level", "n_documents", "n_seen", "min_serial",
                  "max_serial", "n_gaps", "gaps", "sources", "n_sources", "overlap",
                  "estimator", "est_size", "est_missing", "coverage", "low_coverage"]
GAP_COLUMNS = ["prefix", "year", "serial", "doc_number", "issuer", "level", "gap_fill"]


@dataclass
class Coverage:
    """The tables of one coverage run (see :func:`sequence_coverage`)."""

    series: pd.DataFrame
    gaps: pd.DataFrame
    by_year: pd.DataFrame
    by_level: pd.DataFrame
    by_issuer: pd.DataFrame
    by_source: pd.DataFrame
    params: dict = field(default_factory=dict)

    def line(self) -> str:
        s = self.series
        seen = int(s["n_seen"].sum()) if len(s) else 0
        missing = float(s["est_missing"].sum()) if len(s) else 0.0
        return (f"coverage: {len(s):,} 发文字号 series, {seen:,} numbers seen, "
                f"{int(s['n_gaps'].sum()) if len(s) else 0:,} gaps, about {missing:,.0f} documents "
                f"missing; {int(s['low_coverage'].sum()) if len(s) else 0:,} series below "
                f"{LOW_COVERAGE:.0%} coverage")


def parse_years(text: str | None) -> tuple[int, int] | None:
    """``1995-2010`` or ``2001`` -> (first, last); None for no filter."""
    if not text:
        return None
    first, sep, last = text.partition("-")
    try:
        lo, hi = int(first), int(last if sep else first)
    except ValueError as exc:
        raise UserError(f"--years {text!r}: write FIRST-LAST, e.g. --years 1995-2010") from exc
    if lo > hi:
        raise UserError(f"--years {text!r}: the first year is after the last")
    return lo, hi


def format_number(prefix: str, year: int | None, serial: int, style: str) -> str:
    """The normalized spelling of a number in a series (as corpus.tagging writes it)."""
    if year is None:
        return f"{prefix}第{serial}号"
    if style == "announcement":
        return f"{prefix}{year}年第{serial}号"
    return f"{prefix}〔{year}〕{serial}号"


def chapman(n1: int, n2: int, m: int) -> float:
    """Chapman's bias-corrected Lincoln–Petersen estimate of a population's size."""
    return (n1 + 1) * (n2 + 1) / (m + 1) - 1


def _read_numbers(db, prefixes: list[str] | None, years: tuple[int, int] | None) -> pd.DataFrame:
    sql = ("select d.doc_id, d.doc_number, d.doc_number_prefix as prefix, "
           "d.doc_number_year as year, d.doc_number_serial as serial, d.agency_id, d.level, "
           "coalesce(s.source, d.source) as source "
           "from documents d left join document_sources s on s.doc_id = d.doc_id "
           "where d.doc_number_serial is not null and d.doc_number_prefix is not null")
    params: list = []
    if prefixes:
        sql += f" and d.doc_number_prefix in ({','.join('?' * len(prefixes))})"
        params += prefixes
    if years:
        sql += " and d.doc_number_year between ? and ?"
        params += list(years)
    frame = pd.DataFrame(list(db.execute(sql, params).fetchall()),
                         columns=["doc_id", "doc_number", "prefix", "year", "serial", "agency_id",
                                  "level", "source"])
    # one document held by several sources (corpus.identity) is counted once
    canonical = canonical_ids(db)
    frame["document"] = [canonical.get(d, d) for d in frame["doc_id"]]
    return frame


def _gap_fills(db) -> dict[str, str]:
    """The latest ``crawl --gaps`` outcome per missing number (found / absent / failed)."""
    try:
        rows = db.execute("select doc_number, outcome from gap_fills order by checked_at").fetchall()
    except sqlite3.OperationalError:
        return {}  # a database opened without the store's migrations
    return dict(rows)


def _style(doc_numbers: pd.Series) -> str:
    sample = next((str(n) for n in doc_numbers if n), "")
    return "announcement" if ("年第" in sample and "〔" not in sample) else "bracket"


def _most_common(values) -> str | None:
    counts = Counter(v for v in values if v)
    return counts.most_common(1)[0][0] if counts else None


def _series_row(prefix: str, year: int | None, rows: pd.DataFrame) -> tuple[dict, list[dict]]:
    """One series' row and its gap rows."""
    from .tagging.doc_numbers import doc_number_issuer_prefix

    holders: dict[int, set[str]] = defaultdict(set)
    for serial, source in zip(rows["serial"], rows["source"]):
        holders[int(serial)].add(source)
    seen = sorted(holders)
    top = max(seen)
    missing = sorted(set(range(1, top + 1)) - set(seen))
    per_source = Counter(s for sources in holders.values() for s in sources)
    est_size, estimator, overlap = float(top), "max_serial", 0
    if len(per_source) >= 2:
        (s1, n1), (s2, n2) = per_source.most_common(2)
        overlap = sum(1 for sources in holders.values() if s1 in sources and s2 in sources)
        if overlap:
            est_size, estimator = max(chapman(n1, n2, overlap), float(top)), "chapman"
    issuer = _most_common(rows["agency_id"]) or doc_number_issuer_prefix(prefix)
    level = _most_common(rows["level"])
    coverage = len(seen) / est_size if est_size else 1.0
    style = _style(rows["doc_number"])
    row = {"prefix": prefix, "year": year, "issuer": issuer, "level": level,
           "n_documents": int(rows["document"].nunique()), "n_seen": len(seen),
           "min_serial": seen[0], "max_serial": top, "n_gaps": len(missing),
           "gaps": _ranges(missing) if top <= MAX_LISTED_SERIAL else f"{len(missing)} (not listed)",
           "sources": ",".join(sorted(per_source)), "n_sources": len(per_source),
           "overlap": overlap, "estimator": estimator, "est_size": round(est_size, 2),
           "est_missing": round(est_size - len(seen), 2), "coverage": round(coverage, 4),
           "low_coverage": bool(coverage < LOW_COVERAGE)}
    gaps = [] if top > MAX_LISTED_SERIAL else [
        {"prefix": prefix, "year": year, "serial": n, "issuer": issuer, "level": level,
         "doc_number": format_number(prefix, year, n, style)} for n in missing]
    return row, gaps


def _ranges(numbers: list[int]) -> str:
    """[3, 4, 5, 9] -> '3-5,9'."""
    out: list[str] = []
    start = prev = None
    for n in numbers:
        if start is None:
            start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = n
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ",".join(out)


def _aggregate(series: pd.DataFrame, by: str) -> pd.DataFrame:
    columns = [by, "n_series", "n_seen", "n_gaps", "est_size", "est_missing", "coverage",
               "n_low_coverage"]
    frame = series.dropna(subset=[by]) if by == "year" else series.fillna({by: "(unknown)"})
    if frame.empty:
        return pd.DataFrame(columns=columns)
    out = frame.groupby(by, sort=True).agg(
        n_series=("prefix", "size"), n_seen=("n_seen", "sum"), n_gaps=("n_gaps", "sum"),
        est_size=("est_size", "sum"), est_missing=("est_missing", "sum"),
        n_low_coverage=("low_coverage", "sum")).reset_index()
    out["coverage"] = (out["n_seen"] / out["est_size"]).round(4)
    if by == "year":
        out["year"] = out["year"].astype(int)
    return out[columns]


def _by_source(numbers: pd.DataFrame) -> pd.DataFrame:
    """How many numbered documents (distinct numbers) each source holds, and how many only it."""
    columns = ["source", "n_numbers", "n_only_here"]
    if numbers.empty:
        return pd.DataFrame(columns=columns)
    keys = numbers.assign(key=numbers["prefix"] + "|" + numbers["year"].astype(str) + "|"
                          + numbers["serial"].astype(str))
    holders = keys.groupby("key")["source"].agg(lambda s: set(s))
    counts: Counter = Counter()
    only: Counter = Counter()
    for sources in holders:
        for s in sources:
            counts[s] += 1
        if len(sources) == 1:
            only[next(iter(sources))] += 1
    return pd.DataFrame([{"source": s, "n_numbers": counts[s], "n_only_here": only[s]}
                         for s in sorted(counts)], columns=columns)


def sequence_coverage(db, *, prefixes: list[str] | None = None,
                      years: tuple[int, int] | None = None) -> Coverage:
    """Coverage of every 发文字号 series in the store's documents (``db``: a sqlite3 connection
    or sqlite-utils Database); ``prefixes`` / ``years`` restrict it (years: 发文字号 years)."""
    numbers = _read_numbers(db, prefixes, years)
    rows: list[dict] = []
    gaps: list[dict] = []
    numbers = numbers.assign(year_key=numbers["year"].fillna(-1).astype(int))
    for (prefix, year_key), group in numbers.groupby(["prefix", "year_key"], sort=True):
        row, gap_rows = _series_row(prefix, None if year_key < 0 else int(year_key), group)
        rows.append(row)
        gaps += gap_rows
    series = pd.DataFrame(rows, columns=SERIES_COLUMNS)
    series["year"] = series["year"].astype("Int64")
    fills = _gap_fills(db)
    gap_frame = pd.DataFrame([{**g, "gap_fill": fills.get(g["doc_number"])} for g in gaps],
                             columns=GAP_COLUMNS)
    gap_frame["year"] = gap_frame["year"].astype("Int64")
    return Coverage(series=series, gaps=gap_frame, by_year=_aggregate(series, "year"),
                    by_level=_aggregate(series, "level"), by_issuer=_aggregate(series, "issuer"),
                    by_source=_by_source(numbers),
                    params={"prefixes": prefixes, "years": list(years) if years else None,
                            "low_coverage": LOW_COVERAGE, "estimators": ["max_serial", "chapman"]})


def coverage_figure(coverage: Coverage):
    """Numbers seen and estimated missing per 发文字号 year (stacked bars)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.5))
    by_year = coverage.by_year
    if len(by_year):
        ax.bar(by_year["year"], by_year["n_seen"], label="numbers seen", color="#4c72b0")
        ax.bar(by_year["year"], by_year["est_missing"], bottom=by_year["n_seen"],
               label="estimated missing", color="#dd8452")
        ax.legend(frameon=False)
    ax.set_xlabel("year of the document number")
    ax.set_ylabel("documents")
    ax.set_title("Sequence coverage of numbered documents")
    return fig


def write_coverage(coverage: Coverage, out_dir: str | Path) -> dict[str, dict[str, Path]]:
    """Write every table (CSV, Markdown, LaTeX), ``gaps.csv`` (the input of ``crawl --gaps``),
    the figure and a manifest; return the paths by name."""
    from zhengce.common.outputs import save_figure, write_manifest, write_table

    out = Path(out_dir)
    paths = {
        "coverage_series": write_table(coverage.series, out, "coverage_series",
                                       caption="Coverage of each 发文字号 series"),
        "coverage_by_year": write_table(coverage.by_year, out, "coverage_by_year",
                                        caption="Sequence coverage by year"),
        "coverage_by_level": write_table(coverage.by_level, out, "coverage_by_level",
                                         caption="Sequence coverage by level"),
        "coverage_by_issuer": write_table(coverage.by_issuer, out, "coverage_by_issuer",
                                          caption="Sequence coverage by issuer"),
        "coverage_by_source": write_table(coverage.by_source, out, "coverage_by_source",
                                          caption="Numbered documents per source"),
        "gaps": write_table(coverage.gaps, out, "gaps", caption="Missing document numbers"),
        "coverage_by_year_figure": save_figure(coverage_figure(coverage), out,
                                               "coverage_by_year"),
    }
    write_manifest(out, {"stage": "coverage", "params": coverage.params,
                         "summary": coverage.line(),
                         "files": {k: {f: str(p) for f, p in v.items()} for k, v in paths.items()}},
                   name="coverage_manifest.json")
    return paths
