"""Tag one record: the parsing functions of :mod:`zhengce.corpus.tagging` plus the gazetteer.

:func:`tag_fields` is the single place where a source's raw metadata strings become document
columns. Loaders and the crawler both call it (through :mod:`zhengce.corpus.ingest`), and
``zhengce retag`` re-runs it over ``raw_records`` without re-fetching anything.

Unparseable values are left null and a warning naming the field and the value is recorded in
``documents.warnings``: the document is still stored.
"""

from __future__ import annotations

import re
from typing import Any

from . import tagging
from .gazetteer import Gazetteer
from .sectors import match_sectors
from .store import to_json
from .tagging.traditional import CONVERTED_WARNING, is_traditional, simplified_fields

TAG_VERSION = 1

LEVELS = ("central", "provincial", "local")

# LawRefBook folders → effect level (效力级别). Laws by subject folder are 法律.
LAWREFBOOK_EFFECT = {
    "行政法规": "行政法规", "司法解释": "司法解释", "部门规章": "部门规章", "案例": "案例",
    "宪法": "宪法", "宪法相关法": "法律", "民法典": "法律", "民法商法": "法律", "行政法": "法律",
    "经济法": "法律", "社会法": "法律", "刑法": "法律", "诉讼与非诉讼程序法": "法律",
}
_HEADING = re.compile(r"^\s*#+\s*")


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _date(fields: dict, key: str, warnings: list[str]) -> str | None:
    raw = _clean(fields.get(key))
    if raw is None or tagging.is_placeholder(raw):
        return None
    parsed = tagging.parse_date_iso(raw)
    if parsed is None:
        warnings.append(f"{key} not parsed: {raw!r}")
    return parsed


def tag_fields(fields: dict[str, Any], hints: dict[str, Any] | None = None,
               gazetteer: Gazetteer | None = None) -> tuple[dict[str, Any], list[dict]]:
    """Document columns and sector matches for one record's raw fields.

    ``fields`` uses the canonical names of :data:`zhengce.corpus.loaders.CANONICAL_FIELDS`;
    ``hints`` carries source-specific parse results (LawRefBook's region and folder, amendment
    dates).
    """
    hints = hints or {}
    gaz = gazetteer or Gazetteer.default()
    warnings: list[str] = []
    out: dict[str, Any] = {}
    if is_traditional(f"{fields.get('title') or ''}\n{fields.get('text') or ''}"):
        fields = simplified_fields(fields)
        warnings.append(CONVERTED_WARNING)

    title = _clean(fields.get("title"))
    if title:
        title = _HEADING.sub("", title)
    out["title"] = title
    text = str(fields.get("text") or "")
    raw_number, number = _tag_doc_number(fields, out, warnings)
    year = _tag_dates(fields, hints, number, out, warnings)
    names, lead = _tag_issuer(fields, hints, title, year, number, gaz, out, warnings)
    _tag_form(fields, hints, title, raw_number, names, lead, gaz, out, warnings)

    sector_matches = match_sectors(title or "", text)
    sectors = [{"sector_code": s.sector_code, "matched_terms": to_json(list(s.matched_terms)),
                "n_matches": s.n_matches} for s in sector_matches]
    out["sectors"] = to_json([s["sector_code"] for s in sectors])
    out["warnings"] = to_json(warnings)
    return out, sectors


def _tag_doc_number(fields: dict, out: dict, warnings: list[str]):
    """发文字号: the number as written and its parts; returns (raw number, parsed or None)."""
    raw_number = _clean(fields.get("doc_number"))
    number = None
    if raw_number and not tagging.is_placeholder(raw_number):
        number = tagging.parse_doc_number(raw_number)
        if number is None:
            warnings.append(f"doc_number not parsed: {raw_number!r}")
    out["doc_number"] = raw_number if raw_number and not tagging.is_placeholder(raw_number) else None
    out["doc_number_prefix"] = number.prefix if number else None
    out["doc_number_year"] = number.year if number else None
    out["doc_number_serial"] = number.serial if number else None
    return raw_number, number


def _tag_dates(fields: dict, hints: dict, number, out: dict, warnings: list[str]) -> int | None:
    """Issued / published / effective / amended dates, and the analysis year: issued, else
    published, else effective, else the year in the document number."""
    issued = _date(fields, "issued_date", warnings)
    published = _date(fields, "published_date", warnings)
    effective = _date(fields, "effective_date", warnings)
    out["issued_date"], out["published_date"], out["effective_date"] = issued, published, effective
    amended = [d for d in (hints.get("amended_dates") or []) if d]
    out["amended_dates"] = to_json(amended)
    year = None
    for candidate in (issued, published, effective):
        if candidate:
            year = int(candidate[:4])
            break
    if year is None and number is not None and number.year:
        year = number.year
    out["year"] = year
    return year


def _tag_issuer(fields: dict, hints: dict, title: str | None, year: int | None, number,
                gaz: Gazetteer, out: dict, warnings: list[str]):
    """Issuers -> level, region and agency (the lead issuer, else the title, else the number's
    prefix); site defaults fill what the issuer did not tell. Returns (names, lead match)."""
    issuer_raw = _clean(fields.get("issuer"))
    names = tagging.split_issuers(issuer_raw) if issuer_raw else []
    if not names and title:
        names = tagging.issuers_from_title(title)
    out["issuer_raw"] = issuer_raw
    out["issuers"] = to_json(names)
    matches = [m for m in (gaz.resolve_issuer(n, year) for n in names) if m is not None]
    lead = matches[0] if matches else None
    if lead is None and title:
        lead = gaz.resolve_issuer(title, year)  # e.g. 山东省安全生产条例, 滨州市文明行为促进条例
    if lead is None and number is not None and number.prefix:
        agency = gaz.agency_for_doc_number_prefix(number.prefix, year)
        if agency:
            lead = gaz.resolve_issuer(gaz.agency_name(agency), year)
    if lead is None and hints.get("region") == "全国":
        out.update(level="central", level_detail="central")
    if names and not matches:
        warnings.append(f"issuer not in the gazetteer: {'、'.join(names)}")
    if lead is not None:
        out.update(level=lead.level, level_detail=lead.level_detail, province=lead.province,
                   province_code=lead.province_code, prefecture=lead.prefecture,
                   prefecture_code=lead.prefecture_code, county=lead.county,
                   county_code=lead.county_code, agency_id=lead.agency_id)
    # Site defaults (a crawler spec's issuer defaults) fill what the issuer did not tell.
    for key in ("level", "province", "prefecture", "county"):
        if not out.get(key) and _clean(fields.get(key)):
            out[key] = _clean(fields.get(key))
    if out.get("level") and out["level"] not in LEVELS:
        warnings.append(f"level {out['level']!r} is not one of {', '.join(LEVELS)}")
        out["level"] = None
    if not out.get("level_detail") and out.get("level"):
        out["level_detail"] = out["level"]
    agency_ids = sorted({m.agency_id for m in matches if m.agency_id})
    out["agency_ids"] = to_json(agency_ids)
    return names, lead


def _tag_form(fields: dict, hints: dict, title: str | None, raw_number: str | None,
              names: list[str], lead, gaz: Gazetteer, out: dict, warnings: list[str]) -> None:
    """Document type, effect level (the source's, else LawRefBook's folder, else the form's),
    validity and the source's own category."""
    issuer_kind = gaz.issuer_kind(lead) if lead is not None else None
    lead_name = names[0] if names else (lead.name if lead is not None else None)
    doc_type = tagging.classify_doc_type(title or "", raw_number, issuer=lead_name,
                                         issuer_kind=issuer_kind)
    out["doc_type"] = _clean(fields.get("doc_type")) or (doc_type.form if doc_type else None)
    effect = _clean(fields.get("effect_level"))
    folder = hints.get("folder")
    if not effect and folder:
        top = str(folder).split("/")[-1]
        effect = LAWREFBOOK_EFFECT.get(top) or ("地方性法规" if "地方法规" in str(folder) else None)
    out["effect_level"] = effect or (doc_type.effect_level if doc_type else None)
    validity_raw = _clean(fields.get("validity"))
    out["validity"] = tagging.parse_validity(validity_raw) if validity_raw else None
    if validity_raw and out["validity"] is None:
        warnings.append(f"validity not recognized: {validity_raw!r}")
    out["category"] = _clean(fields.get("category"))
