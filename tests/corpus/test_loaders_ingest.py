"""Loaders and ingest on tiny hand-made files with literal expectations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zhengce.common.errors import UserError
from zhengce.corpus.ingest import make_doc_id
from zhengce.corpus.loaders import Mapping, load_path
from zhengce.corpus.store import Store

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"

HANGZHOU_TEXT = "各区、县（市）人民政府：对集成电路设计企业给予专项资金扶持。"


def _doc(store: Store, title: str) -> dict:
    rows = list(store.db.query("select * from documents where title = ?", [title]))
    assert len(rows) == 1, f"expected one document titled {title}"
    return rows[0]


def test_pkulaw_csv_stores_good_rows_and_rejects_bad_ones(store):
    report = load_path(store, FIX / "pkulaw_sample.csv", mapping="pkulaw", progress=False)
    assert (report.seen, report.stored, report.rejected, report.warnings) == (5, 3, 2, 1)

    central = _doc(store, "国务院关于加快振兴装备制造业的若干意见")
    assert central["level"] == "central"
    assert central["doc_number_prefix"] == "国发"
    assert (central["doc_number_year"], central["doc_number_serial"]) == (2006, 8)
    assert central["published_date"] == "2006-02-13"
    assert central["effective_date"] == "2006-02-13"
    assert central["year"] == 2006
    assert central["validity"] == "有效"
    assert central["source"] == "pkulaw" and central["source_id"] == "CLI.2.73150"
    assert central["doc_id"] == make_doc_id("pkulaw", "CLI.2.73150")

    zhejiang = _doc(store, "浙江省人民政府关于进一步加快发展装备制造业的若干意见")
    assert (zhejiang["level"], zhejiang["province_code"]) == ("provincial", "330000")
    assert zhejiang["published_date"] == "2006-11-20"

    binzhou = _doc(store, "日期写错的文件")
    assert (binzhou["level"], binzhou["prefecture_code"], binzhou["province_code"]) == ("local", "371600", "370000")
    assert binzhou["published_date"] is None  # 2月30日 does not exist
    assert json.loads(binzhou["warnings"]) == ["published_date not parsed: '2010年2月30日'"]

    reasons = sorted(r["reason"] for r in store.db.query("select reason from rejects"))
    assert reasons == ["11 fields where the header has 10", "empty text: the record has no document body"]
    refs = sorted(r["record_ref"] for r in store.db.query("select record_ref from rejects"))
    assert refs[0].endswith("pkulaw_sample.csv:4") and refs[1].endswith("pkulaw_sample.csv:5")
    # raw records are kept for every record that reached the ingestor, including the empty one
    assert store.count("raw_records") == 4


def test_reloading_changes_nothing(store):
    load_path(store, FIX / "pkulaw_sample.csv", mapping="pkulaw", progress=False)
    before = list(store.db.query("select doc_id, updated_at, text_hash from documents order by doc_id"))
    again = load_path(store, FIX / "pkulaw_sample.csv", mapping="pkulaw", progress=False)
    assert (again.stored, again.updated, again.unchanged, again.rejected) == (0, 0, 3, 2)
    after = list(store.db.query("select doc_id, updated_at, text_hash from documents order by doc_id"))
    assert before == after
    assert store.count("raw_records") == 4


def test_gbk_file_without_declaration_is_decoded(store):
    report = load_path(store, FIX / "gbk_sample.csv", progress=False)
    assert report.stored == 1
    doc = _doc(store, "杭州市人民政府关于加快集成电路产业发展的实施意见")
    assert doc["text"] == HANGZHOU_TEXT
    assert (doc["level"], doc["prefecture"], doc["prefecture_code"]) == ("local", "杭州市", "330100")
    assert doc["issued_date"] == "2014-06-03"


def test_same_text_from_second_source_is_one_document_with_two_provenances(store, tmp_path):
    load_path(store, FIX / "gbk_sample.csv", progress=False)
    other = tmp_path / "mirror.jsonl"
    other.write_text(json.dumps({"id": "m-1", "title": "关于加快集成电路产业发展的实施意见（转载）",
                                 # same text, different line breaks / full-width spaces
                                 "text": HANGZHOU_TEXT.replace("：", "：\n　")},
                                ensure_ascii=False) + "\n", encoding="utf-8")
    report = load_path(store, other, progress=False)
    assert (report.stored, report.duplicates) == (0, 1)
    assert store.count("documents") == 1
    rels = sorted((r["source"], r["relation"]) for r in store.db.query("select * from document_sources"))
    assert rels == [("gbk_sample", "original"), ("mirror", "duplicate")]


def test_near_identical_repost_is_flagged_not_merged(store, tmp_path):
    body = ("为贯彻落实国家产业政策，加快汽车产业结构调整，推动兼并重组，提高产业集中度，"
            "现就有关事项通知如下：一、严格控制新建整车项目，淘汰落后产能。二、支持汽车零部件企业"
            "技术改造，对符合条件的项目给予贴息。三、加强产品质量监督检查，依法查处违法违规行为。") * 3
    rows = [{"id": "a", "title": "关于促进汽车产业健康发展的通知", "issuer": "广东省人民政府", "text": body},
            {"id": "b", "title": "转发关于促进汽车产业健康发展的通知", "issuer": "佛山市人民政府",
             "text": body + "请各地结合实际认真贯彻执行。"}]
    path = tmp_path / "reposts.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    report = load_path(store, path, progress=False)
    assert (report.stored, report.duplicates, report.near_duplicates) == (2, 0, 1)
    b = _doc(store, "转发关于促进汽车产业健康发展的通知")
    assert b["repost_of"] == make_doc_id("reposts", "a")
    pair = list(store.db.query("select doc_id, similar_doc_id from near_duplicates"))
    assert pair == [{"doc_id": make_doc_id("reposts", "b"), "similar_doc_id": make_doc_id("reposts", "a")}]


def test_malformed_jsonl_lines_are_rejected_with_line_numbers(store, tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"id": "1", "title": "甲", "text": "加强市场监管。"}\n'
                    '{"id": "2", "title": "乙", "text": \n'
                    '[1, 2]\n', encoding="utf-8")
    report = load_path(store, path, progress=False)
    assert (report.seen, report.stored, report.rejected) == (3, 1, 2)
    refs = [r["record_ref"].rsplit(":", 1)[1] for r in store.db.query("select record_ref from rejects order by id")]
    assert refs == ["2", "3"]


def test_folder_with_sidecar(store, tmp_path):
    import docx

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("加快发展战略性新兴产业，给予税收优惠。", encoding="gb18030")
    (folder / "b.html").write_text(
        "<html><head><title>关于加强标准化工作的意见</title><script>var x=1;</script></head>"
        "<body><p>完善国家标准体系。</p><p>加强监督检查。</p></body></html>", encoding="utf-8")
    d = docx.Document()
    d.add_paragraph("关于支持集成电路企业发展的通知")
    d.add_paragraph("对集成电路企业给予专项资金支持。")
    d.save(folder / "c.docx")
    (folder / "empty.txt").write_text("   ", encoding="utf-8")
    meta = tmp_path / "meta.csv"
    meta.write_text("file,title,issuer,issued_date\n"
                    "a.txt,安徽省人民政府关于加快发展战略性新兴产业的意见,安徽省人民政府,2010年10月8日\n",
                    encoding="utf-8")
    report = load_path(store, folder, metadata_csv=meta, progress=False)
    assert (report.seen, report.stored, report.rejected) == (4, 3, 1)
    a = _doc(store, "安徽省人民政府关于加快发展战略性新兴产业的意见")
    assert (a["level"], a["province_code"], a["issued_date"]) == ("provincial", "340000", "2010-10-08")
    assert a["text"] == "加快发展战略性新兴产业，给予税收优惠。"
    b = _doc(store, "关于加强标准化工作的意见")
    assert b["text"] == "完善国家标准体系。\n加强监督检查。"
    c = _doc(store, "c")
    assert c["text"] == "关于支持集成电路企业发展的通知\n对集成电路企业给予专项资金支持。"
    raw = store.db.execute("select content_type from raw_records r join documents d on d.raw_id = r.raw_id "
                           "where d.title = 'c'").fetchone()[0]
    assert raw.endswith("wordprocessingml.document")


def test_user_mistakes_are_one_line_errors(store, tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        load_path(store, tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("名称,内容\n甲,乙\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"needs column\(s\) title←title, text←text"):
        load_path(store, bad)
    with pytest.raises(UserError, match="unknown mapping 'pkulow'"):
        load_path(store, bad, mapping="pkulow")
    with pytest.raises(UserError, match="write it as field=column"):
        Mapping.load("generic").with_overrides(["title"])


def test_search_finds_segmented_chinese(store):
    from zhengce.corpus.search import search

    load_path(store, FIX / "pkulaw_sample.csv", mapping="pkulaw", progress=False)
    load_path(store, FIX / "gbk_sample.csv", progress=False)
    titles = [r["title"] for r in search(store, "专项资金").rows]
    assert titles == ["杭州市人民政府关于加快集成电路产业发展的实施意见"]
    titles = {r["title"] for r in search(store, "装备制造业").rows}
    assert titles == {"国务院关于加快振兴装备制造业的若干意见", "浙江省人民政府关于进一步加快发展装备制造业的若干意见"}
    # punctuation and FTS syntax in a user query never crash
    assert search(store, 'AND "专项资金" OR -').rows == []


def test_bulk_load_builds_fts_once_and_a_crash_is_repaired(tmp_path, capsys):
    from zhengce.corpus.fts import suspend_fts_triggers
    from zhengce.corpus.search import search
    from zhengce.corpus.ingest import Ingestor, SourceRecord

    def records(n):
        for i in range(n):
            yield SourceRecord(source="bulk", source_id=str(i), payload=b"{}",
                               fields={"title": f"文件{i}", "text": f"第{i}号文件要求加强出口退税管理。编号{i * 7919}。"})

    db = tmp_path / "bulk.db"
    store = Store.open(db)
    Ingestor(store, total=30, parallel_threshold=10, n_jobs=1).ingest(records(30), "bulk")
    assert len(search(store, "出口退税", limit=100).rows) == 30
    n_triggers = store.db.execute("select count(*) from sqlite_master where type = 'trigger'").fetchone()[0]
    assert n_triggers == 3
    # simulate a crash after suspending the triggers: the next open (issue 13: or load, or
    # search) restores the triggers and rebuilds the index, and says so on stderr
    suspend_fts_triggers(store)
    store.db.execute("insert into search_index (doc_id, title, body) values ('x', '孤立', '孤立 文本')")
    store.db.conn.commit()
    store.close()
    capsys.readouterr()
    store = Store.open(db)
    assert "full-text index suspended by a bulk load that did not finish" in capsys.readouterr().err
    assert store.db.execute("select count(*) from sqlite_master where type = 'trigger'").fetchone()[0] == 3
    search(store, "出口退税")
    assert store.db.execute("select count(*) from sqlite_master where type = 'trigger'").fetchone()[0] == 3
    assert store.db.execute("select count(*) from search_index_fts where search_index_fts match '孤立'").fetchone()[0] == 1
    store.close()


def test_parallel_load_reports_each_processs_peak_memory(tmp_path):
    import os

    from zhengce.corpus.ingest import Ingestor, SourceRecord

    records = (SourceRecord(source="bulk", source_id=str(i), payload=b"{}",
                            fields={"title": f"文件{i}", "text": f"第{i}号文件要求加强出口退税管理。"})
               for i in range(40))
    store = Store.open(tmp_path / "mem.db")
    with store.run("load", {"test": True}) as run:
        report = Ingestor(store, run=run, total=40, parallel_threshold=10, n_jobs=2,
                          batch_size=5).ingest(records, "bulk")
    assert report.stored == 40
    memory = report.as_dict()["peak_memory"]
    main, *workers = memory["processes"]
    assert (main["role"], main["pid"]) == ("load", os.getpid())
    # 8 batches over 2 workers: both report, unless one took every batch (a busy machine
    # can start the second too late to get one)
    assert 1 <= len(workers) == memory["n_workers"] <= 2
    assert {w["role"] for w in workers} == {"load worker"}
    assert len({w["pid"] for w in workers} | {os.getpid()}) == len(workers) + 1
    assert report.line().endswith("; " + report.memory.line())
    figure = float(report.line().rsplit("all processes <= ", 1)[1].split()[0].replace(",", ""))
    assert figure == pytest.approx(memory["sum_of_peaks_mb"], abs=1.0)
    # the run keeps the workers' peaks too (Run.memory merged from the load report)
    summary = json.loads(store.db.execute("select summary from runs where run_id = ?",
                                          [run.run_id]).fetchone()[0])
    assert [p["pid"] for p in summary["peak_memory"]["processes"][1:]] == \
        sorted(w["pid"] for w in workers)
    store.close()
