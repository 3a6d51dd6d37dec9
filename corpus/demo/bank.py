"""The clause banks and issuer tables of the demo corpus (``corpus/data/demo/*.yaml``), their
templates, and the Chinese number and date forms documents are written with."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import yaml

from zhengce.common.errors import UserError
from .model import DATA_DIR, FIRST_YEAR, SLOTS, STRATEGIES, _CN_DIGITS

# ============================================================================ loading the banks
@dataclass(frozen=True)
class _Template:
    text: str
    fields: tuple[str, ...]
    first: int
    last: int
    sectors: frozenset[str] | None
    levels: frozenset[str] | None
    source: str

    def ok(self, year: int, sector: str | None = None, level: str | None = None) -> bool:
        return (self.first <= year <= self.last
                and (self.sectors is None or sector in self.sectors)
                and (self.levels is None or level in self.levels))


_FORMATTER = string.Formatter()


def _template(entry: Any, source: str) -> _Template:
    if isinstance(entry, str):
        text, spec = entry, {}
    elif isinstance(entry, dict) and isinstance(entry.get("t"), str):
        text, spec = entry["t"], entry
    else:
        raise UserError(f"{source}: entry {entry!r} must be a string or a mapping with a 't' "
                        "template; fix the demo data file")
    try:
        fields = tuple(dict.fromkeys(f for _, f, _, _ in _FORMATTER.parse(text) if f is not None))
    except ValueError as exc:
        raise UserError(f"{source}: template {text!r} is malformed ({exc}); "
                        "fix the braces in the demo data file") from exc
    unknown = [f for f in fields if f not in SLOTS]
    if unknown:
        raise UserError(f"{source}: template {text!r} uses unknown slot(s) {unknown}; "
                        f"use only the slots listed in corpus.demo.SLOTS")
    return _Template(
        text=text, fields=fields,
        first=int(spec.get("from", FIRST_YEAR)), last=int(spec.get("to", 9999)),
        sectors=frozenset(spec["sectors"]) if spec.get("sectors") else None,
        levels=frozenset(spec["levels"]) if spec.get("levels") else None,
        source=source,
    )


def _templates(entries: list, source: str) -> list[_Template]:
    if not isinstance(entries, list) or not entries:
        raise UserError(f"{source} must be a non-empty list; fix the demo data file")
    return [_template(e, source) for e in entries]


def _read_yaml(name: str) -> dict:
    path = DATA_DIR / name
    if not path.exists():
        raise UserError(f"demo data file {path} is missing; reinstall zhengce or restore it")
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise UserError(f"demo data file {path} is not valid YAML ({exc}); restore the file"
                        ) from exc
    if not isinstance(data, dict):
        raise UserError(f"{path} must hold a YAML mapping; restore the file")
    return data


@dataclass(frozen=True)
class _Bank:
    clauses: list[_Template]
    headings: list[str]
    chapter_titles: list[str]
    title_themes: list[_Template]
    doc_names: list[_Template]


@dataclass(frozen=True)
class _Data:
    banks: dict[str, _Bank]
    boiler: dict[str, Any]
    sectors: dict[str, dict]
    issuers: dict[str, Any]
    places: dict[str, Any]


@lru_cache(maxsize=1)
def load_demo_data() -> _Data:
    """Read and validate the clause banks, boilerplate, sectors, issuers and places (cached)."""
    banks = {}
    for strategy in STRATEGIES:
        name = f"clauses_{strategy}.yaml"
        raw = _read_yaml(name)
        if raw.get("strategy") != strategy:
            raise UserError(f"{DATA_DIR / name}: 'strategy' must be {strategy!r}")
        banks[strategy] = _Bank(
            clauses=_templates(raw.get("clauses"), f"{name}:clauses"),
            headings=list(raw["headings"]), chapter_titles=list(raw["chapter_titles"]),
            title_themes=_templates(raw.get("title_themes"), f"{name}:title_themes"),
            doc_names=_templates(raw.get("doc_names"), f"{name}:doc_names"),
        )
    raw_boiler = _read_yaml("boilerplate.yaml")
    boiler: dict[str, Any] = {}
    for key, value in raw_boiler.items():
        if isinstance(value, list) and key not in ("topic_words",):
            boiler[key] = _templates(value, f"boilerplate.yaml:{key}")
        elif isinstance(value, dict) and key in ("cc", "printed", "public_marks"):
            boiler[key] = {k: _template(v, f"boilerplate.yaml:{key}.{k}")
                           for k, v in value.items()}
        elif isinstance(value, str) and key not in ("chapter_general", "chapter_final"):
            boiler[key] = _template(value, f"boilerplate.yaml:{key}")
        else:
            boiler[key] = value
    sectors = {}
    for s in _read_yaml("sectors.yaml")["sectors"]:
        s = dict(s)
        s["products"] = _templates(s["products"], f"sectors.yaml:{s['key']}.products")
        sectors[s["key"]] = s
    return _Data(banks=banks, boiler=boiler, sectors=sectors,
                 issuers=_read_yaml("issuers.yaml"), places=_read_yaml("places.yaml"))


def _in_era(entry: dict, year: int) -> bool:
    return int(entry.get("from", FIRST_YEAR)) <= year <= int(entry.get("to", 9999))


def _era_text(entries: list, year: int) -> str:
    """The entry of an era list ({t, from, to} or plain strings) valid in ``year``."""
    for e in entries:
        if isinstance(e, str):
            return e
        if _in_era(e, year):
            return e["t"]
    raise UserError(f"no entry of {entries!r} is valid in {year}; extend the demo data file")


# ============================================================================ small formatters
def cn_number(n: int) -> str:
    """1..99 in Chinese numerals as used in 一、 and 第十二条 (not for years)."""
    units = "零一二三四五六七八九"
    if not 0 < n < 100:
        raise ValueError(f"cn_number supports 1..99, got {n}")
    tens, ones = divmod(n, 10)
    if tens == 0:
        return units[ones]
    return ("" if tens == 1 else units[tens]) + "十" + (units[ones] if ones else "")


def cn_date(d: date) -> str:
    """二〇〇六年二月十三日 (the pre-2012 公文 style)."""
    year = "".join(_CN_DIGITS[int(c)] for c in str(d.year))
    return f"{year}年{cn_number(d.month)}月{cn_number(d.day)}日"


def format_date(d: date, style: str) -> str:
    if style == "cn":
        return cn_date(d)
    if style == "iso":
        return d.isoformat()
    return f"{d.year}年{d.month}月{d.day}日"


def _text_date(d: date, rng: random.Random) -> str:
    # GB/T 9704-2012 (in force from July 2012) switched the 成文日期 to Arabic numerals.
    if d.year >= 2013 or (d.year == 2012 and d.month >= 7 and rng.random() < 0.7):
        return format_date(d, "arabic")
    return cn_date(d)


def _five_year_plan(year: int) -> str:
    names = {6: "六五", 7: "七五", 8: "八五", 9: "九五", 10: "十五", 11: "十一五", 12: "十二五",
             13: "十三五"}
    return names[(year - 1986) // 5 + 7]


# ============================================================================ issuers
@dataclass
class _Issuer:
    """Who issues one document and everything that follows from it."""

    level: str                 # central / provincial / local
    name: str                  # the issuer string (joint: names joined with 、)
    role: str                  # gov / office / dept / ministry / joint
    site_kind: str
    province: dict | None      # the province entry (provincial and local)
    local: dict | None         # the city / county entry (local)
    local_kind: str | None     # 'city' or the county kind (区 / 市 / 县)
    prefix: str | None         # 发文字号 prefix
    order: str | None          # order-number template for 令
    addressee: str
    forms: dict[str, float]
    sectors: tuple[str, ...] | None
    prefix_by_sector: list     # [(prefix, sectors or None)] for ministries
    leaning: tuple = (1.0, 1.0, 1.0)   # the strategies its documents tend to favour
