"""Exports (CSV / JSONL / Parquet, filters, codebook, datapackage, R, Datasette) and the CLI shell."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from zhengce.common.errors import UserError
from zhengce.corpus.export import ExportFilter, datasette_metadata, export_documents
from zhengce.corpus.loaders import load_path

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"


@pytest.fixture
def loaded(store):
    load_path(store, FIX / "pkulaw_sample.csv", mapping="pkulaw", progress=False)
    load_path(store, FIX / "gbk_sample.csv", progress=False)
    return store


def test_csv_export_with_level_filter(loaded, tmp_path):
    out = tmp_path / "central.csv"
    result = export_documents(loaded, tmp_path, name="central", flt=ExportFilter(levels=["central"]))
    assert result["rows"] == 1
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["title"] for r in rows] == ["国务院关于加快振兴装备制造业的若干意见"]
    assert rows[0]["period"] == "post" and rows[0]["year"] == "2006"
    package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    fields = {f["name"]: f for f in package["resources"][0]["schema"]["fields"]}
    assert fields["level"]["constraints"]["enum"] == ["central", "provincial", "local"]
    assert package["resources"][0]["path"] == "central.csv"
    codebook = (tmp_path / "codebook.md").read_text(encoding="utf-8")
    assert "| level | string | Administrative level of the issuer |" in codebook


def test_region_year_and_jsonl(loaded, tmp_path):
    out = tmp_path / "zj.jsonl"
    export_documents(loaded, tmp_path, fmt="jsonl", name="zj",
                     flt=ExportFilter(regions=["330000"], year_from=2010, year_to=2015))
    titles = [json.loads(line)["title"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert titles == ["杭州市人民政府关于加快集成电路产业发展的实施意见"]


def test_parquet_and_r_friendly(loaded, tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "all.parquet"
    assert export_documents(loaded, tmp_path, fmt="parquet", name="all")["rows"] == 4
    table = pq.read_table(out)
    assert table.num_rows == 4 and "text" in table.column_names
    r_out = tmp_path / "stm.csv"
    export_documents(loaded, tmp_path, name="stm", r_friendly=True, flt=ExportFilter(levels=["local"]))
    with open(r_out, encoding="utf-8-sig", newline="") as fh:
        rows = {r["title"]: r for r in csv.DictReader(fh)}
    hz = rows["杭州市人民政府关于加快集成电路产业发展的实施意见"]
    assert "text" not in hz
    assert "集成电路" in hz["segmented_text"].split()
    assert hz["period"] == "post"


def test_bad_export_requests(loaded, tmp_path):
    with pytest.raises(UserError, match="choose --format csv, jsonl or parquet"):
        export_documents(loaded, tmp_path, fmt="xls")
    with pytest.raises(UserError, match="--level regional"):
        export_documents(loaded, tmp_path, flt=ExportFilter(levels=["regional"]))


def test_datasette_metadata_facets_and_search(loaded):
    meta = datasette_metadata(loaded)
    docs = next(iter(meta["databases"].values()))["tables"]["documents"]
    assert docs["facets"] == ["level", "province", "year", "agency_id", "doc_type"]
    assert (docs["fts_table"], docs["fts_pk"]) == ("search_index_fts", "rowid")
    # column descriptions folded under the description, so the search box comes first
    assert "columns" not in docs and "description" not in docs
    assert docs["description_html"].startswith("<p>One row per document;")
    assert '<details class="column-descriptions"><summary>Column descriptions (' in docs["description_html"]
    assert "<dt>doc_number</dt>" in docs["description_html"]
    # the FTS rowid is the document's rowid, so Datasette's search joins correctly
    rows = loaded.db.execute(
        "select d.title from documents d where d.rowid in "
        "(select rowid from search_index_fts where search_index_fts match '\"专项资金\"')").fetchall()
    assert rows == [("杭州市人民政府关于加快集成电路产业发展的实施意见",)]


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "zhengce", *args], capture_output=True,
                          text=True, cwd=cwd)


def test_cli_load_stats_search(tmp_path):
    db = str(tmp_path / "cli.db")
    res = _cli("load", str(FIX / "pkulaw_sample.csv"), "--mapping", "pkulaw", "--db", db)
    assert res.returncode == 0, res.stderr
    assert "stored 3 (60.0%)" in res.stdout and "rejected 2 (40.0%)" in res.stdout
    res = _cli("stats", "--db", db)
    assert res.returncode == 0 and "3 documents from 1 source(s)" in res.stdout
    res = _cli("search", "装备制造业", "--db", db, "--level", "provincial")
    assert "浙江省人民政府关于进一步加快发展装备制造业的若干意见" in res.stdout
    assert "1 result(s)" in res.stdout
    res = _cli("runs", "--db", db, "--stage", "load")
    assert res.returncode == 0, res.stderr
    (line,) = res.stdout.splitlines()       # one line per run
    head, memory = line.split("  [", 1)
    assert head.startswith("load-") and '"stored": 3' in head and "peak_memory" not in head
    # a 5-row load runs in this process (no workers) and may not raise its high-water mark
    assert re.fullmatch(r"peak memory \(VmHWM\): main (<= )?[\d,]+ MB"
                        r"( \(peak set before this stage\))?\]", memory), memory


def test_cli_user_mistakes_are_one_line(tmp_path):
    res = _cli("load", str(tmp_path / "nope.csv"), "--db", str(tmp_path / "x.db"))
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [f"Error: {tmp_path / 'nope.csv'} does not exist: check the path"]
    res = _cli("stats", "--db", str(tmp_path / "missing.db"))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "no corpus database at" in res.stderr


def _leaves(cmd, ctx, path):
    import click

    if isinstance(cmd, click.Group):
        for sub in cmd.list_commands(ctx):
            child = cmd.get_command(ctx, sub)
            yield from _leaves(child, click.Context(child, info_name=sub, parent=ctx), f"{path} {sub}")
    else:
        yield path, cmd, ctx


def test_every_command_help_has_an_example():
    import click

    from zhengce.cli import cli, command_specs

    root = click.Context(cli, info_name="zhengce")
    for name in command_specs():
        cmd = cli.get_command(root, name)
        assert cmd is not None, f"zhengce {name} is not importable"
        for path, leaf, ctx in _leaves(cmd, click.Context(cmd, info_name=name, parent=root), name):
            text = leaf.get_help(ctx)
            assert "zhengce " in text and "xample" in text, f"zhengce {path}: no runnable example in --help"
