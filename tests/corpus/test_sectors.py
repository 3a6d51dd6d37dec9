"""GB/T 4754-2017 manufacturing taxonomy and keyword matching of documents to sectors."""

from __future__ import annotations

import pytest

from zhengce.common.errors import UserError
from zhengce.corpus import reference as ref
from zhengce.corpus.reference import build_reference_tables
from zhengce.corpus.sectors import (SectorMatch, SectorTaxonomy, build_sector_rows, is_manufacturing,
                            match_sectors)


@pytest.fixture(scope="module")
def tax() -> SectorTaxonomy:
    return SectorTaxonomy.default()


def codes(matches):
    return [m.sector_code for m in matches]


def test_taxonomy_counts_and_names(tax):
    divisions = tax.codes("division")
    assert len(divisions) == 31
    assert divisions[0] == "13" and divisions[-1] == "43"
    assert divisions == [str(c) for c in range(13, 44)]
    assert len(tax.codes("group")) == 179
    assert all(tax.sectors[g].parent_code == g[:2] for g in tax.codes("group"))
    names = {c: tax.sectors[c].name for c in ("13", "36", "39", "43", "361", "367", "397", "3973", "3612")}
    assert names == {"13": "农副食品加工业", "36": "汽车制造业", "39": "计算机、通信和其他电子设备制造业",
                     "43": "金属制品、机械和设备修理业", "361": "汽车整车制造",
                     "367": "汽车零部件及配件制造", "397": "电子器件制造", "3973": "集成电路制造",
                     "3612": "新能源车整车制造"}
    # groups per division, from the standard: 13 has 8 (131-137, 139), 36 has 7, 39 has 9
    per_div = {d: sum(1 for g in tax.codes("group") if g.startswith(d)) for d in ("13", "29", "36", "39")}
    assert per_div == {"13": 8, "29": 2, "36": 7, "39": 9}


def test_sets(tax):
    assert tax.set_codes("semiconductors") == ("3562", "3972", "3973", "3985")
    assert "3612" in tax.set_codes("automotive") and "36" in tax.set_codes("automotive")
    assert tax.in_set(["39", "397", "3973"], "semiconductors")
    assert not tax.in_set(["26"], "automotive")
    with pytest.raises(UserError, match="unknown sector set 'steel'"):
        tax.set_codes("steel")


def test_sector_tables_in_store(store):
    build_reference_tables(store)  # the explicit step loading runs
    assert store.count("sectors") == len(build_sector_rows()[0])
    assert store.count("sectors", "kind = 'division'") == 31
    assert store.count("sectors", "kind = 'group'") == 179
    row = store.db.execute("select name, kind, parent_code, keywords from sectors where code = '3973'").fetchone()
    assert row == ("集成电路制造", "class", "397", '["集成电路", "芯片", "晶圆", "封装测试"]')
    assert store.count("sector_sets", "set_name = 'semiconductors'") == 4
    from_store = SectorTaxonomy.from_store(store)
    assert codes(from_store.match("集成电路产业", "")) == ["39", "397", "3973"]


def test_keyword_in_title_matches_class_group_and_division():
    out = match_sectors("关于促进集成电路产业发展的若干政策", "")
    assert out == [SectorMatch("39", ("集成电路",), 1, 1), SectorMatch("397", ("集成电路",), 1, 1),
                   SectorMatch("3973", ("集成电路",), 1, 1)]


def test_text_needs_two_hits():
    assert match_sectors("通知", "支持芯片企业。") == []
    out = match_sectors("通知", "支持芯片企业，建设晶圆生产线，扶持芯片设计。")
    assert codes(out) == ["39", "397", "3973"]
    assert out[-1].matched_terms == ("晶圆", "芯片") and out[-1].n_matches == 3
    assert out[-1].n_title_matches == 0


def test_new_energy_vehicles_count_once_and_not_as_plain_automobiles():
    out = match_sectors("关于加快新能源汽车推广应用的指导意见", "新能源汽车推广。")
    assert codes(out) == ["36", "361", "3612"]
    assert all(m.matched_terms == ("新能源汽车",) for m in out)
    assert out[0].n_matches == 2  # one in the title, one in the text; 汽车 inside it is not counted


def test_group_hits_add_up_to_the_division():
    # one 汽车 and one 汽车零部件 in the text: each sector alone has one hit, the division two
    out = match_sectors("通知", "汽车产业与汽车零部件。")
    assert codes(out) == ["36"]
    assert out[0].matched_terms == ("汽车", "汽车零部件") and out[0].n_matches == 2


def test_min_text_matches_parameter():
    rows, _ = build_sector_rows()
    strict = SectorTaxonomy(rows, {}, min_text_matches=3)
    assert strict.match("通知", "芯片、芯片") == []
    assert codes(strict.match("通知", "芯片、芯片、芯片")) == ["39", "397", "3973"]
    with pytest.raises(UserError, match="min_text_matches"):
        SectorTaxonomy(rows, {}, min_text_matches=0)


def test_bad_input_types():
    with pytest.raises(TypeError):
        match_sectors(None, "text")


def _sectors_file(tmp_path, divisions_yaml: str):
    path = tmp_path / "sectors.yaml"
    path.write_text("source: test\ndivisions:\n" + divisions_yaml, encoding="utf-8")
    return path


def test_duplicate_keyword_is_rejected(tmp_path, monkeypatch):
    monkeypatch.setattr(ref, "SECTORS_FILE", _sectors_file(tmp_path, (
        "  - {code: '13', name: 甲, keywords: [饲料]}\n"
        "  - {code: '14', name: 乙, keywords: [饲料]}\n")))
    with pytest.raises(UserError, match="keyword '饲料' is listed for 13 and 14"):
        build_sector_rows()


def test_misplaced_code_and_division_count_are_rejected(tmp_path, monkeypatch):
    monkeypatch.setattr(ref, "SECTORS_FILE", _sectors_file(tmp_path, (
        "  - code: '13'\n    name: 甲\n    groups:\n      - {code: '141', name: 乙}\n")))
    with pytest.raises(UserError, match="sector 141 is listed under 13"):
        build_sector_rows()
    monkeypatch.setattr(ref, "SECTORS_FILE", _sectors_file(tmp_path, "  - {code: '13', name: 甲}\n"))
    with pytest.raises(UserError, match="1 divisions listed; manufacturing"):
        build_sector_rows()


@pytest.mark.parametrize("code, expected", [
    ("36", True), ("3612", True), ("C36", True), ("c3973", True), ("13", True), ("43", True),
    ("12", False), ("44", False), ("A01", False), ("", False), (None, False), ("36x", False),
])
def test_is_manufacturing(code, expected):
    assert is_manufacturing(code) is expected
