"""Building the reference tables every corpus database carries, from the packaged data.

The store's migrations create the tables (empty, :mod:`zhengce.corpus.schema.corpus`);
:func:`build_reference_tables` fills them, and refills them when the data files or the build code
change. It is an explicit step of the code paths that read or write documents (ingest, retag, the
gazetteer and sector taxonomy of a store, the analyses of agencies and sectors):

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
    (:mod:`zhengce.corpus.sectors`).

Resolution (issuer names to levels, places and agencies) is :mod:`zhengce.corpus.gazetteer`.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import importlib.util
import io
import json
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from zhengce.common.errors import UserError
from .schema.corpus import REFERENCE_TABLES

DATA_DIR = Path(__file__).resolve().parent / "data"
AGENCIES_FILE = DATA_DIR / "agencies.yaml"
DIVISION_ALIASES_FILE = DATA_DIR / "division_aliases.yaml"
SECTORS_FILE = DATA_DIR / "sectors.yaml"


def read_yaml(path: Path) -> Any:
    """A packaged YAML file; a missing or broken file is a one-line UserError."""
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc}; reinstall zhengce") from exc
    except yaml.YAMLError as exc:
        raise UserError(f"{path} is not valid YAML ({exc}); fix the file") from exc


#: Bump when the code that turns the data files into table rows changes.
REFERENCE_BUILD = 1
META_KEY = "reference_tables_version"

SECTOR_KINDS = {2: "division", 3: "group", 4: "class"}
N_SECTOR_DIVISIONS = 31
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

# The 55 recognized minority nationalities, as they appear before 自治区/州/县/旗.
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

# ---------------------------------------------------------------------------------------------
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
    manual = read_yaml(DIVISION_ALIASES_FILE) or {}
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
    data = read_yaml(AGENCIES_FILE) or {}
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


def _as_list(value, where: str, path) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise UserError(f"{path}: {where} must be a list of non-empty strings, got {value!r}")
    return [v.strip() for v in value]


def build_sector_rows() -> tuple[list[dict], list[dict]]:
    """Rows of the ``sectors`` and ``sector_sets`` tables from ``corpus/data/sectors.yaml``,
    validated (code shapes and nesting, 31 divisions, unique codes and keywords, set members)."""
    path = SECTORS_FILE
    data = read_yaml(path) or {}
    source = str(data.get("source") or "").strip()
    rows: list[dict] = []
    by_code: dict[str, dict] = {}
    keyword_owner: dict[str, str] = {}

    def add(entry, parent: str | None, where: str) -> dict:
        if not isinstance(entry, dict):
            raise UserError(f"{path}: {where} must be a mapping with code, name, keywords")
        code, name = str(entry.get("code") or "").strip(), str(entry.get("name") or "").strip()
        if not code.isdigit() or len(code) not in SECTOR_KINDS or not name:
            raise UserError(f"{path}: {where} needs a 2-4 digit code and a name, got {code!r} {name!r}")
        if parent is not None and (not code.startswith(parent) or len(code) != len(parent) + 1):
            raise UserError(f"{path}: sector {code} is listed under {parent}; a {SECTOR_KINDS[len(code)]} "
                            "code extends its parent's code by one digit")
        if parent is None and len(code) != 2:
            raise UserError(f"{path}: top-level sector {code} must be a 2-digit division")
        if code in by_code:
            raise UserError(f"{path}: sector code {code} appears twice")
        keywords = _as_list(entry.get("keywords"), f"sector {code}.keywords", path)
        for kw in keywords:
            if kw in keyword_owner:
                raise UserError(f"{path}: keyword {kw!r} is listed for {keyword_owner[kw]} and {code}; "
                                "a keyword signals one sector")
            keyword_owner[kw] = code
        row = {"code": code, "name": name, "kind": SECTOR_KINDS[len(code)], "parent_code": parent,
               "keywords": keywords, "source": source}
        rows.append(row)
        by_code[code] = row
        return row

    divisions = data.get("divisions")
    if not isinstance(divisions, list):
        raise UserError(f"{path}: no 'divisions' list; restore the file from zhengce")
    for d in divisions:
        div = add(d, None, "division entry")
        for g in d.get("groups") or []:
            group = add(g, div["code"], f"group of {div['code']}")
            for c in g.get("classes") or []:
                add(c, group["code"], f"class of {group['code']}")
    n_div = sum(r["kind"] == "division" for r in rows)
    if n_div != N_SECTOR_DIVISIONS:
        raise UserError(f"{path}: {n_div} divisions listed; manufacturing (section C) has "
                        f"{N_SECTOR_DIVISIONS} (13-43)")
    set_rows = []
    for set_name, codes in (data.get("sets") or {}).items():
        for code in _as_list(codes, f"sets.{set_name}", path):
            if code not in by_code:
                raise UserError(f"{path}: set {set_name!r} names unknown sector {code!r}")
            set_rows.append({"set_name": str(set_name), "code": code})
    return rows, set_rows



@functools.lru_cache(maxsize=1)
def build_reference_rows() -> ReferenceRows:
    """All reference-table rows, built from the packaged data (cached for the process)."""
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


def build_reference_tables(store, *, force: bool = False) -> bool:
    """Fill the reference tables (created empty by the store's migrations) from the packaged
    data; return True when they were (re)built.

    An explicit step, called by the code paths that read them (ingest, re-tagging, the gazetteer
    and sector taxonomy of a store). Cheap when current: the version stored under
    ``zhengce_meta.reference_tables_version`` is compared with :func:`reference_version` and
    nothing else is read.
    """
    db = store.db
    version = reference_version()
    if not force:
        row = db.execute("select value from zhengce_meta where key = ?", [META_KEY]).fetchone()
        if row and row[0] == version:
            return False
    rows = build_reference_rows()
    prepared = _prepared_inserts()
    conn = db.conn
    with conn:
        for table in REFERENCE_TABLES:
            conn.execute(f"delete from {table}")
        for sql, values in prepared:
            conn.executemany(sql, values)
        for key, value in ((META_KEY, version),
                           ("divisions_skipped_placeholders", str(rows.skipped_placeholders))):
            conn.execute("insert or replace into zhengce_meta (key, value) values (?, ?)", [key, value])
    return True


def rows_from_store(store) -> ReferenceRows:
    """The reference rows of a corpus database, built first when they are missing or stale."""
    build_reference_tables(store)
    db = store.db
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


