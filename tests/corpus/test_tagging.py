"""Tests for corpus.tagging: every expected value below was worked out by hand from the input."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import date, datetime

import pytest

from zhengce.common.errors import RecordError, UserError
from zhengce.corpus.tagging import (
    DocType,
    IssuerList,
    classify_doc_type,
    cn_to_int,
    doc_number_issuer_prefix,
    find_dates,
    issuers_from_title,
    parse_date,
    parse_date_iso,
    parse_date_with_precision,
    parse_doc_number,
    parse_issuers,
    parse_lawrefbook,
    parse_lawrefbook_path,
    parse_lawrefbook_text,
    parse_validity,
    split_issuers,
)

# ------------------------------------------------------------------------------------ numerals


@pytest.mark.parametrize("text, value", [
    ("十", 10), ("十一", 11), ("二十", 20), ("三十一", 31), ("二〇〇一", 2001), ("二零零一", 2001),
    ("一百零五", 105), ("两千零一", 2001), ("一万二千", 12000), ("８４３", 843), ("七十三", 73),
    ("abc", None), ("", None),
])
def test_cn_to_int(text, value):
    assert cn_to_int(text) == value


# --------------------------------------------------------------------------------------- dates


@pytest.mark.parametrize("text, expected", [
    ("2001年12月11日", date(2001, 12, 11)),
    ("2001 年 12 月 11 日", date(2001, 12, 11)),
    ("2001年12月11号", date(2001, 12, 11)),
    ("二〇〇一年十二月十一日", date(2001, 12, 11)),
    ("二零零一年十二月十一日", date(2001, 12, 11)),
    ("二○○一年十二月十一日", date(2001, 12, 11)),
    ("二OO一年十二月十一日", date(2001, 12, 11)),
    ("二〇〇一年一月五日", date(2001, 1, 5)),
    ("二〇〇一年三月十日", date(2001, 3, 10)),
    ("二〇〇一年十月二十日", date(2001, 10, 20)),
    ("二〇〇一年十二月三十一日", date(2001, 12, 31)),
    ("一九九四年十二月六日", date(1994, 12, 6)),
    ("2001.12.11", date(2001, 12, 11)),
    ("2001-12-11", date(2001, 12, 11)),
    ("2001/12/11", date(2001, 12, 11)),
    ("2001-1-5", date(2001, 1, 5)),
    ("２００１年１２月１１日", date(2001, 12, 11)),
    ("２００１－１２－１１", date(2001, 12, 11)),
    ("  2001年12月11日 国务院令第 号", date(2001, 12, 11)),
    ("发布日期：2019年1月2日", date(2019, 1, 2)),
    ("2000年2月29日", date(2000, 2, 29)),
    ("20011211", date(2001, 12, 11)),
])
def test_parse_date_variants(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", [
    "2001年2月30日", "2001-02-30", "2001年13月1日", "1900年2月29日", "1234年5月6日",
    "—", "无", "", "   ", None, float("nan"), "公告2023年第5号", "国发〔2001〕12号", "20010230",
    "第20011211号",
])
def test_parse_date_none(text):
    assert parse_date(text) is None


def test_invalid_date_does_not_fall_back_to_month():
    assert parse_date_with_precision("2001年2月30日") is None


def test_first_valid_date_wins_after_an_invalid_one():
    assert parse_date("2001年2月30日，更正为2001年3月2日") == date(2001, 3, 2)


@pytest.mark.parametrize("text, expected", [
    ("2001年12月11日", (date(2001, 12, 11), "day")),
    ("2001年12月", (date(2001, 12, 1), "month")),
    ("二〇〇一年十二月", (date(2001, 12, 1), "month")),
    ("2001.12", (date(2001, 12, 1), "month")),
    ("2001-12", (date(2001, 12, 1), "month")),
    ("2001年", (date(2001, 1, 1), "year")),
    ("2001", (date(2001, 1, 1), "year")),
    ("2001年度", (date(2001, 1, 1), "year")),
])
def test_parse_date_with_precision(text, expected):
    assert parse_date_with_precision(text) == expected


def test_parse_date_passes_date_objects_and_rejects_other_types():
    assert parse_date(date(2001, 12, 11)) == date(2001, 12, 11)
    assert parse_date(datetime(2001, 12, 11, 9, 30)) == date(2001, 12, 11)
    with pytest.raises(TypeError, match="parse_date"):
        parse_date(20011211)


def test_parse_date_pandas_missing_values():
    pd = pytest.importorskip("pandas")
    assert parse_date(pd.NA) is None
    assert parse_date(pd.NaT) is None
    assert parse_date(pd.Timestamp("2001-12-11 08:00")) == date(2001, 12, 11)


def test_parse_date_iso():
    assert parse_date_iso("2001/12/11") == "2001-12-11"
    assert parse_date_iso("二〇〇一年十二月") == "2001-12-01"
    assert parse_date_iso("无") is None


def test_find_dates_spans_and_precision():
    text = "发布日期：2019年1月2日，实施日期：2019年3月1日"
    assert find_dates(text) == [(date(2019, 1, 2), (5, 14)), (date(2019, 3, 1), (20, 29))]
    assert text[5:14] == "2019年1月2日"
    mixed = "2001年12月起，至2002年1月3日止"
    assert find_dates(mixed) == [(date(2002, 1, 3), (11, 20))]
    assert find_dates(mixed, min_precision="month") == [
        (date(2001, 12, 1), (0, 8)), (date(2002, 1, 3), (11, 20))]
    assert find_dates("2001年2月30日") == []
    assert find_dates(None) == []
    with pytest.raises(UserError, match="min_precision"):
        find_dates("2001年", min_precision="week")


# ----------------------------------------------------------------------------- document numbers


@pytest.mark.parametrize("text", [
    "国发〔2001〕12号", "国发[2001]12号", "国发（2001）12号", "国发(2001)12号", "国发【2001】12号",
    "国发［2001］12号", "国发〈2001〉12号", "国发〔2001〕第12号", "国发〔２００１〕１２号",
    " 国发 〔2001〕 12号 ",
])
def test_bracket_doc_numbers(text):
    d = parse_doc_number(text)
    assert (d.prefix, d.year, d.serial, d.normalized, d.is_joint, d.style) == (
        "国发", 2001, 12, "国发〔2001〕12号", False, "bracket")
    assert d.raw == text


@pytest.mark.parametrize("text, prefix, year, serial, normalized, joint, style", [
    ("国令第843号", "国令", None, 843, "国令第843号", False, "order"),
    ("中华人民共和国国务院令第260号", "国务院令", None, 260, "国务院令第260号", False, "order"),
    ("国务院令第 260 号", "国务院令", None, 260, "国务院令第260号", False, "order"),
    ("主席令第七十三号", "主席令", None, 73, "主席令第73号", False, "order"),
    ("中华人民共和国主席令第12号", "主席令", None, 12, "主席令第12号", False, "order"),
    ("财政部令第6号", "财政部令", None, 6, "财政部令第6号", False, "order"),
    ("中华人民共和国国务院、中华人民共和国中央军事委员会令第425号", "国务院、中央军事委员会令",
     None, 425, "国务院、中央军事委员会令第425号", True, "order"),
    ("食品药品监管局、海关总署第4号令", "食品药品监管局、海关总署令", None, 4,
     "食品药品监管局、海关总署令第4号", True, "order"),
    ("工信部联规〔2026〕186号", "工信部联规", 2026, 186, "工信部联规〔2026〕186号", True, "bracket"),
    ("财税〔2008〕1号", "财税", 2008, 1, "财税〔2008〕1号", False, "bracket"),
    ("发改产业〔2004〕2号", "发改产业", 2004, 2, "发改产业〔2004〕2号", False, "bracket"),
    ("妇联发〔2010〕5号", "妇联发", 2010, 5, "妇联发〔2010〕5号", False, "bracket"),
    ("公告 2023年第5号", "公告", 2023, 5, "公告2023年第5号", False, "announcement"),
    ("国家税务总局公告2023年第5号", "国家税务总局公告", 2023, 5, "国家税务总局公告2023年第5号",
     False, "announcement"),
    ("浙江省人民代表大会常务委员会公告第13号", "浙江省人民代表大会常务委员会公告", None, 13,
     "浙江省人民代表大会常务委员会公告第13号", False, "order"),
    ("劳社部发[2008]3号", "劳社部发", 2008, 3, "劳社部发〔2008〕3号", False, "bracket"),
])
def test_doc_number_forms(text, prefix, year, serial, normalized, joint, style):
    d = parse_doc_number(text)
    assert (d.prefix, d.year, d.serial, d.normalized, d.is_joint, d.style) == (
        prefix, year, serial, normalized, joint, style)


@pytest.mark.parametrize("text", [
    "—  —", "－－", "无", "", "暂无", None, "   ", "-", "见附件", "国务院关于印发规划的通知",
    "〔2001〕12号", "国发〔2001〕", "国务院令第 号", "第5号令", "国发〔1066〕3号",
])
def test_doc_number_placeholders_and_garbage(text):
    assert parse_doc_number(text) is None


def test_doc_number_rejects_non_strings():
    with pytest.raises(TypeError, match="parse_doc_number"):
        parse_doc_number(12)


@pytest.mark.parametrize("prefix, issuer", [
    ("工信部联规", "工信部"), ("国办发明电", "国办"), ("国办函", "国办"), ("国发", "国"), ("国令", "国"),
    ("国务院令", "国务院"), ("自然资办函", "自然资办"), ("财税", "财税"), ("发改能源", "发改能源"),
    ("国中医药医政发", "国中医药医政"), ("环生态", "环生态"), ("妇联发", "妇联"), ("发", "发"),
    ("浙江省人民代表大会常务委员会公告", "浙江省人民代表大会常务委员会"),
])
def test_doc_number_issuer_prefix(prefix, issuer):
    assert doc_number_issuer_prefix(prefix) == issuer


# ------------------------------------------------------------------------------------- issuers


@pytest.mark.parametrize("text, names, etc", [
    ("工业和信息化部、应急管理部", ("工业和信息化部", "应急管理部"), False),
    ("生态环境部 自然资源部 住房城乡建设部 水利部 农业农村部 国家林草局",
     ("生态环境部", "自然资源部", "住房城乡建设部", "水利部", "农业农村部", "国家林草局"), False),
    ("国家发展和改革委员会，住房和城乡建设部", ("国家发展和改革委员会", "住房和城乡建设部"), False),
    ("财政部 税务总局 等", ("财政部", "税务总局"), True),
    ("国家发展改革委等部门", ("国家发展改革委",), True),
    ("生态环境部等10部门", ("生态环境部",), True),
    ("财政部；税务总局/海关总署", ("财政部", "税务总局", "海关总署"), False),
    ("中共中央\u3000国务院", ("中共中央", "国务院"), False),
    ("国家林业和草原局（国家公园管理局）、财政部", ("国家林业和草原局（国家公园管理局）", "财政部"), False),
    ("财政部、财政部", ("财政部",), False),
    ("两部门", (), False),
    ("", (), False),
    (None, (), False),
])
def test_parse_issuers(text, names, etc):
    assert parse_issuers(text) == IssuerList(names, etc)
    assert split_issuers(text) == list(names)


@pytest.mark.parametrize("title, names", [
    ("国务院办公厅关于重点林区“十五五”期间森林年采伐限额的复函", ["国务院办公厅"]),
    ("工业和信息化部 应急管理部关于印发《安全应急装备产业发展“十五五”规划》的通知",
     ["工业和信息化部", "应急管理部"]),
    ("两部门关于印发《安全应急装备产业发展“十五五”规划》的通知", []),
    ("三部委关于加强管理的通知", []),
    ("关于印发《生态保护“十五五”规划》的通知", []),
    ("北京市人民政府转发国务院办公厅关于加强管理的通知", ["北京市人民政府"]),
    ("转发国务院办公厅关于加强管理的通知", []),
    ("国家发展改革委等部门关于推动发展的意见", ["国家发展改革委"]),
    ("中共中央 国务院关于深化改革的意见", ["中共中央", "国务院"]),
    ("最高人民法院、最高人民检察院关于办理刑事案件的解释", ["最高人民法院", "最高人民检察院"]),
    ("《国务院关于加强管理的通知》解读", []),
    ("集成电路布图设计保护条例", []),
    (None, []),
])
def test_issuers_from_title(title, names):
    assert issuers_from_title(title) == names


# ------------------------------------------------------------------------------- document type


@pytest.mark.parametrize("kwargs, expected", [
    (dict(title="中华人民共和国未成年人保护法"), DocType("法", "法律")),
    (dict(title="中华人民共和国未成年人保护法", issuer="全国人民代表大会常务委员会"), DocType("法", "法律")),
    (dict(title="全国人民代表大会常务委员会关于加强法律解释工作的决议"), DocType("决议", "法律")),
    (dict(title="集成电路布图设计保护条例", doc_number="国令第842号"), DocType("条例", "行政法规")),
    (dict(title="某某管理条例", issuer_kind="state_council"), DocType("条例", "行政法规")),
    (dict(title="某某管理条例", issuer="state_council"), DocType("条例", "行政法规")),
    (dict(title="关于印发《某某管理办法》的通知", doc_number="财税〔2008〕1号"),
     DocType("通知", "规范性文件", wraps="办法")),
    (dict(title="国务院办公厅转发发展改革委关于推进改革的意见的通知"),
     DocType("通知", "规范性文件", wraps="意见", is_forward=True)),
    (dict(title="国务院批转发展改革委关于深化改革的意见的通知", doc_number="国发〔2005〕9号"),
     DocType("通知", "规范性文件", wraps="意见", is_forward=True)),
    (dict(title="最高人民法院关于审理案件适用法律若干问题的解释", doc_number="法释〔2010〕7号"),
     DocType("解释", "司法解释")),
    (dict(title="最高人民法院关于适用法律问题的批复"), DocType("批复", "司法解释")),
    (dict(title="上海市市民体育健身条例", issuer="上海市人民代表大会常务委员会"),
     DocType("条例", "地方性法规")),
    (dict(title="上海市某某管理办法", doc_number="上海市人民政府令第5号"), DocType("办法", "地方政府规章")),
    (dict(title="某某管理办法", doc_number="财政部令第6号"), DocType("办法", "部门规章")),
    (dict(title="某某实施细则（试行）", issuer_kind="ministry"), DocType("细则", "部门规章")),
    (dict(title="某某暂行规定", issuer="公安部"), DocType("规定", "部门规章")),
    (dict(title="关于推进发展的指导意见", issuer_kind="ministry"), DocType("指导意见", "规范性文件")),
    (dict(title="关于推进发展的实施意见", issuer_kind="local_government"), DocType("实施意见", "规范性文件")),
    (dict(title="某某行业标准化工作指南", issuer_kind="ministry"), DocType("指南", "规范性文件")),
    (dict(title="鼓励外商投资产业目录", doc_number="发改外资〔2022〕1号"), DocType("目录", "规范性文件")),
    (dict(title="关于禁止燃放烟花爆竹的通告"), DocType("通告", None)),
    (dict(title="国家税务总局公告"), DocType("公告", None)),
    (dict(title="某某工程建设纲要", issuer_kind="party"), DocType("纲要", None)),
    (dict(title="增值税计算方法"), DocType(None, None)),
    (dict(title=None), DocType(None, None)),
])
def test_classify_doc_type(kwargs, expected):
    assert classify_doc_type(**kwargs) == expected


def test_classify_doc_type_rejects_unknown_kind():
    with pytest.raises(UserError, match="issuer_kind='province'"):
        classify_doc_type("某某条例", issuer_kind="province")


# ------------------------------------------------------------------------------------ validity


@pytest.mark.parametrize("text, value", [
    ("有效", "有效"), ("现行有效", "有效"), ("【现行有效】", "有效"), ("现行", "有效"),
    ("失效", "失效"), ("已失效", "失效"), ("废止", "失效"), ("已废止", "失效"), ("已被废止", "失效"),
    ("已修改", "已修改"), ("修订", "已修改"), ("已修正", "已修改"),
    ("部分失效", "部分失效"), ("部分有效", "部分失效"),
    ("尚未生效", "尚未生效"), ("尚未施行", "尚未生效"),
    (" 时效性：现行有效 ", "有效"),
    ("有效期五年", None), ("—", None), ("", None), (None, None),
])
def test_parse_validity(text, value):
    assert parse_validity(text) == value


# ------------------------------------------------------------------ govcn sample (15 real rows)

# Per row, in CSV order: (doc number -> prefix, year, serial, normalized, is_joint; issuer prefix),
# split_issuers(puborg), issuers_from_title(title), classify_doc_type(title, pcode, puborg).
GOVCN_EXPECTED = [
    (("国令", None, 843, "国令第843号", False), "国", ["国务院"], ["国务院"],
     DocType("决定", "行政法规")),
    (("工信部联规", 2026, 186, "工信部联规〔2026〕186号", True), "工信部",
     ["工业和信息化部", "应急管理部"], [], DocType("通知", "规范性文件", wraps="规划")),
    (("国办函", 2026, 71, "国办函〔2026〕71号", False), "国办", ["国务院办公厅"], ["国务院办公厅"],
     DocType("复函", "规范性文件")),
    (("环生态", 2026, 47, "环生态〔2026〕47号", False), "环生态",
     ["生态环境部", "自然资源部", "住房城乡建设部", "水利部", "农业农村部", "国家林草局"], [],
     DocType("通知", "规范性文件", wraps="规划")),
    (None, None, [], ["国务院"], DocType("批复", "规范性文件")),
    (("发改能源", 2026, 979, "发改能源〔2026〕979号", False), "发改能源", ["国家发展改革委", "国家能源局"],
     [], DocType("通知", "规范性文件", wraps="规划")),
    (None, None, [], [], DocType("答记者问", None)),
    (("自然资办函", 2026, 1198, "自然资办函〔2026〕1198号", False), "自然资办", ["自然资源部办公厅"],
     ["自然资源部办公厅"], DocType("通知", "规范性文件", wraps="方案")),
    (("国令", None, 842, "国令第842号", False), "国", ["国务院"], [], DocType("条例", "行政法规")),
    (("发改能源", 2026, 942, "发改能源〔2026〕942号", False), "发改能源", ["国家发展改革委", "国家能源局"],
     ["国家发展改革委", "国家能源局"], DocType("通知", "规范性文件", wraps="规划")),
    (("国管节能", 2026, 161, "国管节能〔2026〕161号", False), "国管节能", ["国管局", "国家发展改革委"],
     ["国家机关事务管理局", "国家发展和改革委员会"], DocType("通知", "规范性文件", wraps="方案")),
    (("国发", 2026, 30, "国发〔2026〕30号", False), "国", ["国务院"], ["国务院"],
     DocType("通知", "规范性文件", wraps="规划")),
    (("工信部规", 2026, 169, "工信部规〔2026〕169号", False), "工信部", ["工业和信息化部"],
     ["工业和信息化部"], DocType("通知", "规范性文件", wraps="规划")),
    (("环气候", 2026, 42, "环气候〔2026〕42号", False), "环气候", ["生态环境部"], [],
     DocType("通知", "规范性文件", wraps="规划")),
    (("国中医药医政发", 2026, 6, "国中医药医政发〔2026〕6号", False), "国中医药医政", ["国家中医药局"], [],
     DocType("通知", "规范性文件", wraps="方案")),
]


def test_govcn_sample_rows(shared_dir):
    path = shared_dir / "reference/govcn_policy_library_metadata_sample.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(GOVCN_EXPECTED) == 15
    for row, (doc_exp, prefix_exp, puborg_exp, title_exp, type_exp) in zip(rows, GOVCN_EXPECTED):
        where = f"row {row['title']!r}"
        doc = parse_doc_number(row["pcode"])
        if doc_exp is None:
            assert doc is None, where
        else:
            assert (doc.prefix, doc.year, doc.serial, doc.normalized, doc.is_joint) == doc_exp, where
            assert doc_number_issuer_prefix(doc.prefix) == prefix_exp, where
        assert split_issuers(row["puborg"]) == puborg_exp, where
        assert issuers_from_title(row["title"]) == title_exp, where
        assert classify_doc_type(row["title"], row["pcode"], row["puborg"] or None) == type_exp, where
        assert parse_date(row["pub_date"]).isoformat() == row["pub_date"], where
    # the two rows whose puborg ends in 等 say so
    assert [parse_issuers(r["puborg"]).has_etc for r in rows].count(True) == 2


# --------------------------------------------------------------------------------- LawRefBook


def _md(title: str, header: list[str], body: str = "第一条 正文。") -> str:
    lines = [f"# {title}", ""]
    for h in header:
        lines += [h, ""]
    return "\n".join(lines + ["<!-- INFO END -->", "", body, ""])


NINGBO_PATH = "DLC/浙江地方法规/地方性法规/浙江/宁波市宗教活动场所管理办法(2021-08-12).md"
NINGBO_HEADER = [
    "1997年3月27日 宁波市第十届人民代表大会常务委员会第三十次会议通过",
    "1997年6月28日 浙江省第八届人民代表大会常务委员会第三十七次会议批准",
    "2012年12月26日 宁波市第十四届人民代表大会常务委员会第六次会议通过",
    "2013年5月29日 浙江省第十二届人民代表大会常务委员会第三次会议批准的《宁波市人民代表大会常务委员会"
    "关于修改〈宁波市宗教活动场所管理办法〉的决定》第一次修正",
    "2021年6月24日 宁波市第十五届人民代表大会常务委员会第三十八次会议通过",
    "2021年7月30日 浙江省第十三届人民代表大会常务委员会第三十次会议批准的《宁波市人民代表大会常务委员会"
    "关于修改〈宁波市宗教活动场所管理办法〉的决定》第二次修正",
]


def test_lawrefbook_local_regulation_from_plain_checkout():
    meta = parse_lawrefbook({"path": NINGBO_PATH,
                             "text": _md("宁波市宗教活动场所管理办法", NINGBO_HEADER, "第一条 为了保护。")})
    assert meta.title == "宁波市宗教活动场所管理办法"
    assert meta.header_lines == tuple(NINGBO_HEADER)
    assert meta.adopted_date == date(1997, 3, 27)
    assert meta.approved_date == date(1997, 6, 28)
    assert meta.promulgated_date is None and meta.effective_date is None
    assert meta.amended_dates == (date(2013, 5, 29), date(2021, 7, 30))
    assert [e.actions for e in meta.events] == [
        ("adopted",), ("approved",), (), ("amended",), (), ("amended",)]
    assert meta.issuer == "宁波市人民代表大会常务委员会" and meta.issuer_source == "header"
    assert meta.doc_number is None
    assert (meta.folder, meta.category, meta.region, meta.agency) == (
        "DLC/浙江地方法规", "地方性法规", "浙江", None)
    assert meta.path_date == date(2021, 8, 12)
    assert meta.body == "第一条 为了保护。"


def test_lawrefbook_state_council_order():
    meta = parse_lawrefbook_text(
        "行政法规/金融违法行为处罚办法(1999-02-22).md",
        _md("金融违法行为处罚办法", ["1999年1月14日 国务院第13次常务会议通过",
                                    "1999年2月22日 中华人民共和国国务院令第260号发布\u3000"]))
    assert meta.adopted_date == date(1999, 1, 14)
    assert meta.promulgated_date == date(1999, 2, 22)
    assert meta.issuer == "国务院"
    assert meta.doc_number == "国务院令第260号"
    assert (meta.folder, meta.category, meta.region) == ("行政法规", "行政法规", "全国")


def test_lawrefbook_joint_judicial_interpretation():
    meta = parse_lawrefbook_text("司法解释/x(2010-03-02).md", _md("x", [
        "2009年12月28日 最高人民法院审判委员会第1481次会议、2010年2月4日最高人民检察院第十一届检察委员会"
        "第29次会议通过",
        "2010年3月2日 最高人民法院、最高人民检察院公告公布",
        "2010年3月26日 施行",
    ]))
    assert meta.issuer == "最高人民法院、最高人民检察院"
    assert meta.adopted_date == date(2009, 12, 28)
    assert meta.promulgated_date == date(2010, 3, 2)
    assert meta.effective_date == date(2010, 3, 26)
    assert [(e.body, e.group) for e in meta.events[:2]] == [("最高人民法院", 0), ("最高人民检察院", 0)]


def test_lawrefbook_national_law_uses_markdown_title():
    record = {
        "source_path": "社会法/未成年人保护法(2024-04-26).md", "folder": "社会法", "category": "社会法",
        "region": "全国", "title": "未成年人保护法",
        "text": _md("中华人民共和国未成年人保护法", [
            "1991年9月4日 第七届全国人民代表大会常务委员会第二十一次会议通过",
            "2006年12月29日 第十届全国人民代表大会常务委员会第二十五次会议第一次修订\u3000",
            "2012年10月26日 第十一届全国人民代表大会常务委员会第二十九次会议《关于修改〈中华人民共和国"
            "未成年人保护法〉的决定》第一次修正\u3000",
            "2020年10月17日 第十三届全国人民代表大会常务委员会第二十二次会议第二次修订\u3000",
        ]),
    }
    meta = parse_lawrefbook(record)
    assert meta.title == "中华人民共和国未成年人保护法"
    assert meta.issuer == "全国人民代表大会常务委员会"
    assert meta.adopted_date == date(1991, 9, 4)
    assert meta.amended_dates == (date(2006, 12, 29), date(2012, 10, 26), date(2020, 10, 17))
    assert meta.path_date == date(2024, 4, 26)


def test_lawrefbook_approval_chain_with_genju():
    meta = parse_lawrefbook_text("DLC/浙江地方法规/地方性法规/浙江/杭州市某某条例(2019-06-14).md", _md(
        "杭州市某某条例", [
            "2015年10月30日 杭州市第十二届人民代表大会常务委员会第三十二次会议通过",
            "2015年12月30日 浙江省第十二届人民代表大会常务委员会第二十五次会议批准根据2019年4月3日"
            "杭州市第十三届人民代表大会常务委员会第十八次会议通过",
            "2019年5月31日 浙江省第十三届人民代表大会常务委员会第十二次会议批准的《杭州市人民代表大会"
            "常务委员会关于修改〈杭州市某某条例〉的决定》修正",
        ]))
    assert [(e.date, e.actions) for e in meta.events] == [
        (date(2015, 10, 30), ("adopted",)), (date(2015, 12, 30), ("approved",)),
        (date(2019, 4, 3), ()), (date(2019, 5, 31), ("amended",))]
    assert meta.amended_dates == (date(2019, 5, 31),)


def test_lawrefbook_adopted_and_approved_in_one_line():
    meta = parse_lawrefbook_text("DLC/山东地方法规/地方性法规/山东/济南市某某条例(2010-11-25).md", _md(
        "济南市某某条例", [
            "1998年9月16日 济南市第十二届人民代表大会常务委员会第四次会议通过",
            "1998年11月21日 山东省第九届人民代表大会常务委员会第五次会议批准",
            "2001年5月18日 济南市第十二届人民代表大会常务委员会第二十次会议通过并经2001年6月15日山东省"
            "第九届人民代表大会常务委员会第二十一次会议批准的《济南市人民代表大会常务委员会关于修改〈济南市"
            "职工教育条例〉等二十三件地方性法规的决定》第一次修正",
        ]))
    assert meta.amended_dates == (date(2001, 6, 15),)
    assert meta.approved_date == date(1998, 11, 21)
    assert meta.events[2].group == meta.events[3].group
    assert meta.region == "山东"


def test_lawrefbook_abbreviated_body_borrows_place():
    meta = parse_lawrefbook_text("DLC/浙江地方法规/地方性法规/浙江/宁波杭州湾新区条例(2015-04-13).md", _md(
        "宁波杭州湾新区条例", [
            "2014年12月26日 市十四届人大常委会第二十次会议通过",
            "2015年3月27日 省十二届人大常委会第十八次会议批准",
            "2015年4月13日 宁波市人民代表大会常务委员会公告第12号公布",
            "2015年5月1日 施行",
        ]))
    assert meta.issuer == "宁波市人民代表大会常务委员会"
    assert meta.events[1].body == "浙江省人民代表大会常务委员会"
    assert meta.doc_number == "宁波市人民代表大会常务委员会公告第12号"
    assert (meta.adopted_date, meta.approved_date, meta.promulgated_date, meta.effective_date) == (
        date(2014, 12, 26), date(2015, 3, 27), date(2015, 4, 13), date(2015, 5, 1))


def test_lawrefbook_split_lines_and_effective_on_promulgation():
    meta = parse_lawrefbook_text("行政法规/某某工作条例(1984-04-04).md", _md(
        "某某工作条例", ["1984年4月4日 国务院", "中央军委发布", "发布之日施行"]))
    assert meta.issuer == "国务院、中央军委"
    assert meta.promulgated_date == meta.effective_date == date(1984, 4, 4)
    assert meta.events[0].actions == ("promulgated", "effective")


def test_lawrefbook_case_header_with_iso_date():
    meta = parse_lawrefbook_text("案例/消费购物/某某案.md", _md(
        "预付卡未使用金额经营者应向消费者返还", ["消费者权益保护典型案例", "最高人民法院发布", "2022-03-15"]))
    assert meta.promulgated_date == date(2022, 3, 15)
    assert meta.issuer == "最高人民法院"
    assert (meta.folder, meta.path_date) == ("案例", None)


def test_lawrefbook_notice_with_signature():
    meta = parse_lawrefbook_text("行政法规/工资支付暂行规定(1994-12-06).md", _md("工资支付暂行规定", [
        "关于印发《工资支付暂行规定》的通知", "劳部发〔1994〕489号",
        "各省、自治区、直辖市及计划单列市劳动（劳动人事）厅（局），国务院有关部委：",
        "为配合《劳动法》的贯彻实施，特制定《工资支付暂行规定》。现印发给你们，请结合实际情况贯彻执行。",
        "劳动部", "一九九四年十二月六日", "1995年1月1日 执行",
    ]))
    assert meta.issuer == "劳动部"
    assert meta.promulgated_date == date(1994, 12, 6)
    assert meta.effective_date == date(1995, 1, 1)
    assert meta.doc_number == "劳部发〔1994〕489号"


def test_lawrefbook_without_header_lines():
    sh = parse_lawrefbook_text("DLC/上海地方法规/地方性法规/上海/上海市终身教育促进条例(2011-01-05).md",
                               _md("上海市终身教育促进条例", []))
    assert sh.events == () and sh.issuer is None and sh.issuer_source is None
    assert sh.path_date == date(2011, 1, 5) and sh.has_date and sh.issued_date == date(2011, 1, 5)
    reg = parse_lawrefbook_text("行政法规/网络数据安全管理条例(2024-09-24).md", _md("网络数据安全管理条例", []))
    assert (reg.issuer, reg.issuer_source) == ("国务院", "folder")
    spc = parse_lawrefbook_text("司法解释/x(2017-01-04).md",
                                _md("最高人民法院、最高人民检察院关于适用程序若干问题的规定", []))
    assert (spc.issuer, spc.issuer_source) == ("最高人民法院、最高人民检察院", "title")
    rule = parse_lawrefbook_text("部门规章/公安部/机动车登记规定(2021-12-17).md", _md("机动车登记规定", []))
    assert (rule.issuer, rule.issuer_source, rule.agency) == ("公安部", "path", "公安部")


def test_lawrefbook_text_without_marker():
    meta = parse_lawrefbook_text("行政法规/x.md", "# 某某条例\n\n第一条 正文。\n")
    assert meta.title == "某某条例" and meta.body == "第一条 正文。" and meta.header_lines == ()


@pytest.mark.parametrize("path, folder, category, region, agency, path_date, stem", [
    (NINGBO_PATH, "DLC/浙江地方法规", "地方性法规", "浙江", None, date(2021, 8, 12), "宁波市宗教活动场所管理办法"),
    ("./行政法规/金融违法行为处罚办法(1999-02-22).md", "行政法规", "行政法规", "全国", None,
     date(1999, 2, 22), "金融违法行为处罚办法"),
    ("部门规章/市场监督管理总局/某某办法.md", "部门规章", "部门规章", "全国", "市场监督管理总局", None, "某某办法"),
    ("司法解释/最高人民法院关于《刑法修正案(八)》时间效力问题的解释(2011-04-25).md", "司法解释", "司法解释",
     "全国", None, date(2011, 4, 25), "最高人民法院关于《刑法修正案(八)》时间效力问题的解释"),
    ("DLC/北京地方法规/北京市某某条例.md", "DLC/北京地方法规", None, "北京", None, None, "北京市某某条例"),
])
def test_parse_lawrefbook_path(path, folder, category, region, agency, path_date, stem):
    assert parse_lawrefbook_path(path) == {"folder": folder, "category": category, "region": region,
                                           "agency": agency, "path_date": path_date, "stem": stem}


def test_lawrefbook_bad_records():
    with pytest.raises(RecordError, match="'text'"):
        parse_lawrefbook({"source_path": "行政法规/x.md"})
    with pytest.raises(RecordError, match="source_path"):
        parse_lawrefbook({"text": "# x"})
    with pytest.raises(RecordError, match="mapping"):
        parse_lawrefbook(["行政法规/x.md", "# x"])


def test_lawrefbook_corpus_coverage(lawrefbook_path):
    with gzip.open(lawrefbook_path, "rt", encoding="utf-8") as fh:
        metas = [parse_lawrefbook(json.loads(line)) for line in fh]
    n = len(metas)
    assert n == 3284
    with_date = sum(m.has_date for m in metas) / n
    with_issuer = sum(m.issuer is not None for m in metas) / n
    adopted_or_promulgated = sum(bool(m.adopted_date or m.promulgated_date) for m in metas) / n
    assert with_date >= 0.95, with_date
    assert with_issuer >= 0.95, with_issuer
    assert adopted_or_promulgated >= 0.90, adopted_or_promulgated
    # The file-name date is the version's date, so the header's first date should not come after
    # it. Upstream breaks this for 17 of 2,817 files (stale names, off-by-one days); a parsing bug
    # that misreads years would push this far above 1%.
    both = [m for m in metas if m.path_date and m.events]
    late = [m for m in both if min(m.header_dates) > m.path_date]
    assert len(late) / len(both) < 0.01, [m.source_path for m in late]
