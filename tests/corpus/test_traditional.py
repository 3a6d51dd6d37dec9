"""Documents in Traditional characters are tagged and searchable (issue 15, finding 9)."""

from __future__ import annotations

import json

import pytest

from zhengce.corpus.loaders import load_path
from zhengce.corpus.search import search
from zhengce.corpus.store import Store
from zhengce.corpus.tag import tag_fields
from zhengce.corpus.tagging.traditional import (CONVERTED_WARNING, is_traditional,
                                                to_simplified, traditional_count)

TRADITIONAL = {"id": "t1", "title": "廣東省人民政府關於擴大外商投資的通知",
               "issuer": "廣東省人民政府", "issued_date": "2015-03-02",
               "text": "各地級以上市人民政府：為擴大外商投資，促進產業升級，現就有關事項通知如下。"}
SIMPLIFIED = {"id": "s1", "title": "浙江省人民政府关于促进外商投资的意见",
              "issuer": "浙江省人民政府", "issued_date": "2016-05-04",
              "text": "各市、县人民政府：为促进外商投资，推动产业升级，现提出如下意见。"}


def test_traditional_text_is_recognised_and_simplified_text_is_not():
    assert traditional_count(TRADITIONAL["title"]) == 5          # 廣 東 關 擴 資
    assert is_traditional(TRADITIONAL["title"]) and not is_traditional(SIMPLIFIED["title"])
    assert not is_traditional("著作权法：关于乾隆年间的资料")          # 著/乾 are Simplified too
    assert to_simplified(TRADITIONAL["title"]) == "广东省人民政府关于扩大外商投资的通知"
    assert to_simplified(SIMPLIFIED["title"]) == SIMPLIFIED["title"]


def test_a_traditional_document_is_tagged_on_its_simplified_form():
    tagged, _ = tag_fields(TRADITIONAL)
    assert (tagged["level"], tagged["province"]) == ("provincial", "广东省")
    assert tagged["title"] == "广东省人民政府关于扩大外商投资的通知"
    assert CONVERTED_WARNING in json.loads(tagged["warnings"])
    plain, _ = tag_fields(SIMPLIFIED)
    assert plain["province"] == "浙江省" and CONVERTED_WARNING not in (plain["warnings"] or "")


@pytest.fixture
def store(tmp_path):
    rows = tmp_path / "docs.jsonl"
    rows.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in (TRADITIONAL, SIMPLIFIED)),
                    encoding="utf-8")
    with Store.open(tmp_path / "t.db") as store:
        load_path(store, rows, n_jobs=1)
        yield store


def test_the_stored_text_stays_as_given(store):
    text = store.db.execute("select text from documents where source_id = 't1'").fetchone()[0]
    assert text == TRADITIONAL["text"]


@pytest.mark.parametrize("query", ["外商投资", "外商投資"])
def test_either_script_finds_both_documents(store, query):
    result = search(store, query)
    assert result.total == 2
    assert {row["title"] for row in result.rows} == {"广东省人民政府关于扩大外商投资的通知",
                                                   SIMPLIFIED["title"]}
