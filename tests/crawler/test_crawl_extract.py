"""Page-level extraction: labels, 文号 lines, encodings, the CJK check; pipelines; the wire."""

from __future__ import annotations

import pytest
from parsel import Selector

from zhengce.corpus.ingest import SourceRecord
from zhengce.crawler.extract import (cjk_share, decode_page, extract_labels, field_for_label,
                             find_doc_number, strip_tags)
from zhengce.crawler.items import AttachmentItem, DocumentItem, RecordItem, RejectItem, from_wire, to_wire
from zhengce.crawler.pipelines import DedupePipeline, NormalizePipeline, ValidatePipeline


def test_label_aliases_and_padding():
    assert field_for_label("索　引　号：") == "index_no"
    assert field_for_label("标　　题：") == "title"
    assert field_for_label("时 效：") == "validity"
    assert field_for_label("文　　号：") == "doc_number"
    for label, name in [("发文字号", "doc_number"), ("文件编号", "doc_number"),
                        ("发文机关", "issuer"), ("发布机构", "issuer"), ("制发机关", "issuer"),
                        ("发文单位", "issuer"), ("发布单位", "issuer"), ("发文机构", "issuer"),
                        ("成文日期", "issued_date"), ("发文日期", "issued_date"),
                        ("发布日期", "published_date"), ("公开日期", "published_date"),
                        ("效力", "validity"), ("有效性", "validity"), ("效力状况", "validity"),
                        ("生成日期", "stamp_date")]:
        assert field_for_label(label + "：") == name, label
    assert field_for_label("国务院办公厅") is None


def test_old_govcn_table_cells():
    html = """<table class="bd1"><tr><td><b>索<span>　</span>引<span>　</span>号：</b></td>
    <td>000014349/2021-00071</td><td><b>主题分类：</b></td><td>工业、交通\\信息产业（含电信）</td></tr>
    <tr><td><b>发文机关：</b></td><td>国务院办公厅</td><td><b>成文日期：</b></td><td>2021年12月22日</td></tr>
    <tr><td><b>标<span>　　</span>题：</b></td><td colspan="3">国务院办公厅关于某事的函</td></tr>
    <tr><td><b>发文字号：</b></td><td>国办函〔2021〕132号</td><td><b>发布日期：</b></td>
    <td>2022年01月04日</td></tr></table>"""
    fields, hints = extract_labels(Selector(text=html).css("table.bd1 td"))
    assert fields == {"category": "工业、交通\\信息产业（含电信）", "issuer": "国务院办公厅",
                      "issued_date": "2021年12月22日", "title": "国务院办公厅关于某事的函",
                      "doc_number": "国办函〔2021〕132号", "published_date": "2022年01月04日"}
    assert hints == {"index_no": "000014349/2021-00071"}


def test_value_in_the_label_cell_and_empty_values():
    cells = ["发文机构：北京市人民政府办公厅", "联合发文单位：北京市财政局", "发文字号：",
             "主题分类：工业、交通", "有 效 性：有效"]
    fields, _ = extract_labels(cells)
    # an empty 发文字号 does not swallow the next label's cell
    assert fields == {"issuer": "北京市人民政府办公厅、北京市财政局", "category": "工业、交通",
                      "validity": "有效"}


def test_intertid_comment_wrapped_values_and_placeholder():
    html = """<div class="table01"><table>
    <tr><td class="t">信息索引号</td><td><!--<$[XXSYH]>-->014087396/2015-00123<!--<$[XXSYH]>--></td>
        <td class="t">生成日期</td><td><!--<$[SCRQ]>-->2015-03-02<!--<$[SCRQ]>--></td></tr>
    <tr><td class="t">文件编号</td><td><!--<$[WJBH]>-->—&nbsp;&nbsp;—<!--<$[WJBH]>--></td>
        <td class="t">发布机构</td><td><!--<$[FBJG]>-->无锡市人民政府<!--<$[FBJG]>--></td></tr>
    <tr><td class="t">效力状况</td><td>有效</td><td class="t">公开方式</td><td>主动公开</td></tr>
    </table></div>"""
    fields, hints = extract_labels(Selector(text=html).css("div.table01 table td"))
    assert fields == {"doc_number": "— —", "issuer": "无锡市人民政府", "validity": "有效"}
    assert hints == {"index_no": "014087396/2015-00123", "stamp_date": "2015-03-02",
                     "disclosure": "主动公开"}


def test_doc_number_is_a_line_of_its_own():
    body = "计产业〔2001〕4号\n各省、自治区、直辖市计委：\n现将国发〔1999〕3号文件转发给你们。"
    assert find_doc_number(body) == "计产业〔2001〕4号"
    # a number quoted in the text is another document's
    assert find_doc_number("各省、自治区、直辖市计委：\n现将国发〔1999〕3号文件转发给你们。") is None
    assert find_doc_number("商务部令2014年第1号\n《办法》已经通过") == "商务部令2014年第1号"
    assert find_doc_number("国家发展改革委令第5号") == "国家发展改革委令第5号"
    assert find_doc_number("正文", title="关于某事的通知（发改产业[2019]1234号）") == "发改产业[2019]1234号"


def test_encodings_and_the_chinese_check():
    text = "江阴市人民政府关于加快工业发展的意见"
    gbk = f"<html><head><title>{text}</title></head><body>{text}</body></html>".encode("gbk")
    assert decode_page(gbk, "text/html", "gbk") == (gbk.decode("gb18030"), "gb18030")
    assert decode_page(gbk, "text/html; charset=gb2312")[1] == "gb18030"
    # read as Latin-1 (what an undeclared page may be taken for), it is not Chinese
    mojibake = gbk.decode("latin-1")
    assert cjk_share(mojibake) == 0.0
    assert cjk_share(text) == 1.0
    assert round(cjk_share("国务院 Notice"), 4) == round(3 / 9, 4)
    assert strip_tags("关于<em>汽车</em>产业的&nbsp;通知") == "关于汽车产业的&nbsp;通知"


def _doc(**fields) -> DocumentItem:
    return DocumentItem(site="ndrc", url="https://www.ndrc.gov.cn/a.html", fields=fields,
                        payload=b"<html/>", missing=["body: div.TRS_Editor"], aliases=["https://x/b"])


def test_validate_turns_an_empty_page_into_a_reject():
    item = ValidatePipeline().process_item(_doc(title="某通知", text="  "))
    assert isinstance(item, RejectItem)
    assert item.reason == ("empty document: body: div.TRS_Editor found nothing "
                           "on https://www.ndrc.gov.cn/a.html")
    assert item.aliases == ["https://x/b"] and item.state == "rejected"
    kept = _doc(title="某通知", text="正文")
    assert ValidatePipeline().process_item(kept) is kept


def test_normalize_flags_text_that_is_not_chinese():
    record = NormalizePipeline().process_item(_doc(title="Ã©Ã¦", text="Ã\x83Â©Ã¦Â\x80\n\n\nÂ", issuer=None))
    assert isinstance(record, RecordItem)
    assert record.warnings[0].startswith("text does not look Chinese (CJK share 0.00 < 0.5)")
    assert record.record.hints["crawl_warnings"] == record.warnings
    assert record.record.fields["text"] == "Ã\x83Â©Ã¦Â\x80\nÂ"   # blank lines collapsed
    assert "issuer" not in record.record.fields
    ok = NormalizePipeline().process_item(_doc(title="关于<em>汽车</em>的通知", text="正文内容"))
    assert ok.warnings == [] and ok.record.fields["title"] == "关于汽车的通知"
    assert ok.record.source == "ndrc" and ok.record.source_id == "https://www.ndrc.gov.cn/a.html"


def test_dedupe_drops_a_page_reached_again_through_an_alias():
    from scrapy.exceptions import DropItem

    pipe = DedupePipeline()
    first = NormalizePipeline().process_item(_doc(title="通知", text="正文"))
    assert pipe.process_item(first) is first
    again = RecordItem(site="ndrc", url="https://x/b", record=first.record)
    with pytest.raises(DropItem, match="already stored in this crawl: https://x/b"):
        pipe.process_item(again)


def test_items_survive_the_wire():
    record = SourceRecord(source="govcn", source_id="u", fields={"title": "通知"},
                          payload=b"\x00\xffbytes", hints={"a": [1, 2]})
    item = RecordItem(site="govcn", url="u", record=record, aliases=["v"], warnings=["w"])
    assert from_wire(to_wire(item)) == item
    att = AttachmentItem(site="govcn", doc_url="u", url="u/a.pdf", filename_as_given="附件",
                         content_type="application/pdf", payload=b"%PDF-1.4")
    assert from_wire(to_wire(att)) == att
    with pytest.raises(TypeError, match="cannot send a dict to the writer"):
        to_wire({"x": 1})
