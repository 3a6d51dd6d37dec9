"""spaCy entity ruler over the project segmenter: agencies, places and 转发 references."""

from __future__ import annotations

import pytest

pytest.importorskip("spacy")

from zhengce.nlp.text.entities import EntityExtractor, Mention, short_place_names  # noqa: E402

AGENCIES = ["国务院", "国家发展改革委", "工业和信息化部", "商务部"]
PLACES = ["广东省", "上海市", "广西壮族自治区"]


@pytest.fixture(scope="module")
def extractor():
    return EntityExtractor(agencies=AGENCIES, places=PLACES)


def test_short_place_names():
    assert short_place_names(["广东省", "上海市", "广西壮族自治区", "东城区", "苏州市"]) == \
        ["广东", "上海", "广西"]


def test_agencies_places_and_repost(extractor):
    text = ("广东省人民政府转发国务院关于加快培育和发展战略性新兴产业的决定的通知。"
            "工业和信息化部、商务部与广东、上海市。")
    assert extractor(text) == [
        Mention("PLACE", "广东省", 0, 3),
        Mention("REPOST", "转发国务院关于加快培育和发展战略性新兴产业的决定的通知", 7, 34,
                target="国务院关于加快培育和发展战略性新兴产业的决定的通知"),
        Mention("AGENCY", "国务院", 9, 12),
        Mention("AGENCY", "工业和信息化部", 35, 42),
        Mention("AGENCY", "商务部", 43, 46),
        Mention("PLACE", "广东", 47, 49),
        Mention("PLACE", "上海市", 50, 53),
    ]


def test_repost_with_book_title_marks(extractor):
    assert extractor("转发《工业转型升级规划》的通知") == [
        Mention("REPOST", "转发《工业转型升级规划》", 0, 12, target="工业转型升级规划")]
    mentions = extractor("现将《国家发展改革委关于产业结构调整的意见》转发给你们。")
    assert [m.label for m in mentions] == ["REPOST", "AGENCY"]
    assert mentions[0].target == "国家发展改革委关于产业结构调整的意见"


def test_offsets_are_in_nfkc_text(extractor):
    # full-width digits shrink nothing here, but the full-width colon becomes ':'
    [mention] = extractor("致：商务部")
    assert (mention.text, mention.start, mention.end) == ("商务部", 2, 5)


def test_iter_documents(store, extractor):
    store.db["documents"].insert_all([
        {"doc_id": "a", "text": "商务部发布", "source": "t"},
        {"doc_id": "b", "text": "无", "source": "t"}], pk="doc_id")
    assert [(d, [m.text for m in ms]) for d, ms in extractor.iter_documents(store)] == \
        [("a", ["商务部"]), ("b", [])]
