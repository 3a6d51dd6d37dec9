"""Issue 13, property-based fuzzing (Hypothesis) of the loaders and the tagging parsers.

Arbitrary Unicode — lone surrogates, NUL and other controls, bidi marks, full-width forms,
Traditional characters — and arbitrary shapes (types, duplicates, broken lines). The
properties: no exception escapes (a parser returns a value or None; a loader stores or rejects),
and every record read is counted exactly once: stored + updated + unchanged + duplicates +
rejected = read, with the documents and rejects in the store matching those counts.

Example counts are modest and derandomized, so the suite is quick and the same in CI.
"""

from __future__ import annotations

import csv
import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhengce.corpus.gazetteer import Gazetteer
from zhengce.corpus.loaders import load_path
from zhengce.corpus.store import Store
from zhengce.corpus.tag import tag_fields
from zhengce.corpus.tagging import (find_dates, parse_date, parse_date_iso, parse_doc_number,
                                    parse_issuers, split_issuers, issuers_from_title)

FUZZ = settings(max_examples=80, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])
PARSERS = settings(max_examples=500, deadline=None, derandomize=True, database=None)

#: characters a hostile or broken source delivers
HOSTILE = st.sampled_from(list(
    "\x00\x01\x07\x08\x0b\x0c\x1b\x1f\x7f\t\n\r \u00a0\u200b\u200e\u200f\u202a\u202e\u2066\u3000"
    "\ufeff\ufffd\ud800\udbff\udc00\udfff"
    "ＡＢＣ０１２３（）〔〕［］【】《》，。、；：“”‘’"
    "國務院關於發佈辦法號令財經貿濟"
    "国务院办公厅关于印发通知意见号第年月日〔〕发改委财政部省市县"
    "0123456789-/.年月日号第字"
    "é\u0301𠀀🚀"))
TEXTS = st.one_of(st.text(max_size=60), st.text(alphabet=HOSTILE, max_size=60),
                  st.lists(st.one_of(st.text(max_size=8), st.text(alphabet=HOSTILE, max_size=8)),
                           max_size=8).map("".join))
VALUES = st.one_of(TEXTS, st.none(), st.integers(), st.floats(allow_nan=True), st.booleans(),
                   st.lists(st.text(max_size=5), max_size=3),
                   st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
RECORDS = st.fixed_dictionaries(
    {"id": st.one_of(st.sampled_from(["a", "b", "c"]), TEXTS)},
    optional={"title": VALUES, "text": VALUES, "issuer": VALUES, "doc_number": VALUES,
              "issued_date": VALUES})

GAZ = Gazetteer.default()
_STORES: dict[str, Store] = {}
_SOURCES = iter(range(10**9))


def _store(tmp_path_factory, name: str) -> Store:
    """One store per fuzzed loader (each example loads under a source name of its own)."""
    if name not in _STORES:
        _STORES[name] = Store.open(tmp_path_factory.mktemp(name) / "fuzz.db")
    return _STORES[name]


def _load(store: Store, path, **kwargs):
    """Load ``path`` as a new source; check conservation: every record read is counted once,
    and the store holds what was counted."""
    source = f"fuzz{next(_SOURCES)}"
    report = load_path(store, path, source=source, n_jobs=1, progress=False, **kwargs)
    assert report.seen == (report.stored + report.updated + report.unchanged + report.duplicates
                           + report.rejected)
    stored = store.count("documents", "source = ?", [source])
    linked = store.count("document_sources", "source = ? and relation = 'duplicate'", [source])
    assert (stored, linked) == (report.stored, report.duplicates)
    # identical rejects are stored once; every other reject is there with its reason
    assert 0 < store.count("rejects", "source = ?", [source]) <= report.rejected or report.rejected == 0
    return report


def _jsonl_line(record: dict) -> bytes:
    # json.dumps escapes lone surrogates (valid JSON), as a hostile file would carry them
    return json.dumps(record, ensure_ascii=True).encode() + b"\n"


@FUZZ
@given(records=st.lists(RECORDS, min_size=1, max_size=8),
       junk=st.lists(st.binary(max_size=20), max_size=2))
def test_jsonl_loader_stores_or_rejects_every_line(records, junk, tmp_path_factory):
    path = tmp_path_factory.mktemp("j") / "in.jsonl"
    lines = [_jsonl_line({"id": "0", "title": "标题", "text": "正文", "issuer": "国务院"})]
    lines += [_jsonl_line(r) for r in records]
    lines += [j.replace(b"\n", b" ") + b"\n" for j in junk]
    path.write_bytes(b"".join(lines))
    # with the id column, and without (the id is then a hash of the content)
    overrides = ["id=id", "issuer=issuer"] if len(records) % 2 else ["issuer=issuer"]
    report = _load(_store(tmp_path_factory, "jsonl"), path, overrides=overrides, encoding="utf-8")
    assert report.seen == sum(1 for line in lines if line.strip())


@FUZZ
@given(rows=st.lists(st.tuples(TEXTS, TEXTS, TEXTS), min_size=1, max_size=8))
def test_csv_loader_stores_or_rejects_every_row(rows, tmp_path_factory):
    path = tmp_path_factory.mktemp("c") / "in.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["title", "text", "issuer"])
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8", "surrogatepass"))
    report = _load(_store(tmp_path_factory, "csv"), path, overrides=["issuer=issuer"],
                   encoding="utf-8")
    assert report.seen == sum(1 for row in rows if any(v.strip() for v in row))  # blank: no record


@FUZZ
@given(files=st.dictionaries(st.text(alphabet="abc文件", min_size=1, max_size=6),
                             st.tuples(st.sampled_from([".txt", ".html", ".md"]),
                                       st.one_of(TEXTS.map(lambda t: t.encode("utf-8", "surrogatepass")),
                                                 st.binary(max_size=60))),
                             min_size=1, max_size=5))
def test_folder_loader_stores_or_rejects_every_file(files, tmp_path_factory):
    folder = tmp_path_factory.mktemp("f") / "docs"
    folder.mkdir()
    for stem, (suffix, data) in files.items():
        (folder / (stem + suffix)).write_bytes(data)
    report = _load(_store(tmp_path_factory, "folder"), folder)
    assert report.seen == len(files)


@FUZZ
@given(fields=st.fixed_dictionaries({}, optional={
    "title": TEXTS, "text": TEXTS, "issuer": TEXTS, "doc_number": TEXTS, "issued_date": TEXTS,
    "published_date": TEXTS, "doc_type": TEXTS, "validity": TEXTS, "level": TEXTS,
    "province": TEXTS}))
def test_tag_fields_never_raises(fields):
    tagged, sectors = tag_fields(fields)
    assert isinstance(tagged, dict) and isinstance(sectors, list)


@PARSERS
@given(TEXTS)
def test_date_parsers_never_raise(s):
    d = parse_date(s)
    assert d is None or 1 <= d.year <= 9999
    iso = parse_date_iso(s)
    assert iso is None or len(iso) == 10
    for found, (start, end) in find_dates(s):
        assert 0 <= start <= end <= len(s)


@PARSERS
@given(TEXTS)
def test_doc_number_parser_never_raises(s):
    number = parse_doc_number(s)
    assert number is None or isinstance(number.raw, str)


@PARSERS
@given(TEXTS)
def test_issuer_parsers_never_raise(s):
    assert isinstance(split_issuers(s), list)
    parse_issuers(s)
    assert isinstance(issuers_from_title(s), list)


@PARSERS
@given(TEXTS, st.one_of(st.none(), st.integers(min_value=1900, max_value=2100)))
def test_gazetteer_never_raises(s, year):
    GAZ.resolve_issuer(s, year)
    for mention in GAZ.find_places(s):
        assert mention is not None
    GAZ.agency_for_doc_number_prefix(s, year)
