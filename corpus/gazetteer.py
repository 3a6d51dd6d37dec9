"""Reference tables and issuer resolution: administrative divisions, central agencies, sectors.

Three reference tables travel inside every corpus database (built by
:func:`ensure_reference_tables`, which :meth:`corpus.store.Store.open` calls):

``divisions`` / ``division_aliases``
    China's province-, prefecture- and county-level divisions with their 6-digit GB/T 2260 codes,
    read at run time from the division list shipped in the ``cpca`` package
    (``cpca/resources/adcodes.csv``, Ministry of Civil Affairs codes; about 2016 vintage, so
    counties abolished or renamed earlier are missing under their old names). Placeholder rows
    (市辖区, 县, 省直辖县级行政区划 ...) are not divisions and are skipped; their count is kept in
    ``zhengce_meta`` under ``divisions_skipped_placeholders``. ``division_aliases`` lists every
    name a division answers to (official name, short form, manual extra) with ``n_codes``, the
    number of divisions sharing that name: ``n_codes > 1`` marks an ambiguous name (朝阳区 is in
    Beijing and in Changchun; the short form 吉林 is a province and a prefecture).
``agencies`` / ``agency_aliases`` / ``agency_doc_prefixes``
    Central issuers with their history (``corpus/data/agencies.yaml``): predecessors, successors,
    and the ``continued_by`` link that defines lineages (国家计划委员会 spc -> 国家发展计划委员会
    sdpc -> 国家发展和改革委员会 ndrc), plus the 发文字号 prefixes each agency uses.
``sectors`` / ``sector_sets``
    GB/T 4754-2017 manufacturing divisions, groups and selected classes with keywords
    (:mod:`corpus.sectors`).

:class:`Gazetteer` answers questions about the first two: :meth:`Gazetteer.resolve_issuer` turns
an issuer name as written (浙江省发展和改革委员会, 国家发展改革委, 北京市海淀区人民政府) into an
:class:`IssuerMatch` with the administrative level, place codes and agency id. Every lookup is a
handful of dictionary probes (the loader tags tens of thousands of documents per second).

Rules of :meth:`Gazetteer.resolve_issuer`, in order:

1. Central agencies: the longest agency name or alias at the start of the string (after an
   optional 中华人民共和国). When one alias names several agencies (国家计委 = spc until 1998 and
   sdpc 1998-2003), ``year`` picks the one that existed then (in a reform year the newer one; if
   none existed, the nearest in time); without a year ``agency_id`` is None and ``candidates``
   lists them. A place right after the agency name (国家税务总局浙江省税务局, 中国人民银行杭州中心支行)
   marks a local branch of a vertically managed agency: the level is the place's, ``agency_id``
   stays set.
2. Places: the longest division name at the start (after an optional 中共/中国共产党, which sets
   ``party``), then, inside it, the longest name of a division below it, and so on down to the
   county (浙江省杭州市余杭区). At the start only official names, manual aliases and the short
   forms of provinces and prefectures count; below a matched place, short forms of counties too.
   A short form must be followed by an administrative suffix (which is consumed: 北京市密云县
   finds 密云区) or by a division below it (浙江杭州市); so 湖北省公安厅 does not find 公安县.
   A name shared by several divisions that the following text does not settle is ambiguous: the
   match keeps only what all candidates share (level, province) and lists their codes in
   ``candidates``; if their levels differ, the result is None.
3. Levels: provinces, autonomous regions and the municipalities 北京/天津/上海/重庆 are
   'provincial'; prefectures and counties (incl. municipal districts) are 'local', with
   ``level_detail`` 'prefecture' or 'county'.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import importlib.util
import io
import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator, NamedTuple

import yaml

from zhengce.common.errors import UserError

DATA_DIR = Path(__file__).resolve().parent / "data"
AGENCIES_FILE = DATA_DIR / "agencies.yaml"
DIVISION_ALIASES_FILE = DATA_DIR / "division_aliases.yaml"
SECTORS_FILE = DATA_DIR / "sectors.yaml"

#: Bump when the code that turns the data files into table rows changes.
REFERENCE_BUILD = 1
META_KEY = "reference_tables_version"
REFERENCE_TABLES = ("divisions", "division_aliases", "agencies", "agency_aliases",
                    "agency_doc_prefixes", "sectors", "sector_sets")

CPCA_ADCODES = ("resources", "adcodes.csv")
PLACEHOLDER_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
MUNICIPALITIES = frozenset({"110000", "120000", "310000", "500000"})

AGENCY_KINDS = frozenset({
    "legislature", "head_of_state", "party", "state_council", "court", "procuratorate",
    "supervision", "ministry", "commission", "central_bank", "special", "directly_affiliated",
    "office", "bureau", "public_institution", "coordination",
})
_AGENCY_FIELDS = frozenset({
    "id", "name", "aliases", "kind", "valid_from", "valid_to", "predecessors", "successors",
    "continued_by", "doc_prefixes", "doc_prefixes_exact", "notes",
})

# The 55 recognised minority nationalities, as they appear before 自治区/州/县/旗.
_ETHNIC_GROUPS = (
    "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家",
    "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇",
    "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米",
    "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔", "独龙",
    "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
)
# Stripped from the end of an autonomous unit's stem: 'X族' for every group, and the bare name
# only for multi-character names (a bare 水/土/回 would eat real place names).
_ETHNIC_SUFFIXES = tuple(sorted(
    {g + "族" for g in _ETHNIC_GROUPS} | {g for g in _ETHNIC_GROUPS if len(g) > 1} | {"各族"},
    key=len, reverse=True))
_AUTONOMOUS_SUFFIXES = ("自治区", "自治州", "自治县", "自治旗")
_PLAIN_SUFFIXES = ("特别行政区", "地区", "林区", "新区", "省", "市", "县", "区", "旗", "盟")
_SUFFIX_ENDINGS = tuple({s[-1] for s in _AUTONOMOUS_SUFFIXES + _PLAIN_SUFFIXES})
# What may follow a short form in an issuer string, by the kind of division it names (longest
# first; consumed with the match). 县 and 区 are interchangeable for counties because many
# counties became districts (北京市密云县 is today's 密云区).
_FOLLOWING_SUFFIXES = {
    "province": ("特别行政区", "自治区", "省", "市"),
    "prefecture": ("自治州", "地区", "市", "州", "盟"),
    "county": ("自治县", "自治旗", "林区", "新区", "县", "区", "市", "旗"),
}
_PARTY_PREFIXES = ("中国共产党", "中共")
_PRC = "中华人民共和国"
_LOCAL_GOV_CHARS = frozenset("政府")


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IssuerMatch:
    """What an issuer name says about who issued a document.

    name: the string as given. level: 'central' | 'provincial' | 'local'. level_detail:
    'central' | 'provincial' | 'prefecture' | 'county'. agency_id: canonical id of a central
    agency (also set for a local branch of one), else None. province/prefecture/county and their
    6-digit GB/T 2260 codes: the place, where known. matched: the part of ``name`` that was
    recognised (an agency alias, or the place names, e.g. 北京市海淀区). body: what follows the
    recognised part (人民政府办公厅), '' when nothing does. party: the name began with 中共 /
    中国共产党. candidates: the agency ids or division codes left when the name alone does not
    decide between several (国家计委 without a year; 朝阳区 without its city); empty otherwise.
    """

    name: str
    level: str
    level_detail: str
    agency_id: str | None = None
    province: str | None = None
    province_code: str | None = None
    prefecture: str | None = None
    prefecture_code: str | None = None
    county: str | None = None
    county_code: str | None = None
    matched: str = ""
    body: str = ""
    party: bool = False
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    short_name: str
    kind: str  # province / prefecture / county
    province_code: str
    prefecture_code: str | None
    parent_code: str | None
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Agency:
    agency_id: str
    name: str
    aliases: tuple[str, ...]
    level: str
    kind: str
    valid_from: int | None
    valid_to: int | None
    predecessor_ids: tuple[str, ...]
    successor_ids: tuple[str, ...]
    continued_by: str | None
    notes: str | None

    def valid_in(self, year: int) -> bool:
        return ((self.valid_from is None or self.valid_from <= year)
                and (self.valid_to is None or year <= self.valid_to))

    def distance(self, year: int) -> int:
        if self.valid_from is not None and year < self.valid_from:
            return self.valid_from - year
        if self.valid_to is not None and year > self.valid_to:
            return year - self.valid_to
        return 0


@dataclass(frozen=True)
class PlaceMention:
    """A division name found in free text: [start, end) offsets, the text, and the codes it may
    name (several when the name is ambiguous)."""

    start: int
    end: int
    text: str
    codes: tuple[str, ...]


# ---------------------------------------------------------------------------------------------
# Building the table rows from the packaged data
# ---------------------------------------------------------------------------------------------

class ReferenceRows(NamedTuple):
    divisions: list[dict]
    division_aliases: list[dict]
    agencies: list[dict]
    agency_aliases: list[dict]
    agency_doc_prefixes: list[dict]
    sectors: list[dict]
    sector_sets: list[dict]
    skipped_placeholders: int


def _cpca_adcodes_path():
    """The cpca division list, found through importlib's resource reader without importing cpca
    (its __init__ loads pandas and takes a quarter of a second)."""
    spec = importlib.util.find_spec("cpca")
    if spec is None:
        raise UserError("the cpca package is not installed: pip install cpca==0.5.5 "
                        "(zhengce reads its list of administrative divisions)")
    reader = spec.loader.get_resource_reader(spec.name) if spec.loader else None
    if reader is not None and hasattr(reader, "files"):
        path = reader.files().joinpath(*CPCA_ADCODES)
    else:  # an unusual installation: fall back to the public API (imports cpca)
        from importlib import resources
        path = resources.files("cpca").joinpath(*CPCA_ADCODES)
    if not path.is_file():
        raise UserError(f"cpca is installed but has no {'/'.join(CPCA_ADCODES)}: "
                        "reinstall it (pip install --force-reinstall cpca==0.5.5)")
    return path


def _cpca_version() -> str:
    try:
        return metadata.version("cpca")
    except metadata.PackageNotFoundError:
        return "unknown"


def _strip_ethnic(stem: str) -> str:
    changed = True
    while changed:
        changed = False
        for suffix in _ETHNIC_SUFFIXES:
            if stem.endswith(suffix) and len(stem) - len(suffix) >= 2:
                stem = stem[: -len(suffix)]
                changed = True
                break
    return stem


def short_form(name: str) -> str | None:
    """The division name without its administrative suffix (and, for autonomous units, the
    nationality names before it), or None when fewer than two characters would remain.

    广西壮族自治区 -> 广西, 内蒙古自治区 -> 内蒙古, 延边朝鲜族自治州 -> 延边, 宁波市 -> 宁波,
    阿克苏地区 -> 阿克苏, 神农架林区 -> 神农架, 鄂伦春自治旗 -> 鄂伦春, 忠县 -> None.
    """
    if not name.endswith(_SUFFIX_ENDINGS):
        return None
    for suffix in _AUTONOMOUS_SUFFIXES:
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            short = _strip_ethnic(stem)
            if short == stem and stem.endswith("族"):  # 鄂温克族自治旗: the whole stem is a nationality
                short = stem[:-1]
            return short if len(short) >= 2 and short != name else None
    for suffix in _PLAIN_SUFFIXES:
        if name.endswith(suffix):
            short = name[: -len(suffix)]
            return short if len(short) >= 2 else None
    return None


def _division_kind(code: str) -> str:
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "prefecture"
    return "county"


def _coord(rec: list[str], index: int | None) -> float | None:
    if index is None or len(rec) <= index or not rec[index].strip():
        return None
    try:
        return float(rec[index])
    except ValueError:
        return None


def _read_division_rows() -> tuple[list[dict], int]:
    path = _cpca_adcodes_path()
    source = (f"cpca {_cpca_version()} resources/adcodes.csv, "
              "Ministry of Civil Affairs division codes (GB/T 2260)")
    text = path.read_bytes().decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    missing = {"adcode", "name"} - set(header)
    if missing:
        raise UserError(f"{path}: columns {sorted(missing)} missing from the cpca division list; "
                        "reinstall cpca==0.5.5")
    i_code, i_name = header.index("adcode"), header.index("name")
    i_lon = header.index("longitude") if "longitude" in header else None
    i_lat = header.index("latitude") if "latitude" in header else None
    by_code: dict[str, dict] = {}
    skipped = 0
    for line_no, rec in enumerate(reader, start=2):
        if not rec:
            continue
        adcode = rec[i_code].strip() if len(rec) > i_code else ""
        name = rec[i_name].strip() if len(rec) > i_name else ""
        if len(adcode) not in (6, 12) or not adcode.isdigit() or not name:
            raise UserError(f"{path} line {line_no}: bad adcode/name {adcode!r}/{name!r}; "
                            "reinstall cpca==0.5.5")
        if name in PLACEHOLDER_NAMES:
            skipped += 1
            continue
        code = adcode[:6]
        if code in by_code:
            raise UserError(f"{path} line {line_no}: code {code} appears twice "
                            f"({by_code[code]['name']}, {name}); reinstall cpca==0.5.5")
        by_code[code] = {"code": code, "name": name, "longitude": _coord(rec, i_lon),
                         "latitude": _coord(rec, i_lat)}
    rows = []
    for code in sorted(by_code):
        rec = by_code[code]
        kind = _division_kind(code)
        province_code = code[:2] + "0000"
        if province_code not in by_code:
            raise UserError(f"{path}: division {code} {rec['name']} has no province row "
                            f"{province_code}; reinstall cpca==0.5.5")
        prefecture_code = None
        if kind == "county":
            candidate = code[:4] + "00"
            # Municipal districts and province-administered counties sit under a placeholder.
            prefecture_code = candidate if candidate in by_code else None
        elif kind == "prefecture":
            prefecture_code = code
        parent = None
        if kind == "prefecture":
            parent = province_code
        elif kind == "county":
            parent = prefecture_code or province_code
        short = short_form(rec["name"])
        rows.append({
            "code": code, "name": rec["name"], "short_name": short or rec["name"], "kind": kind,
            "province_code": province_code, "prefecture_code": prefecture_code,
            "parent_code": parent, "aliases": [short] if short else [],
            "longitude": rec["longitude"], "latitude": rec["latitude"], "source": source,
        })
    return rows, skipped


def _read_yaml(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc}; reinstall zhengce") from exc
    except yaml.YAMLError as exc:
        raise UserError(f"{path} is not valid YAML ({exc}); fix the file") from exc


def _division_alias_rows(divisions: list[dict]) -> list[dict]:
    codes = {d["code"] for d in divisions}
    strength = {"name": 3, "manual": 2, "short": 1}
    pairs: dict[tuple[str, str], str] = {}

    def add(alias: str, code: str, kind: str) -> None:
        key = (alias, code)
        if key not in pairs or strength[kind] > strength[pairs[key]]:
            pairs[key] = kind

    for d in divisions:
        add(d["name"], d["code"], "name")
        for a in d["aliases"]:
            add(a, d["code"], "short")
    manual = _read_yaml(DIVISION_ALIASES_FILE) or {}
    for i, entry in enumerate(manual.get("aliases") or []):
        alias, code = str(entry.get("alias") or "").strip(), str(entry.get("code") or "").strip()
        if not alias or code not in codes:
            raise UserError(f"{DIVISION_ALIASES_FILE} entry {i + 1}: alias {alias!r} names "
                            f"unknown division code {code!r}; use a 6-digit code from the divisions table")
        add(alias, code, "manual")
    n_codes: dict[str, int] = {}
    for alias, _ in pairs:
        n_codes[alias] = n_codes.get(alias, 0) + 1
    return [{"alias": a, "code": c, "alias_kind": k, "n_codes": n_codes[a]}
            for (a, c), k in sorted(pairs.items())]


def _year(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2100:
        raise UserError(f"{AGENCIES_FILE}: {where} must be a year (e.g. 2003) or null, got {value!r}")
    return value


def _str_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise UserError(f"{AGENCIES_FILE}: {where} must be a list of non-empty strings, got {value!r}")
    return [v.strip() for v in value]


def _agency_rows() -> tuple[list[dict], list[dict], list[dict]]:
    data = _read_yaml(AGENCIES_FILE) or {}
    source = " ".join(str(data.get("source") or "").split())
    entries = data.get("agencies")
    if not isinstance(entries, list) or not entries:
        raise UserError(f"{AGENCIES_FILE}: no 'agencies' list; restore the file from zhengce")
    rows: dict[str, dict] = {}
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or not e.get("id") or not e.get("name"):
            raise UserError(f"{AGENCIES_FILE}: entry {i + 1} needs at least id and name")
        aid = str(e["id"])
        where = f"agency {aid}"
        unknown = set(e) - _AGENCY_FIELDS
        if unknown:
            raise UserError(f"{AGENCIES_FILE}: {where} has unknown fields {sorted(unknown)}; "
                            f"allowed: {sorted(_AGENCY_FIELDS)}")
        if not aid.isascii() or not aid.replace("_", "").isalnum() or aid != aid.lower():
            raise UserError(f"{AGENCIES_FILE}: id {aid!r} must be a lower-case ASCII slug")
        if aid in rows:
            raise UserError(f"{AGENCIES_FILE}: id {aid!r} is used twice; ids must be unique")
        kind = e.get("kind")
        if kind not in AGENCY_KINDS:
            raise UserError(f"{AGENCIES_FILE}: {where} kind {kind!r} is not one of {sorted(AGENCY_KINDS)}")
        valid_from, valid_to = _year(e.get("valid_from"), f"{where}.valid_from"), _year(e.get("valid_to"), f"{where}.valid_to")
        if valid_from is not None and valid_to is not None and valid_to < valid_from:
            raise UserError(f"{AGENCIES_FILE}: {where} ends ({valid_to}) before it starts ({valid_from})")
        name = str(e["name"]).strip()
        aliases = [a for a in dict.fromkeys(_str_list(e.get("aliases"), f"{where}.aliases")) if a != name]
        rows[aid] = {
            "agency_id": aid, "name": name, "aliases": aliases, "level": "central", "kind": kind,
            "valid_from": valid_from, "valid_to": valid_to,
            "predecessor_ids": _str_list(e.get("predecessors"), f"{where}.predecessors"),
            "successor_ids": _str_list(e.get("successors"), f"{where}.successors"),
            "continued_by": e.get("continued_by"),
            "doc_prefixes": _str_list(e.get("doc_prefixes"), f"{where}.doc_prefixes"),
            "doc_prefixes_exact": _str_list(e.get("doc_prefixes_exact"), f"{where}.doc_prefixes_exact"),
            "notes": " ".join(str(e.get("notes") or "").split()) or None,
            "source": source,
        }
    _validate_agency_links(rows)
    alias_rows = _agency_alias_rows(rows)
    prefix_rows = []
    seen: dict[tuple[str, str], str] = {}
    for aid, r in rows.items():
        for match, key in (("prefix", "doc_prefixes"), ("exact", "doc_prefixes_exact")):
            for p in r[key]:
                if (p, match) in seen:
                    raise UserError(f"{AGENCIES_FILE}: doc-number prefix {p!r} is listed for both "
                                    f"{seen[(p, match)]} and {aid}; a prefix names one agency")
                seen[(p, match)] = aid
                prefix_rows.append({"prefix": p, "match": match, "agency_id": aid})
    return list(rows.values()), alias_rows, prefix_rows


def _validate_agency_links(rows: dict[str, dict]) -> None:
    for aid, r in rows.items():
        for field in ("predecessor_ids", "successor_ids"):
            for other in r[field]:
                if other not in rows:
                    raise UserError(f"{AGENCIES_FILE}: agency {aid} lists unknown {field[:-4]} {other!r}")
        for succ in r["successor_ids"]:
            if aid not in rows[succ]["predecessor_ids"]:
                raise UserError(f"{AGENCIES_FILE}: {aid} names {succ} as successor but {succ} does "
                                f"not name {aid} as predecessor; list both sides")
        for pred in r["predecessor_ids"]:
            if aid not in rows[pred]["successor_ids"]:
                raise UserError(f"{AGENCIES_FILE}: {aid} names {pred} as predecessor but {pred} does "
                                f"not name {aid} as successor; list both sides")
        cont = r["continued_by"]
        if cont is not None and cont not in r["successor_ids"]:
            raise UserError(f"{AGENCIES_FILE}: agency {aid}: continued_by {cont!r} must be one of its "
                            f"successors {r['successor_ids']}")
        if r["successor_ids"] and r["valid_to"] is None:
            raise UserError(f"{AGENCIES_FILE}: agency {aid} has successors but no valid_to; "
                            "give the year it ceased to exist")
    for aid in rows:  # continuation links must not loop
        seen, cur = set(), aid
        while cur is not None:
            if cur in seen:
                raise UserError(f"{AGENCIES_FILE}: continued_by links loop through {aid}")
            seen.add(cur)
            cur = rows[cur]["continued_by"]


def _periods_overlap(a: dict, b: dict) -> bool:
    """True when two bodies coexisted for more than a shared reform year."""
    a_from, a_to = a["valid_from"] or -10**6, a["valid_to"] or 10**6
    b_from, b_to = b["valid_from"] or -10**6, b["valid_to"] or 10**6
    return min(a_to, b_to) - max(a_from, b_from) >= 1


def _agency_alias_rows(rows: dict[str, dict]) -> list[dict]:
    by_alias: dict[str, list[str]] = {}
    for aid, r in rows.items():
        for alias in [r["name"], *r["aliases"]]:
            by_alias.setdefault(alias, [])
            if aid not in by_alias[alias]:
                by_alias[alias].append(aid)
    out = []
    for alias, ids in sorted(by_alias.items()):
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                if _periods_overlap(rows[a], rows[b]):
                    raise UserError(f"{AGENCIES_FILE}: alias {alias!r} names both {a} and {b}, which "
                                    "coexisted; an alias may be shared only by successive bodies")
        out.extend({"alias": alias, "agency_id": a, "n_agencies": len(ids)} for a in ids)
    return out


@functools.lru_cache(maxsize=1)
def build_reference_rows() -> ReferenceRows:
    """All reference-table rows, built from the packaged data (cached for the process)."""
    from .sectors import build_sector_rows

    divisions, skipped = _read_division_rows()
    division_aliases = _division_alias_rows(divisions)
    agencies, agency_aliases, prefixes = _agency_rows()
    sectors, sector_sets = build_sector_rows()
    return ReferenceRows(divisions, division_aliases, agencies, agency_aliases, prefixes,
                         sectors, sector_sets, skipped)


@functools.lru_cache(maxsize=1)
def reference_version() -> str:
    """A hash of everything the reference tables are built from."""
    h = hashlib.sha256(f"build={REFERENCE_BUILD};cpca={_cpca_version()}".encode())
    h.update(_cpca_adcodes_path().read_bytes())
    for path in (AGENCIES_FILE, DIVISION_ALIASES_FILE, SECTORS_FILE):
        try:
            h.update(path.read_bytes())
        except OSError as exc:
            raise UserError(f"cannot read {path}: {exc}; reinstall zhengce") from exc
    return f"{REFERENCE_BUILD}:{h.hexdigest()[:16]}"


# ---------------------------------------------------------------------------------------------
# Writing the tables into a store
# ---------------------------------------------------------------------------------------------

_DDL = {
    "divisions": """create table divisions (
        code text primary key, name text not null, short_name text, kind text not null,
        province_code text, prefecture_code text, parent_code text, aliases text,
        longitude real, latitude real, source text)""",
    "division_aliases": """create table division_aliases (
        alias text not null, code text not null, alias_kind text not null, n_codes integer,
        primary key (alias, code))""",
    "agencies": """create table agencies (
        agency_id text primary key, name text not null, aliases text, level text, kind text,
        valid_from integer, valid_to integer, predecessor_ids text, successor_ids text,
        continued_by text, doc_prefixes text, doc_prefixes_exact text, notes text, source text)""",
    "agency_aliases": """create table agency_aliases (
        alias text not null, agency_id text not null, n_agencies integer,
        primary key (alias, agency_id))""",
    "agency_doc_prefixes": """create table agency_doc_prefixes (
        prefix text not null, match text not null, agency_id text not null,
        primary key (prefix, match))""",
    "sectors": """create table sectors (
        code text primary key, name text not null, kind text not null, parent_code text,
        keywords text, source text)""",
    "sector_sets": """create table sector_sets (
        set_name text not null, code text not null, primary key (set_name, code))""",
}
_INDEXES = (
    "create index idx_divisions_parent on divisions (parent_code)",
    "create index idx_division_aliases_code on division_aliases (code)",
    "create index idx_agency_aliases_agency on agency_aliases (agency_id)",
    "create index idx_sectors_parent on sectors (parent_code)",
)
_JSON_COLUMNS = {"aliases", "predecessor_ids", "successor_ids", "doc_prefixes",
                 "doc_prefixes_exact", "keywords"}


def _json_list(value: list) -> str | None:
    # Same convention as store.to_json: empty lists are stored as NULL so facets stay clean.
    return json.dumps(value, ensure_ascii=False) if value else None


@functools.lru_cache(maxsize=1)
def _prepared_inserts() -> tuple[tuple[str, list[tuple]], ...]:
    """(insert statement, value tuples) per table, JSON already encoded: Store.memory() is
    called by many tests, so the per-store cost is only the executemany."""
    rows = build_reference_rows()
    out = []
    for table in REFERENCE_TABLES:
        records = getattr(rows, table)
        if not records:
            continue
        cols = list(records[0])
        sql = f"insert into {table} ({', '.join(cols)}) values ({', '.join('?' * len(cols))})"
        values = [tuple(_json_list(r[c]) if c in _JSON_COLUMNS else r[c] for c in cols)
                  for r in records]
        out.append((sql, values))
    return tuple(out)


def ensure_reference_tables(store, *, force: bool = False) -> bool:
    """Create or refresh the reference tables; return True when they were (re)built.

    Cheap when current: the version stored under ``zhengce_meta.reference_tables_version`` is
    compared with :func:`reference_version` and nothing else is read.
    """
    db = store.db
    version = reference_version()
    existing = set(db.table_names())
    if not force and all(t in existing for t in REFERENCE_TABLES) and "zhengce_meta" in existing:
        row = db.execute("select value from zhengce_meta where key = ?", [META_KEY]).fetchone()
        if row and row[0] == version:
            return False
    rows = build_reference_rows()
    prepared = _prepared_inserts()
    conn = db.conn
    with conn:
        for table in REFERENCE_TABLES:
            conn.execute(f"drop table if exists {table}")
            conn.execute(_DDL[table])
        for sql, values in prepared:
            conn.executemany(sql, values)
        for stmt in _INDEXES:
            conn.execute(stmt)
        conn.execute("create table if not exists zhengce_meta (key text primary key, value text)")
        for key, value in ((META_KEY, version),
                           ("divisions_skipped_placeholders", str(rows.skipped_placeholders))):
            conn.execute("insert or replace into zhengce_meta (key, value) values (?, ?)", [key, value])
    return True


def _rows_from_store(store) -> ReferenceRows:
    db = store.db
    missing = [t for t in REFERENCE_TABLES if t not in db.table_names()]
    if missing:
        raise UserError(f"database {store.path} lacks the reference tables {missing}: open it "
                        "with Store.open() (which builds them) or run zhengce's migrate step")

    def read(table: str) -> list[dict]:
        cur = db.execute(f"select * from {table}")
        cols = [c[0] for c in cur.description]
        out = []
        for values in cur.fetchall():
            rec = dict(zip(cols, values))
            for c in _JSON_COLUMNS & rec.keys():
                rec[c] = json.loads(rec[c]) if rec[c] else []
            out.append(rec)
        return out

    return ReferenceRows(*(read(t) for t in REFERENCE_TABLES), skipped_placeholders=0)


# ---------------------------------------------------------------------------------------------
# The gazetteer
# ---------------------------------------------------------------------------------------------

def _clean_name(name: str) -> str:
    return "".join(name.split())


class Gazetteer:
    """Divisions and central agencies, indexed for issuer resolution.

    Build with :meth:`from_store` (the tables of a corpus database) or :meth:`default` (the
    packaged data, cached). See the module docstring for the resolution rules.
    """

    def __init__(self, rows: ReferenceRows):
        self._divisions: dict[str, Division] = {}
        for r in rows.divisions:
            self._divisions[r["code"]] = Division(
                code=r["code"], name=r["name"], short_name=r["short_name"] or r["name"],
                kind=r["kind"], province_code=r["province_code"],
                prefecture_code=r["prefecture_code"], parent_code=r["parent_code"],
                aliases=tuple(r["aliases"] or ()))
        # alias -> ((code, alias_kind), ...)
        place_index: dict[str, list[tuple[str, str]]] = {}
        for r in rows.division_aliases:
            if r["code"] in self._divisions:
                place_index.setdefault(r["alias"], []).append((r["code"], r["alias_kind"]))
        self._place_index = {k: tuple(v) for k, v in place_index.items()}
        self._place_max = max((len(k) for k in self._place_index), default=0)

        self._agencies: dict[str, Agency] = {}
        for r in rows.agencies:
            self._agencies[r["agency_id"]] = Agency(
                agency_id=r["agency_id"], name=r["name"], aliases=tuple(r["aliases"] or ()),
                level=r["level"] or "central", kind=r["kind"], valid_from=r["valid_from"],
                valid_to=r["valid_to"], predecessor_ids=tuple(r["predecessor_ids"] or ()),
                successor_ids=tuple(r["successor_ids"] or ()), continued_by=r["continued_by"],
                notes=r["notes"])
        agency_index: dict[str, list[str]] = {}
        for r in rows.agency_aliases:
            agency_index.setdefault(r["alias"], []).append(r["agency_id"])
        self._agency_index = {k: tuple(v) for k, v in agency_index.items()}
        self._agency_max = max((len(k) for k in self._agency_index), default=0)
        self._prefix_map: dict[str, str] = {}
        self._prefix_exact: dict[str, str] = {}
        for r in rows.agency_doc_prefixes:
            (self._prefix_exact if r["match"] == "exact" else self._prefix_map)[r["prefix"]] = r["agency_id"]
        self._prefix_max = max((len(k) for k in self._prefix_map), default=0)
        self._continues: dict[str, list[str]] = {}  # agency -> bodies it continued
        for a in self._agencies.values():
            if a.continued_by:
                self._continues.setdefault(a.continued_by, []).append(a.agency_id)
        self._automaton = None

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def from_store(cls, store) -> "Gazetteer":
        """The gazetteer of a corpus database (its reference tables)."""
        return cls(_rows_from_store(store))

    @classmethod
    def default(cls) -> "Gazetteer":
        """The gazetteer of the packaged data, built once per process."""
        return _default_gazetteer()

    # -- divisions -------------------------------------------------------------------------------
    def division(self, code: str) -> Division | None:
        return self._divisions.get(code)

    def divisions(self, kind: str | None = None) -> list[Division]:
        return [d for d in self._divisions.values() if kind is None or d.kind == kind]

    def place_codes(self, name: str) -> tuple[str, ...]:
        """Every division that answers to ``name`` (official name, short form or manual alias)."""
        return tuple(code for code, _ in self._place_index.get(_clean_name(name), ()))

    def place_names(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        """(name, codes) for every division name and alias, for NLP dictionaries; a name with
        several codes is ambiguous."""
        for alias in sorted(self._place_index):
            yield alias, tuple(code for code, _ in self._place_index[alias])

    def find_places(self, text: str) -> list[PlaceMention]:
        """Division names in free text, leftmost-longest, non-overlapping.

        Official names, manual aliases and the short forms of provinces and prefectures are
        searched; short forms of counties are not (two-character county stems such as 公安, 东方,
        城关 are ordinary words). Ambiguous names return all their codes.
        """
        if self._automaton is None:
            import ahocorasick

            automaton = ahocorasick.Automaton()
            for alias, entries in self._place_index.items():
                codes = tuple(c for c, k in entries
                              if k != "short" or self._divisions[c].kind != "county")
                if codes:
                    automaton.add_word(alias, (alias, codes))
            automaton.make_automaton()
            self._automaton = automaton
        out = []
        for end, (alias, codes) in self._automaton.iter_long(text):
            start = end - len(alias) + 1
            out.append(PlaceMention(start, end + 1, alias, codes))
        return out

    # -- agencies --------------------------------------------------------------------------------
    def agency(self, agency_id: str) -> Agency:
        try:
            return self._agencies[agency_id]
        except KeyError:
            raise UserError(f"unknown agency id {agency_id!r}: use an agency_id from the agencies "
                            "table (corpus/data/agencies.yaml)") from None

    def agencies(self) -> list[Agency]:
        return list(self._agencies.values())

    def agency_name(self, agency_id: str) -> str:
        return self.agency(agency_id).name

    def agency_names(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        """(name or alias, agency ids) for every central agency name, for NLP dictionaries."""
        for alias in sorted(self._agency_index):
            yield alias, self._agency_index[alias]

    def agency_lineage(self, agency_id: str) -> list[str]:
        """All bodies joined to ``agency_id`` by ``continued_by`` links, oldest first.

        ndrc -> ['spc', 'sdpc', 'ndrc']; miit -> ['mpt', 'mei', 'mii', 'miit']. Bodies abolished
        with their functions dispersed (setc) are not part of any other body's lineage.
        """
        self.agency(agency_id)
        seen = {agency_id}
        stack = [agency_id]
        while stack:
            cur = stack.pop()
            neighbours = list(self._continues.get(cur, ()))
            nxt = self._agencies[cur].continued_by
            if nxt:
                neighbours.append(nxt)
            for n in neighbours:
                if n not in seen:
                    seen.add(n)
                    stack.append(n)
        return sorted(seen, key=lambda a: (self._agencies[a].valid_from or 0,
                                           self._agencies[a].valid_to or 10**6, a))

    def lineage_root(self, agency_id: str) -> str:
        """The oldest body of the lineage (spc for ndrc)."""
        return self.agency_lineage(agency_id)[0]

    def map_to_current(self, agency_id: str) -> str:
        """Follow ``continued_by`` to the body that carries the lineage today (or last did):
        spc -> ndrc, mii -> miit; setc -> setc (abolished without a continuation)."""
        cur = self.agency(agency_id).agency_id
        while self._agencies[cur].continued_by:
            cur = self._agencies[cur].continued_by
        return cur

    def canonical_agency(self, agency_id: str, year: int | None) -> str | None:
        """The body of ``agency_id``'s lineage that existed in ``year``.

        ('ndrc', 1995) -> 'spc'; ('spc', 2010) -> 'ndrc'; ('ndrc', 1998) -> 'sdpc' (a reform
        year goes to the newer body). None when no body of the lineage existed then, or when the
        lineage branches and several did (samr's lineage in 2005: saic and aqsiq). ``year`` None
        returns ``agency_id`` unchanged.
        """
        agency = self.agency(agency_id)
        if year is None or agency.valid_in(year):
            return agency_id
        valid = [a for a in self.agency_lineage(agency_id) if self._agencies[a].valid_in(year)]
        return self._single_chain_latest(valid)

    def _single_chain_latest(self, ids: list[str]) -> str | None:
        """The newest of ``ids`` if they lie on one continuation chain, else None."""
        if not ids:
            return None
        ordered = sorted(ids, key=lambda a: (self._agencies[a].valid_from or 0, a))
        for older, newer in zip(ordered, ordered[1:]):
            cur = older
            while cur is not None and cur != newer:
                cur = self._agencies[cur].continued_by
            if cur != newer:
                return None
        return ordered[-1]

    def _pick_agency(self, ids: tuple[str, ...], year: int | None) -> str | None:
        if len(ids) == 1:
            return ids[0]
        if year is None:
            return None
        valid = [a for a in ids if self._agencies[a].valid_in(year)]
        if valid:
            return self._single_chain_latest(valid) if len(valid) > 1 else valid[0]
        best = min(self._agencies[a].distance(year) for a in ids)
        nearest = [a for a in ids if self._agencies[a].distance(year) == best]
        return nearest[0] if len(nearest) == 1 else None

    def _agency_at_start(self, s: str) -> tuple[str, tuple[str, ...]] | None:
        for length in range(min(self._agency_max, len(s)), 1, -1):
            ids = self._agency_index.get(s[:length])
            if ids:
                return s[:length], ids
        return None

    def agency_for_doc_number_prefix(self, prefix: str, year: int | None = None) -> str | None:
        """The central agency whose 发文字号 starts with ``prefix`` (工信部联规 -> miit, 国办函 ->
        state_council_office, 国令 / 国发 / 国 -> state_council, 发改能源 -> ndrc, 环生态 -> mee).

        Accepts the full prefix or the issuer part left by
        :func:`corpus.tagging.doc_number_issuer_prefix`. Longest listed prefix wins; a
        one-character prefix (财, 环 ...) is not used when the next character is 政 or 府 (the
        local-government pattern). Failing a listed prefix, an agency name at the start counts
        (商务部令 -> mofcom). With ``year``, the answer moves along the agency's lineage to the
        body that existed then (环发 in 2005 -> sepa). Local prefixes (浙政发) give None.
        """
        p = _clean_name(prefix or "")
        if not p:
            return None
        agency_id = self._prefix_exact.get(p)
        if agency_id is None:
            for length in range(min(self._prefix_max, len(p)), 0, -1):
                cand = self._prefix_map.get(p[:length])
                if cand is None:
                    continue
                if length == 1 and p[1:2] and p[1] in _LOCAL_GOV_CHARS:
                    continue
                agency_id = cand
                break
        if agency_id is None:
            hit = self._agency_at_start(p[len(_PRC):] if p.startswith(_PRC) else p)
            if hit is not None:
                agency_id = self._pick_agency(hit[1], year)
        if agency_id is not None and year is not None:
            agency_id = self.canonical_agency(agency_id, year) or agency_id
        return agency_id

    # -- issuer resolution -------------------------------------------------------------------------
    def resolve_issuer(self, name: str, year: int | None = None) -> IssuerMatch | None:
        """Level, place and agency of one issuer name; None when nothing is recognised.

        Pass one issuer at a time (split joint issuers first). ``year`` (of the document)
        settles aliases used by successive bodies (国家计委: spc before 1998, sdpc 1998-2003).
        """
        if not isinstance(name, str):
            raise TypeError(f"resolve_issuer() expects a string, got {type(name).__name__}")
        s = _clean_name(name)
        if not s:
            return None
        # 1. central agencies
        for offset in ((0, len(_PRC)) if s.startswith(_PRC) else (0,)):
            hit = self._agency_at_start(s[offset:])
            if hit is None:
                continue
            alias, ids = hit
            agency_id = self._pick_agency(ids, year)
            candidates = () if agency_id is not None else ids
            rest_at = offset + len(alias)
            branch = self._resolve_place(s, rest_at, relaxed=True)
            if branch is not None:
                m, _ = branch
                return IssuerMatch(**{**m, "name": name, "agency_id": agency_id,
                                      "matched": s[:rest_at] + m["matched"],
                                      "candidates": candidates or m["candidates"]})
            return IssuerMatch(name=name, level="central", level_detail="central",
                               agency_id=agency_id, matched=s[:rest_at], body=s[rest_at:],
                               candidates=candidates)
        # 2. places
        party = False
        start = 0
        for p in _PARTY_PREFIXES:
            if s.startswith(p):
                party, start = True, len(p)
                break
        place = self._resolve_place(s, start, relaxed=False)
        if place is None:
            return None
        fields, _ = place
        return IssuerMatch(**{**fields, "name": name, "party": party})

    def _after_short(self, s: str, end: int, division: Division) -> int | None:
        """Where a short-form match may end, or None if it may not stand here."""
        if end == len(s):  # the whole string is the short form: 浙江, 北京
            return end
        for suffix in _FOLLOWING_SUFFIXES[division.kind]:
            if s.startswith(suffix, end):
                return end + len(suffix)
        if division.kind != "county" and self._place_at(s, end, division, relaxed=False):
            return end
        return None

    def _place_at(self, s: str, pos: int, parent: Division | None,
                  relaxed: bool) -> list[tuple[str, int]]:
        """(code, end) of the longest admissible division names at ``pos``."""
        if parent is not None:
            prefix = parent.code[:2] if parent.kind == "province" else parent.code[:4]
        for length in range(min(self._place_max, len(s) - pos), 1, -1):
            entries = self._place_index.get(s[pos:pos + length])
            if not entries:
                continue
            found: dict[str, int] = {}
            for code, alias_kind in entries:
                div = self._divisions[code]
                if parent is None:
                    if alias_kind == "short" and div.kind == "county":
                        continue
                elif code == parent.code or not code.startswith(prefix):
                    continue
                end = pos + length
                if alias_kind == "short":
                    after = self._after_short(s, end, div)
                    if after is None:
                        if not relaxed or div.kind == "county":
                            continue
                        after = end
                    end = after
                found.setdefault(code, end)
            if found:
                return list(found.items())
        return []

    def _resolve_place(self, s: str, start: int, relaxed: bool) -> tuple[dict, int] | None:
        pos, current = start, None
        matched_parts: list[str] = []
        while True:
            cands = self._place_at(s, pos, current, relaxed=relaxed and current is None)
            if not cands:
                break
            if len(cands) > 1:
                # A following lower-level name can settle it (吉林省吉林市 is settled by its
                # full names; a bare shared name followed by a district of only one of them too).
                settled = [(c, e) for c, e in cands
                           if self._divisions[c].kind != "county"
                           and self._place_at(s, e, self._divisions[c], relaxed=False)]
                if len(settled) == 1:
                    cands = settled
                else:
                    return self._ambiguous(s, start, pos, current, cands)
            code, end = cands[0]
            matched_parts.append(s[pos:end])
            current, pos = self._divisions[code], end
            if current.kind == "county":
                break
        if current is None:
            return None
        return self._place_fields(current, "".join(matched_parts), s[pos:]), pos

    def _place_fields(self, div: Division, matched: str, body: str) -> dict:
        province = self._divisions[div.province_code]
        prefecture = self._divisions.get(div.prefecture_code) if div.prefecture_code else None
        if div.kind == "province":
            level, detail = "provincial", "provincial"
        else:
            level, detail = "local", div.kind
        return {
            "name": "", "level": level, "level_detail": detail, "agency_id": None,
            "province": province.name, "province_code": province.code,
            "prefecture": prefecture.name if prefecture else None,
            "prefecture_code": prefecture.code if prefecture else None,
            "county": div.name if div.kind == "county" else None,
            "county_code": div.code if div.kind == "county" else None,
            "matched": matched, "body": body, "party": False, "candidates": (),
        }

    def _ambiguous(self, s: str, start: int, pos: int, parent: Division | None,
                   cands: list[tuple[str, int]]) -> tuple[dict, int] | None:
        divs = [self._divisions[c] for c, _ in cands]
        kinds = {d.kind for d in divs}
        if len(kinds) != 1:
            return None  # 吉林 alone: a province or a prefecture; the level is unknown
        kind = kinds.pop()
        end = min(e for _, e in cands)
        fields = {
            "name": "", "agency_id": None, "province": None, "province_code": None,
            "prefecture": None, "prefecture_code": None, "county": None, "county_code": None,
            "matched": s[start:end], "body": s[end:], "party": False,
            "candidates": tuple(sorted(d.code for d in divs)),
            "level": "provincial" if kind == "province" else "local",
            "level_detail": "provincial" if kind == "province" else kind,
        }
        provinces = {d.province_code for d in divs}
        if len(provinces) == 1:
            p = self._divisions[provinces.pop()]
            fields.update(province=p.name, province_code=p.code)
        prefectures = {d.prefecture_code for d in divs}
        if kind == "county" and len(prefectures) == 1 and None not in prefectures:
            p = self._divisions[prefectures.pop()]
            fields.update(prefecture=p.name, prefecture_code=p.code)
        names = {d.name for d in divs}
        if len(names) == 1 and kind != "province":
            fields["prefecture" if kind == "prefecture" else "county"] = names.pop()
        return fields, end

    # -- issuer kind -----------------------------------------------------------------------------
    def issuer_kind(self, match: IssuerMatch | None) -> str | None:
        """The issuer kind :func:`corpus.tagging.classify_doc_type` understands
        (:data:`corpus.tagging.ISSUER_KINDS`), or None when the match does not tell.

        Central: by agency kind (legislature and the head of state -> legislature, 国务院 ->
        state_council, 国务院办公厅 -> state_council_office, courts and procuratorate ->
        judiciary, Party organs -> party, everything else -> ministry). Local: a 中共 prefix ->
        party; then by what follows the place: 人民代表大会(常务委员会)/人大(常委会) ->
        local_people_congress, 人民政府/政府 -> local_government, 人民政府办公厅/办公室 and
        厅/局/委员会/委/办公室/办 ... -> local_department, 人民法院/人民检察院 -> judiciary.
        """
        if match is None:
            return None
        if match.level == "central" or (match.agency_id and not match.province_code):
            ids = [match.agency_id] if match.agency_id else list(match.candidates)
            kinds = {self._central_kind(a) for a in ids if a in self._agencies}
            return kinds.pop() if len(kinds) == 1 else None
        if match.agency_id:  # a local branch of a central agency
            return "ministry"
        if match.party:
            return "party"
        body = match.body
        if body.startswith(("人民代表大会", "人大")):
            return "local_people_congress"
        if body in ("人民政府", "政府"):
            return "local_government"
        if body.startswith(("人民法院", "中级人民法院", "高级人民法院", "人民检察院")):
            return "judiciary"
        if body.endswith(("厅", "局", "委员会", "委", "办公室", "办", "署", "中心", "处")):
            return "local_department"
        return None

    def _central_kind(self, agency_id: str) -> str:
        kind = self._agencies[agency_id].kind
        if agency_id == "state_council_office":
            return "state_council_office"
        return {"legislature": "legislature", "head_of_state": "legislature",
                "state_council": "state_council", "court": "judiciary",
                "procuratorate": "judiciary", "party": "party"}.get(kind, "ministry")


@functools.lru_cache(maxsize=1)
def _default_gazetteer() -> Gazetteer:
    return Gazetteer(build_reference_rows())
