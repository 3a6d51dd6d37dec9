"""Normalizer: literal strings in, literal strings and removal records out."""

from __future__ import annotations

import pytest

from zhengce.common.errors import UserError
from zhengce.nlp.text.normalize import DEFAULT_PATTERNS_FILE, Normalizer, clean_whitespace, read_patterns

NOTICE = (
    "# 国务院关于印发工业转型升级规划的通知\n"
    "\n"
    "国发〔２０１１〕４７号\n"
    "\n"
    "各省、自治区、直辖市人民政府，国务院各部委、各直属机构：\n"
    "\n"
    "　　现将《工业转型升级规划（2011－2015年）》印发给你们，请认真贯彻执行。\n"
    "　　坚决淘汰落后产能，支持技术改造。\n"
    "请各地区认真贯彻执行。\n"
    "特此通知。\n"
    "\n"
    "附件：1. 重点行业淘汰落后产能目标\n"
    "      2. 技术改造专项资金管理办法\n"
    "\n"
    "国务院\n"
    "（此件公开发布）\n"
    "抄送：党中央各部门。\n"
    "【字体：大 中 小】 打印本页 关闭窗口 分享到：微信 微博 扫一扫在手机打开当前页\n"
)


def test_notice_boilerplate_removed_and_recorded():
    result = Normalizer()(NOTICE)
    assert result.text == (
        "国务院关于印发工业转型升级规划的通知\n"
        "\n"
        "国发〔2011〕47号\n"
        "\n"
        "坚决淘汰落后产能,支持技术改造。\n"
        "\n"
        "国务院"
    )
    assert result.removed == [
        ("markdown", "# "),
        ("furniture", "【字体:大 中 小】"),
        ("furniture", "打印本页"),
        ("furniture", "关闭窗口"),
        ("furniture", "扫一扫在手机打开当前页"),
        ("furniture", "分享到:微信 微博"),
        ("publication", "(此件公开发布)"),
        ("addressee", "各省、自治区、直辖市人民政府,国务院各部委、各直属机构:"),
        ("transmittal", "现将《工业转型升级规划(2011-2015年)》印发给你们,请认真贯彻执行。"),
        ("closing", "请各地区认真贯彻执行。"),
        ("closing", "特此通知。"),
        ("cc", "抄送:党中央各部门。"),
        ("attachment", "附件:1. 重点行业淘汰落后产能目标\n      2. 技术改造专项资金管理办法"),
    ]


def test_substantive_sentence_with_luoshi_is_kept():
    # The closing pattern only fires when the sentence ends within a few characters of 落实/执行.
    text = "请各地区认真贯彻落实国务院关于加强质量工作的决定,加强产品质量监督。"
    assert Normalizer()(text).text == text
    assert Normalizer()("请认真贯彻落实本通知精神。").removed == [("closing", "请认真贯彻落实本通知精神。")]


def test_substantive_lines_that_look_like_boilerplate_are_kept():
    # Lines seen in LawRefBook: they start with 各 and end with a colon but list duties, not addressees.
    duties = "各行业主管部门按照下列规定履行扬尘污染防治职责:\n(一)住房城乡建设部门负责……"
    assert Normalizer()(duties).removed == []
    # An attachment's body (Chinese-numbered sections) is not part of the attachment list.
    body = "附件:矿产资源分类细目\n一、能源矿产\n煤、石油"
    result = Normalizer()(body)
    assert result.text == "一、能源矿产\n煤、石油"
    assert result.removed == [("attachment", "附件:矿产资源分类细目")]
    addressees = "各省、自治区、直辖市劳动和社会保障厅(局):\n现就有关问题通知如下"
    assert Normalizer()(addressees).removed == [("addressee", "各省、自治区、直辖市劳动和社会保障厅(局):")]


def test_reply_addressee_line():
    result = Normalizer()("四川省人民政府：\n你省关于设立开发区的请示收悉。")
    assert result.text == "你省关于设立开发区的请示收悉。"
    assert result.removed == [("addressee", "四川省人民政府:")]


def test_lawrefbook_markup():
    result = Normalizer()("# 中华人民共和国反垄断法\n\n<!-- INFO END -->\n\n第一条 为了预防和制止垄断行为")
    assert result.text == "中华人民共和国反垄断法\n\n第一条为了预防和制止垄断行为"
    assert [kind for kind, _ in result.removed] == ["markup", "markdown"]


def test_nfkc_fullwidth_to_halfwidth():
    assert Normalizer(strip_boilerplate=False)("２００１年加入ＷＴＯ：") .text == "2001年加入WTO:"
    # NFKC off: unchanged
    assert Normalizer(nfkc=False, strip_boilerplate=False)("２００１年ＷＴＯ").text == "２００１年ＷＴＯ"


def test_traditional_to_simplified():
    n = Normalizer(t2s=True, strip_boilerplate=False)
    assert n("國務院關於進一步加強產業政策協調的通知").text == "国务院关于进一步加强产业政策协调的通知"
    assert Normalizer(strip_boilerplate=False)("國務院").text == "國務院"


def test_whitespace_cleanup():
    assert clean_whitespace("通  知\r\n\r\n\r\n\r\n第一条 内容\u200b \t  x  y ") == "通知\n\n第一条内容 x y"
    assert clean_whitespace("\n\n  WTO  rules \n") == "WTO rules"


def test_strip_boilerplate_off_keeps_text():
    n = Normalizer(strip_boilerplate=False, collapse_whitespace=False)
    result = n("特此通知。")
    assert result.text == "特此通知。"
    assert result.removed == []


def test_config_hash_tracks_parameters_and_pattern_file(tmp_path):
    patterns = tmp_path / "patterns.txt"
    patterns.write_text("closing 特此通知[。]?\n", encoding="utf-8")
    a = Normalizer(patterns_file=patterns)
    b = Normalizer(patterns_file=patterns)
    assert a.config_hash == b.config_hash
    assert Normalizer(patterns_file=patterns, t2s=True).config_hash != a.config_hash
    assert Normalizer().config_hash != a.config_hash  # default pattern file differs
    patterns.write_text("closing 特此通知[。]?\ncc ^抄送:.*$\n", encoding="utf-8")
    assert Normalizer(patterns_file=patterns).config_hash != a.config_hash
    # the custom file is used, and only it
    assert Normalizer(patterns_file=patterns)("抄送:各部门\n特此通知。正文").text == "正文"


def test_pattern_file_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("# comment\nclosing\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"bad\.txt:2: expected 'kind regex'"):
        read_patterns(bad)
    bad.write_text("closing 特此(通知\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"bad\.txt:1: regular expression .* does not compile"):
        read_patterns(bad)
    bad.write_text("\nClosing 特此通知\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"bad\.txt:2: kind label 'Closing'"):
        read_patterns(bad)
    bad.write_text("blank x*\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"bad\.txt:1: .* matches the empty string"):
        read_patterns(bad)
    with pytest.raises(UserError, match=r"cannot read boilerplate patterns file"):
        Normalizer(patterns_file=tmp_path / "missing.txt")


def test_default_pattern_file_parses():
    kinds = {p.kind for p in read_patterns(DEFAULT_PATTERNS_FILE)}
    assert kinds == {"markup", "markdown", "furniture", "publication", "addressee", "transmittal",
                     "closing", "cc", "attachment"}
