"""Reference tables (divisions, agencies) and issuer resolution.

Expected codes come from cpca 0.5.5's resources/adcodes.csv (read by hand: 330000 浙江省,
330100 杭州市, 330110 余杭区, 371600 滨州市, 110108 海淀区 ...); agency facts from the State
Council reform plans (see corpus/data/agencies.yaml).
"""

from __future__ import annotations

import csv
import re

import pytest

from zhengce.common.errors import UserError
from zhengce.corpus import reference as ref
from zhengce.corpus.gazetteer import Gazetteer, IssuerMatch
from zhengce.corpus.reference import build_reference_tables, short_form
from zhengce.corpus.store import Store


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.default()


@pytest.fixture
def store(store):
    """A store whose reference tables are built (the explicit step loading runs)."""
    build_reference_tables(store)
    return store


# --------------------------------------------------------------------------------------------
# Tables in the store
# --------------------------------------------------------------------------------------------

def test_store_has_division_tables_built_from_cpca(store):
    kinds = dict(store.db.execute("select kind, count(*) from divisions group by kind").fetchall())
    # adcodes.csv: 3,511 rows = 34 provinces + 344 prefecture rows (10 of them placeholders:
    # 市辖区 x4, 县 (500200), 省/自治区直辖县级行政区划 x5) + 3,133 county rows (282 市辖区).
    assert kinds == {"province": 34, "prefecture": 334, "county": 2851}
    skipped = store.db.execute(
        "select value from zhengce_meta where key = 'divisions_skipped_placeholders'").fetchone()[0]
    assert skipped == "292"
    assert store.count("divisions", "name in ('市辖区', '县')") == 0
    row = store.db.execute("select * from divisions where code = '330110'").fetchone()
    cols = [c[0] for c in store.db.execute("select * from divisions limit 0").description]
    rec = dict(zip(cols, row))
    assert rec["name"] == "余杭区" and rec["kind"] == "county"
    assert (rec["province_code"], rec["prefecture_code"], rec["parent_code"]) == ("330000", "330100", "330100")
    assert rec["source"].startswith("cpca 0.5.5 resources/adcodes.csv")


def test_municipality_districts_hang_under_the_province(store):
    rec = store.db.execute("select kind, province_code, prefecture_code, parent_code from divisions "
                           "where code = '110108'").fetchone()
    assert rec == ("county", "110000", None, "110000")
    # province-administered county-level city: no prefecture either
    assert store.db.execute("select name, parent_code, prefecture_code from divisions "
                            "where code = '429004'").fetchone() == ("仙桃市", "420000", None)


def test_short_aliases_and_ambiguity_are_recorded(store):
    aliases = dict(store.db.execute(
        "select code, aliases from divisions where code in ('450000', '150000', '650000', '330200', '222400')"))
    assert aliases == {"450000": '["广西"]', "150000": '["内蒙古"]', "650000": '["新疆"]',
                       "330200": '["宁波"]', "222400": '["延边"]'}
    rows = store.db.execute("select alias, code, alias_kind, n_codes from division_aliases "
                            "where alias in ('吉林', '朝阳区', '广西') order by alias, code").fetchall()
    assert rows == [("吉林", "220000", "short", 2), ("吉林", "220200", "short", 2),
                    ("广西", "450000", "short", 1),
                    ("朝阳区", "110105", "name", 2), ("朝阳区", "220104", "name", 2)]


def test_agency_tables(store):
    row = store.db.execute("select name, kind, valid_from, valid_to, predecessor_ids, continued_by "
                           "from agencies where agency_id = 'sdpc'").fetchone()
    assert row == ("国家发展计划委员会", "commission", 1998, 2003, '["spc"]', "ndrc")
    assert store.db.execute("select successor_ids from agencies where agency_id = 'setc'").fetchone() == (
        '["ndrc", "mofcom", "sasac"]',)
    ids = {r[0] for r in store.db.execute("select agency_id from agency_aliases where alias = '国家计委'")}
    assert ids == {"spc", "sdpc"}
    assert store.db.execute("select agency_id from agency_doc_prefixes where prefix = '工信' "
                            "and match = 'prefix'").fetchone() == ("miit",)


def test_build_reference_tables_is_idempotent_and_rebuilds_on_version_change(store):
    assert build_reference_tables(store) is False  # the fixture built them
    n = store.count("division_aliases")
    store.db.execute("update zhengce_meta set value = 'old' where key = ?", [ref.META_KEY])
    store.db.execute("delete from division_aliases where alias = '浙江'")
    assert build_reference_tables(store) is True
    assert store.count("division_aliases") == n
    assert store.db.execute("select value from zhengce_meta where key = ?",
                            [ref.META_KEY]).fetchone()[0] == ref.reference_version()


def test_file_store_builds_once(tmp_path):
    path = tmp_path / "ref.db"
    with Store.open(path) as s:
        assert s.count("divisions") == 0  # opening a store only migrates
        assert build_reference_tables(s) is True
        assert s.count("divisions") == 3219
    with Store.open(path) as s:
        assert build_reference_tables(s) is False


def test_gazetteer_from_a_fresh_store_builds_the_tables():
    fresh = Store.memory()
    assert Gazetteer.from_store(fresh).agency_lineage("ndrc") == ["spc", "sdpc", "ndrc"]
    assert fresh.count("divisions") == 3219


def test_from_store_matches_default(store, gaz):
    from_store = Gazetteer.from_store(store)
    for name in ("浙江省杭州市余杭区人民政府", "国家计委", "广西壮族自治区人民政府", "朝阳区人民政府"):
        assert from_store.resolve_issuer(name, 1995) == gaz.resolve_issuer(name, 1995)
    assert from_store.agency_lineage("ndrc") == ["spc", "sdpc", "ndrc"]


# --------------------------------------------------------------------------------------------
# Division names
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, short", [
    ("广西壮族自治区", "广西"), ("内蒙古自治区", "内蒙古"), ("新疆维吾尔自治区", "新疆"),
    ("宁夏回族自治区", "宁夏"), ("宁波市", "宁波"), ("延边朝鲜族自治州", "延边"),
    ("彭水苗族土家族自治县", "彭水"), ("鄂温克族自治旗", "鄂温克"), ("阿克苏地区", "阿克苏"),
    ("锡林郭勒盟", "锡林郭勒"), ("香港特别行政区", "香港"), ("忠县", None), ("城区", None),
])
def test_short_form(name, short):
    assert short_form(name) == short


def test_place_codes_and_names(gaz):
    assert gaz.place_codes("浙江省") == ("330000",)
    assert gaz.place_codes("杭州市") == ("330100",)
    assert gaz.place_codes("滨州市") == ("371600",)
    assert set(gaz.place_codes("广西")) == {"450000"}
    names = dict(gaz.place_names())
    assert names["广西壮族自治区"] == ("450000",) and set(names["朝阳区"]) == {"110105", "220104"}


def test_find_places(gaz):
    found = gaz.find_places("浙江省杭州市余杭区与朝阳区；公安县")
    assert [(m.text, m.codes) for m in found] == [
        ("浙江省", ("330000",)), ("杭州市", ("330100",)), ("余杭区", ("330110",)),
        ("朝阳区", ("110105", "220104")), ("公安县", ("421022",))]
    assert found[3].start == 10 and found[3].end == 13


# --------------------------------------------------------------------------------------------
# Issuer resolution: places
# --------------------------------------------------------------------------------------------

def _fields(m: IssuerMatch | None):
    if m is None:
        return None
    return (m.level, m.level_detail, m.province_code, m.prefecture_code, m.county_code, m.matched, m.body)


@pytest.mark.parametrize("name, expected", [
    ("浙江省人民政府", ("provincial", "provincial", "330000", None, None, "浙江省", "人民政府")),
    ("浙江省发展和改革委员会", ("provincial", "provincial", "330000", None, None, "浙江省", "发展和改革委员会")),
    ("杭州市人民政府办公厅", ("local", "prefecture", "330000", "330100", None, "杭州市", "人民政府办公厅")),
    ("宁波市人大常委会", ("local", "prefecture", "330000", "330200", None, "宁波市", "人大常委会")),
    ("滨州市人民代表大会常务委员会", ("local", "prefecture", "370000", "371600", None, "滨州市", "人民代表大会常务委员会")),
    ("余杭区人民政府", ("local", "county", "330000", "330100", "330110", "余杭区", "人民政府")),
    ("浙江省杭州市余杭区人民政府", ("local", "county", "330000", "330100", "330110", "浙江省杭州市余杭区", "人民政府")),
    ("广西壮族自治区人民政府", ("provincial", "provincial", "450000", None, None, "广西壮族自治区", "人民政府")),
    ("北京市人民政府", ("provincial", "provincial", "110000", None, None, "北京市", "人民政府")),
    ("北京市海淀区人民政府", ("local", "county", "110000", None, "110108", "北京市海淀区", "人民政府")),
    # a county that became a district (密云县 -> 密云区, 2015) still resolves below its parent
    ("北京市密云县人民政府", ("local", "county", "110000", None, "110118", "北京市密云县", "人民政府")),
    ("重庆市江北区", ("local", "county", "500000", None, "500105", "重庆市江北区", "")),
    ("湖北省仙桃市人民政府", ("local", "county", "420000", None, "429004", "湖北省仙桃市", "人民政府")),
    ("延边州人民政府", ("local", "prefecture", "220000", "222400", None, "延边州", "人民政府")),
    ("吉林省吉林市人民政府", ("local", "prefecture", "220000", "220200", None, "吉林省吉林市", "人民政府")),
    # 公安 (公安县, Hubei) is a county short form, not admitted before 厅
    ("湖北省公安厅", ("provincial", "provincial", "420000", None, None, "湖北省", "公安厅")),
    # 海南 is 海南省, 海南藏族自治州 and 海南区; 州 settles it
    ("海南州人民政府", ("local", "prefecture", "630000", "632500", None, "海南州", "人民政府")),
    ("新疆生产建设兵团", ("provincial", "provincial", "650000", None, None, "新疆生产建设兵团", "")),
    ("浙江", ("provincial", "provincial", "330000", None, None, "浙江", "")),
    ("滨州市文明行为促进条例", ("local", "prefecture", "370000", "371600", None, "滨州市", "文明行为促进条例")),
])
def test_resolve_place_issuers(gaz, name, expected):
    m = gaz.resolve_issuer(name)
    assert _fields(m) == expected
    assert m.agency_id is None and m.name == name


def test_place_names_are_filled_in(gaz):
    m = gaz.resolve_issuer("北京市海淀区人民政府")
    assert (m.province, m.prefecture, m.county) == ("北京市", None, "海淀区")
    m = gaz.resolve_issuer("余杭区人民政府")
    assert (m.province, m.prefecture, m.county) == ("浙江省", "杭州市", "余杭区")


def test_ambiguous_place_is_not_resolved_silently(gaz):
    m = gaz.resolve_issuer("朝阳区人民政府")
    assert (m.level, m.level_detail, m.county, m.county_code, m.province_code) == (
        "local", "county", "朝阳区", None, None)
    assert m.candidates == ("110105", "220104")
    # the same name below its city is unambiguous
    assert gaz.resolve_issuer("北京市朝阳区人民政府").county_code == "110105"
    # 西湖区: Hangzhou and Nanchang
    assert gaz.resolve_issuer("西湖区人民政府").candidates == ("330106", "360103")
    # 吉林 alone: a province or a prefecture, so not even the level is known
    assert gaz.resolve_issuer("吉林人民政府") is None


def test_party_prefix(gaz):
    m = gaz.resolve_issuer("中共杭州市委办公厅")
    assert (m.party, m.prefecture_code, m.level) == (True, "330100", "local")
    assert gaz.issuer_kind(m) == "party"


def test_unknown_issuer_is_none(gaz):
    assert gaz.resolve_issuer("某某科技有限公司") is None
    assert gaz.resolve_issuer("关于印发《办法》的通知") is None
    assert gaz.resolve_issuer("  ") is None
    with pytest.raises(TypeError):
        gaz.resolve_issuer(None)


# --------------------------------------------------------------------------------------------
# Issuer resolution: central agencies and their history
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, agency_id", [
    ("国务院", "state_council"), ("国务院办公厅", "state_council_office"),
    ("全国人民代表大会常务委员会", "npc_sc"), ("全国人大常委会", "npc_sc"),
    ("最高人民法院", "supreme_court"), ("最高人民检察院", "supreme_procuratorate"),
    ("国家发展改革委", "ndrc"), ("发改委", "ndrc"), ("工信部", "miit"),
    ("国务院国资委", "sasac"), ("国资委", "sasac"), ("中国人民银行", "pboc"),
    ("国家市场监督管理总局", "samr"), ("国家林草局", "nfga"), ("证监会", "csrc"),
    ("中华人民共和国财政部", "mof"), ("自然资源部办公厅", "mnr"), ("国管局", "ggj"),
])
def test_resolve_central_agencies(gaz, name, agency_id):
    m = gaz.resolve_issuer(name, 2020)
    assert (m.level, m.level_detail, m.agency_id, m.province_code) == ("central", "central", agency_id, None)


def test_year_picks_the_body_behind_a_shared_alias(gaz):
    assert gaz.resolve_issuer("国家计委", 1995).agency_id == "spc"
    assert gaz.resolve_issuer("国家计委", 2000).agency_id == "sdpc"
    assert gaz.resolve_issuer("国家计委", 1998).agency_id == "sdpc"  # reform year: the newer body
    no_year = gaz.resolve_issuer("国家计委")
    assert (no_year.level, no_year.agency_id, no_year.candidates) == ("central", None, ("spc", "sdpc"))
    assert gaz.resolve_issuer("国家药品监督管理局", 2000).agency_id == "sda"
    assert gaz.resolve_issuer("国家药品监督管理局", 2020).agency_id == "nmpa"
    assert gaz.resolve_issuer("国防科工委", 1990).agency_id == "costind_1982"
    # an unambiguous old name keeps its own id whatever the year
    assert gaz.resolve_issuer("国家经贸委", 2001).agency_id == "setc"


def test_lineages(gaz):
    assert gaz.agency_lineage("ndrc") == ["spc", "sdpc", "ndrc"]
    assert gaz.agency_lineage("spc") == ["spc", "sdpc", "ndrc"]
    assert gaz.agency_lineage("miit") == ["mpt", "mei", "mii", "miit"]
    assert gaz.agency_lineage("mee") == ["nepa", "sepa", "mep", "mee"]
    assert gaz.agency_lineage("mofcom") == ["mofert", "moftec", "mofcom"]
    assert gaz.lineage_root("ndrc") == "spc"
    assert gaz.map_to_current("spc") == "ndrc"
    assert gaz.map_to_current("mii") == "miit"
    assert gaz.map_to_current("setc") == "setc"  # abolished 2003, functions dispersed
    assert gaz.agency("setc").successor_ids == ("ndrc", "mofcom", "sasac")
    assert gaz.agency("samr").predecessor_ids == ("saic", "aqsiq", "cfda")


def test_canonical_agency(gaz):
    assert gaz.canonical_agency("ndrc", 1995) == "spc"
    assert gaz.canonical_agency("spc", 2010) == "ndrc"
    assert gaz.canonical_agency("ndrc", 2010) == "ndrc"
    assert gaz.canonical_agency("miit", 2000) == "mii"
    assert gaz.canonical_agency("ndrc", 1940) is None
    # samr's lineage branches (saic and aqsiq coexisted in 2005): no single answer
    assert gaz.canonical_agency("samr", 2005) is None
    with pytest.raises(UserError, match="unknown agency id"):
        gaz.canonical_agency("nope", 2000)


def test_branch_of_vertically_managed_agency(gaz):
    m = gaz.resolve_issuer("国家税务总局浙江省税务局")
    assert (m.agency_id, m.level, m.province_code, m.body) == ("sat", "provincial", "330000", "税务局")
    m = gaz.resolve_issuer("中国人民银行杭州中心支行")
    assert (m.agency_id, m.level, m.level_detail, m.prefecture_code) == ("pboc", "local", "prefecture", "330100")


def test_doc_number_prefixes(gaz):
    from zhengce.corpus.tagging import doc_number_issuer_prefix

    cases = {"工信部联规": "miit", "国办函": "state_council_office", "国令": "state_council",
             "国发": "state_council", "环生态": "mee", "发改能源": "ndrc", "自然资办函": "mnr",
             "国管节能": "ggj", "国中医药医政发": "natcm", "财税": "mof", "商务部令": "mofcom",
             "法释": "supreme_court", "主席令": "president", "国资发": "sasac", "银保监发": "cbirc",
             "银发": "pboc"}
    for prefix, agency_id in cases.items():
        assert gaz.agency_for_doc_number_prefix(prefix) == agency_id, prefix
        assert gaz.agency_for_doc_number_prefix(doc_number_issuer_prefix(prefix)) == agency_id, prefix
    assert gaz.agency_for_doc_number_prefix("浙政发") is None
    assert gaz.agency_for_doc_number_prefix("商政发") is None  # 商丘市人民政府, not 商务部
    assert gaz.agency_for_doc_number_prefix("国XX") is None  # 国 alone is exact-only
    # with a year, along the lineage to the body of that year
    assert gaz.agency_for_doc_number_prefix("环发", 2005) == "sepa"
    assert gaz.agency_for_doc_number_prefix("计投资", 1995) == "spc"
    assert gaz.agency_for_doc_number_prefix("工信部联规", 2005) == "mii"


def test_govcn_sample_issuers_resolve(gaz, shared_dir):
    path = shared_dir / "reference" / "govcn_policy_library_metadata_sample.csv"
    expected = {
        "国务院": "state_council", "工业和信息化部": "miit", "应急管理部": "mem",
        "国务院办公厅": "state_council_office", "生态环境部": "mee", "自然资源部": "mnr",
        "住房城乡建设部": "mohurd", "水利部": "mwr", "农业农村部": "mara", "国家林草局": "nfga",
        "国家发展改革委": "ndrc", "国家能源局": "nea", "自然资源部办公厅": "mnr", "国管局": "ggj",
        "生态环境部等": "mee", "国家中医药局等": "natcm",
    }
    seen = set()
    with open(path, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            year = int(row["pub_date"][:4])
            for name in (n for n in re.split(r"[\s、]+", row["puborg"]) if n):
                m = gaz.resolve_issuer(name, year)
                assert m is not None and m.level == "central", name
                assert m.agency_id == expected[name], name
                seen.add(name)
            if row["pcode"]:
                from zhengce.corpus.tagging import parse_doc_number

                prefix = parse_doc_number(row["pcode"]).prefix
                lead = re.split(r"[\s、]+", row["puborg"])[0]
                assert gaz.agency_for_doc_number_prefix(prefix) == expected[lead], row["pcode"]
    assert seen == set(expected)


def test_issuer_kind(gaz):
    kinds = {n: gaz.issuer_kind(gaz.resolve_issuer(n)) for n in (
        "国务院", "国务院办公厅", "全国人大常委会", "最高人民法院", "中共中央", "财政部",
        "浙江省人民政府", "浙江省人民代表大会常务委员会", "杭州市人民政府办公厅", "浙江省发展和改革委员会",
        "杭州市中级人民法院", "山东省安全生产条例")}
    assert kinds == {
        "国务院": "state_council", "国务院办公厅": "state_council_office",
        "全国人大常委会": "legislature", "最高人民法院": "judiciary", "中共中央": "party",
        "财政部": "ministry", "浙江省人民政府": "local_government",
        "浙江省人民代表大会常务委员会": "local_people_congress",
        "杭州市人民政府办公厅": "local_department", "浙江省发展和改革委员会": "local_department",
        "杭州市中级人民法院": "judiciary", "山东省安全生产条例": None}
    assert gaz.issuer_kind(None) is None


def test_agency_names_for_dictionaries(gaz):
    names = dict(gaz.agency_names())
    assert names["国家发展和改革委员会"] == ("ndrc",)
    assert set(names["国家计委"]) == {"spc", "sdpc"}
    assert gaz.agency_name("miit") == "工业和信息化部"


# --------------------------------------------------------------------------------------------
# Data validation
# --------------------------------------------------------------------------------------------

def _agency_file(tmp_path, body: str):
    path = tmp_path / "agencies.yaml"
    path.write_text("source: test\nagencies:\n" + body, encoding="utf-8")
    return path


def test_agency_links_must_be_symmetric(tmp_path, monkeypatch):
    monkeypatch.setattr(ref, "AGENCIES_FILE", _agency_file(tmp_path, (
        "  - {id: old, name: 旧委, kind: commission, valid_from: 1990, valid_to: 2000, successors: [new]}\n"
        "  - {id: new, name: 新委, kind: commission, valid_from: 2000}\n")))
    with pytest.raises(UserError, match="old names new as successor but new does not name old"):
        ref._agency_rows()


def test_alias_shared_by_coexisting_bodies_is_rejected(tmp_path, monkeypatch):
    monkeypatch.setattr(ref, "AGENCIES_FILE", _agency_file(tmp_path, (
        "  - {id: aaa, name: 甲部, aliases: [部], kind: ministry, valid_from: 1990}\n"
        "  - {id: bbb, name: 乙部, aliases: [部], kind: ministry, valid_from: 1995}\n")))
    with pytest.raises(UserError, match="alias '部' names both aaa and bbb"):
        ref._agency_rows()


def test_bad_agency_kind_and_prefix_clash(tmp_path, monkeypatch):
    monkeypatch.setattr(ref, "AGENCIES_FILE", _agency_file(
        tmp_path, "  - {id: aaa, name: 甲部, kind: ministryy}\n"))
    with pytest.raises(UserError, match="kind 'ministryy' is not one of"):
        ref._agency_rows()
    monkeypatch.setattr(ref, "AGENCIES_FILE", _agency_file(tmp_path, (
        "  - {id: aaa, name: 甲部, kind: ministry, doc_prefixes: [甲]}\n"
        "  - {id: bbb, name: 乙部, kind: ministry, doc_prefixes: [甲]}\n")))
    with pytest.raises(UserError, match="prefix '甲' is listed for both aaa and bbb"):
        ref._agency_rows()
