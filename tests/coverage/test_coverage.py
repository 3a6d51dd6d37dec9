"""Sequence coverage: exactly the planted gaps, the estimators, the command, LawRefBook."""

from __future__ import annotations

import gzip
import sqlite3
import subprocess
import sys

import pandas as pd
import pytest

from coverage_helpers import KNOWN_GAPS, SERIES, build_store
from zhengce.corpus.coverage import chapman, parse_years, sequence_coverage
from zhengce.common.errors import UserError


def _coverage(path, **kw):
    conn = sqlite3.connect(path)
    try:
        return sequence_coverage(conn, **kw)
    finally:
        conn.close()


def test_reports_exactly_the_missing_serials(gapped_db):
    result = _coverage(gapped_db)
    found = {(p, int(y)): sorted(g["serial"]) for (p, y), g in result.gaps.groupby(["prefix", "year"])}
    assert found == {k: v for k, v in KNOWN_GAPS.items() if v}
    series = result.series.set_index(["prefix", "year"])
    for (prefix, year), serials in SERIES.items():
        row = series.loc[(prefix, year)]
        assert row["n_seen"] == len(serials)
        assert row["max_serial"] == max(serials)
        assert row["n_gaps"] == len(KNOWN_GAPS[(prefix, year)])
        assert row["estimator"] == "max_serial"
        assert row["est_missing"] == len(KNOWN_GAPS[(prefix, year)])
    assert series.loc[("国发", 2001), "gaps"] == "4,7-8"
    assert not series.loc[("国办发", 2001), "low_coverage"]
    assert series.loc[("国发", 2002), "low_coverage"]
    assert set(result.gaps["doc_number"]) >= {"国发〔2001〕4号", "财税〔2003〕11号"}


def test_filters_and_aggregates(gapped_db):
    result = _coverage(gapped_db, prefixes=["国发"], years=(2001, 2001))
    assert list(zip(result.series["prefix"], result.series["year"])) == [("国发", 2001)]
    whole = _coverage(gapped_db)
    by_year = whole.by_year.set_index("year")
    assert by_year.loc[2001, "n_seen"] == 11 and by_year.loc[2001, "n_gaps"] == 3
    assert by_year.loc[2003, "coverage"] == pytest.approx(6 / 12)
    assert whole.by_level.set_index("level").loc["central", "n_gaps"] == 13
    assert set(whole.by_issuer["issuer"]) == set(whole.series["issuer"])
    assert parse_years("1995-2010") == (1995, 2010) and parse_years("2001") == (2001, 2001)
    with pytest.raises(UserError, match="FIRST-LAST"):
        parse_years("late nineties")


def test_two_overlapping_sources_use_chapman(tmp_path):
    path = tmp_path / "two.db"
    build_store(path, {("国发", 2010): [1, 2, 3, 4, 5, 6]}, source="govcn")
    build_store(path, {("国发", 2010): [4, 5, 6, 7, 8, 9]}, source="pkulaw")
    result = _coverage(path)
    row = result.series.iloc[0]
    assert row["estimator"] == "chapman" and row["overlap"] == 3 and row["n_seen"] == 9
    expected = chapman(6, 6, 3)
    assert expected == pytest.approx(7 * 7 / 4 - 1)
    assert row["est_size"] == pytest.approx(expected, abs=0.01)
    assert row["est_missing"] == pytest.approx(expected - 9, abs=0.01)
    assert row["sources"] == "govcn,pkulaw"
    # a number held by both sources is counted once
    by_source = result.by_source.set_index("source")
    assert by_source.loc["govcn", "n_numbers"] == 6 and by_source.loc["govcn", "n_only_here"] == 3


def test_command_writes_tables_gaps_and_figure(gapped_db, tmp_path):
    out = tmp_path / "cov"
    run = subprocess.run([sys.executable, "-m", "zhengce", "coverage", "--db", str(gapped_db),
                          "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "13 gaps" in run.stdout
    for name in ("coverage_series", "coverage_by_year", "coverage_by_level", "coverage_by_issuer",
                 "gaps"):
        for ext in ("csv", "md", "tex"):
            assert (out / f"{name}.{ext}").exists()
    assert (out / "coverage_by_year.png").exists()
    gaps = pd.read_csv(out / "gaps.csv")
    assert len(gaps) == sum(len(v) for v in KNOWN_GAPS.values())
    bad = subprocess.run([sys.executable, "-m", "zhengce", "coverage", "--db", str(gapped_db),
                          "--years", "x", "--out", str(out)], capture_output=True, text=True)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr


@pytest.mark.shared
@pytest.mark.slow
def test_runs_on_the_lawrefbook_corpus(lawrefbook_path, tmp_path):
    """A sample of LawRefBook (the first 1,500 records): the command runs and its counts agree
    with the documents' parsed numbers."""
    from zhengce.corpus.coverage import write_coverage
    from zhengce.corpus.loaders import load_path
    from zhengce.corpus.store import Store

    sample = tmp_path / "lawrefbook.jsonl.gz"
    with gzip.open(lawrefbook_path, "rt", encoding="utf-8") as src, \
            gzip.open(sample, "wt", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i >= 1500:
                break
            dst.write(line)
    db = tmp_path / "law.db"
    with Store.open(db) as store:
        load_path(store, sample, fmt="lawrefbook", progress=False, n_jobs=1)
        result = sequence_coverage(store.db.conn)
        numbers = store.db.execute(
            "select count(distinct doc_number_prefix || '|' || coalesce(doc_number_year, '') || '|'"
            " || doc_number_serial) from documents where doc_number_serial is not null").fetchone()[0]
    assert int(result.series["n_seen"].sum()) == numbers
    paths = write_coverage(result, tmp_path / "out")
    assert paths["coverage_series"]["md"].exists() and paths["gaps"]["csv"].exists()
