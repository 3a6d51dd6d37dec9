"""The bundled demo corpus: Chinese industrial-policy documents with planted strategy mixtures.

``make demo`` runs offline, so the project ships a generator of realistic documents instead of a
crawl. Documents are composed from hand-written clause banks (``corpus/data/demo/*.yaml``): one bank
per strategy of the coding scheme (Tan 2021: *directive* = market-substituting, *developmental* =
market-shaping, *regulatory* = market-enhancing), plus neutral boilerplate (addressee lines,
印发/转发 wrappers, 抄送 lines, 附则 articles ...) that later boilerplate removal has to strip.

The ground truth that later stages must recover is planted per document:

* ``μ(level, year)`` — the planted mean mixture over (directive, developmental, regulatory), a
  logistic blend between a pre-WTO and a post-WTO mean, centred between 2001 and 2002::

      s(year)        = 1 / (1 + exp(-(year - 2001.5) / 0.7))
      μ(level, year) = (1 - s(year)) · MEAN_BEFORE[level] + s(year) · MEAN_AFTER[level]

  Before 2001 every level is mostly directive; afterwards central documents become more regulatory,
  provincial ones more developmental, and local ones more directive (Tan's account).
* ``θ_d ~ Dirichlet(α · μ(level_d, year_d))`` with α = ``CONCENTRATION`` — the document's mixture.
* each substantive clause draws its strategy from θ_d and is filled from that strategy's bank;
  the realised clause shares (clauses per strategy / substantive clauses) are stored beside θ_d.

The truth is written to a separate file (``truth.csv`` + ``truth.json``) and never appears in the
document text or in the metadata the pipeline sees (:class:`DemoDocument`).

Generation streams: :meth:`DemoCorpus.iter_documents` is a generator and
:func:`write_demo_corpus` writes line by line, so memory does not grow with ``n_documents``
(43,000 documents for benchmarks). All randomness comes from ``random_state`` through one
:class:`random.Random`, whose algorithms are stable across Python versions, so a seed gives
byte-identical output.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import random
import string
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any, Iterator

import yaml

from zhengce.common.errors import UserError

DATA_DIR = Path(__file__).resolve().parent / "data" / "demo"

STRATEGIES: tuple[str, ...] = ("directive", "developmental", "regulatory")
LEVELS: tuple[str, ...] = ("central", "provincial", "local")
SITE_KINDS: tuple[str, ...] = ("govcn", "ndrc", "miit", "sasac", "mofcom", "province",
                               "prefecture", "county")

# --- the planted truth ------------------------------------------------------------------------
# Mean mixtures (directive, developmental, regulatory) long before and long after WTO entry.
MEAN_BEFORE: dict[str, tuple[float, float, float]] = {
    "central": (0.50, 0.27, 0.23),
    "provincial": (0.52, 0.33, 0.15),
    "local": (0.55, 0.32, 0.13),
}
MEAN_AFTER: dict[str, tuple[float, float, float]] = {
    "central": (0.32, 0.25, 0.43),     # regulatory +0.20
    "provincial": (0.34, 0.51, 0.15),  # developmental +0.18
    "local": (0.70, 0.20, 0.10),       # directive +0.15
}
SHIFT_CENTER = 2001.5   # midpoint of the logistic shift (WTO entry: 11 December 2001)
SHIFT_SCALE = 0.7       # years; s(2000) = 0.11, s(2001) = 0.33, s(2002) = 0.67, s(2003) = 0.89
CONCENTRATION = 20.0    # α of θ_d ~ Dirichlet(α·μ): larger = documents closer to μ

# --- corpus shape -----------------------------------------------------------------------------
FIRST_YEAR, LAST_YEAR = 1990, 2015   # the years the era-correct name tables cover
LEVEL_SHARES = {"central": 0.30, "provincial": 0.35, "local": 0.35}
GROWTH_RATE = 0.11          # yearly growth of publication volume
OPEN_GOV_YEAR = 2008        # Open Government Information regulations: more documents online
OPEN_GOV_BOOST = 1.3
FLOOR_YEAR = 1995           # from this year on each level gets a floor of documents per year ...
FLOOR_PER_600 = 5           # ... of 5 in a 600-document corpus (scaled down for smaller corpora)
REPOST_RATE = 0.02          # share of documents that are near-identical reposts of an earlier one
FORWARD_RATE = 0.05         # share of provincial documents that forward a central document
LENGTH_MEDIAN = 1450        # target text length (characters): lognormal around this median ...
LENGTH_SIGMA = 0.33
LENGTH_RANGE = (870, 2700)  # ... clipped to this range
FORWARD_MAX_LENGTH = 2750   # longest central text a forward embeds (its wrapper adds <= ~200)

# Words that name the coding scheme itself: they must never appear in a document.
LABEL_WORDS: tuple[str, ...] = (
    "directive", "developmental", "regulatory", "指令型", "发展型", "监管型", "规制型",
    "市场替代", "市场塑造", "市场增进", "市场促进型",
)

# Slots a template may use, with what fills them. Values depend on the issuer's level and on the
# year (agency names are era-correct); "clause-random" slots are drawn afresh in every clause.
SLOTS: dict[str, str] = {
    "sector": "sector name as titles use it (汽车产业); two-sector titles join both",
    "sector_short": "short sector name (汽车)",
    "product": "a product of the sector (clause-random)",
    "product2": "a second, different product (clause-random)",
    "capacity": "a capacity with the sector's unit, scaled by level (clause-random)",
    "plant_size": "a plant-size threshold with the sector's unit (clause-random)",
    "growth": "a yearly growth rate 8%..25% (clause-random)",
    "amount": "a sum of money scaled by level (clause-random)",
    "amount_small": "a grant or reward sum (clause-random)",
    "percent": "a percentage 5%..50% (clause-random)",
    "count": "a small number 3..10 (clause-random)",
    "output": "an output value scaled by level (clause-random)",
    "output_small": "a smaller output value (clause-random)",
    "validity": "years of validity, 3 or 5 (clause-random)",
    "place": "a place under the issuer (a province, a city, a district; clause-random)",
    "target_year": "a target year 3..5 years after the document (clause-random)",
    "year": "the document's year",
    "year_prev": "the year before the document",
    "span_end": "the last year of a plan that starts in the document's year",
    "plan": "the current five-year plan (十一五)",
    "prev_plan": "the previous five-year plan",
    "region_self": "我国 / 我省 / 我市 / 我区 / 我县",
    "region_all": "全国 / 全省 / 全市 / 全区 / 全县",
    "region_name": "the jurisdiction's full name for instrument names ('' for central)",
    "territory": "中华人民共和国境内 / 本省行政区域内 / ...",
    "territory_self": "我国 / 本省 / 本市 / ...",
    "gov": "国务院 / 省政府 / 市政府 / 区政府 / 县政府",
    "gov_full": "国务院 / 浙江省人民政府 / 杭州市余杭区人民政府",
    "consent": "经国务院同意， / 经省政府同意， / ''",
    "superior": "the body above the issuer (国务院, 省政府 ...)",
    "lv": "省 / 市 / 区 / 县 (the issuer's level word)",
    "econ_agency": "industry authority, era-correct (国家经贸委, 工业和信息化部, 省经信委 ...)",
    "dev_agency": "planning authority, era-correct (国家计委, 国家发展改革委, 省发展改革委 ...)",
    "fin_agency": "finance authority", "tax_agency": "tax authority",
    "quality_agency": "quality supervision authority, era-correct",
    "sci_agency": "science and technology authority, era-correct",
    "commerce_agency": "foreign trade / commerce authority, era-correct",
    "aic_agency": "industry and commerce administration",
    "sasac_agency": "state-asset authority, era-correct (国务院国资委 from 2003)",
    "docname": "name of the instrument a notice issues or an order promulgates",
    "kind": "办法 / 规定 / 细则 (the instrument's kind, in its articles)",
    "effective": "date the instrument takes effect",
    "meeting_date": "date of the adopting meeting",
    "meeting": "the adopting meeting (国务院第N次常务会议, 商务部第N次部务会议 ...)",
    "orig_title": "title of a forwarded document", "orig_number": "its 发文字号",
    "print_date": "date in the 印发 line", "print_office": "office in the 印发 line",
    "topic_word": "主题词 head word", "kind_word": "主题词 document kind",
    "issuer": "the issuer string", "aim": "purpose phrase of an instrument's first article",
    "basis": "legal basis phrase of an instrument's first article",
}

_CN_DIGITS = "〇一二三四五六七八九"


# ============================================================================ public dataclasses
@dataclass(frozen=True)
class DemoDocument:
    """One demo document as the pipeline sees it: metadata in real formats and the text.

    ``site_kind`` names the kind of website that would publish it ('govcn', 'ndrc', 'miit',
    'sasac', 'mofcom', 'province', 'prefecture', 'county'); ``province`` is what such a site knows
    from its own location (None for national sites). No field carries the planted truth.
    """

    source_id: str
    url: str
    title: str
    doc_number: str | None
    issuer: str
    issued_date: str | None
    published_date: str | None
    doc_type_hint: str | None
    text: str
    site_kind: str
    province: str | None


@dataclass(frozen=True)
class DemoTruth:
    """The planted ground truth of one document (stored apart from the corpus).

    ``theta`` is θ_d, the mixture drawn from Dirichlet(α·μ(level, year)); ``clause_shares`` are
    the realised shares of the substantive clauses (count per strategy / ``n_clauses``). A repost
    carries its original's truth and names it in ``is_repost_of``; a forward (a province
    forwarding a central document) is provincial, carries the forwarded document's mixture (its
    substantive text is that document's) and names it in ``forward_of``.
    """

    source_id: str
    level: str
    year: int
    theta: dict[str, float]
    clause_shares: dict[str, float]
    sectors: tuple[str, ...]
    is_repost_of: str | None
    is_forward: bool
    forward_of: str | None = None
    n_clauses: int = 0


# ============================================================================ the planted means
def shift_weight(year: float) -> float:
    """s(year): how far the logistic pre→post-WTO shift has gone (0 long before, 1 long after)."""
    return 1.0 / (1.0 + math.exp(-(year - SHIFT_CENTER) / SHIFT_SCALE))


def planted_mean(level: str, year: float) -> dict[str, float]:
    """μ(level, year) over STRATEGIES: the planted mean mixture of the level's documents."""
    if level not in MEAN_BEFORE:
        raise UserError(f"unknown level {level!r}: use one of {', '.join(LEVELS)}")
    s = shift_weight(year)
    before, after = MEAN_BEFORE[level], MEAN_AFTER[level]
    return {k: (1.0 - s) * b + s * a for k, b, a in zip(STRATEGIES, before, after)}


def truth_description() -> dict[str, Any]:
    """The planted μ functions and generator constants, as written to truth.json."""
    return {
        "strategies": list(STRATEGIES),
        "planted_mean": {
            "formula": "mu(level, year) = (1 - s(year)) * before[level] + s(year) * after[level]; "
                       f"s(year) = 1 / (1 + exp(-(year - {SHIFT_CENTER}) / {SHIFT_SCALE}))",
            "before": {lv: dict(zip(STRATEGIES, v)) for lv, v in MEAN_BEFORE.items()},
            "after": {lv: dict(zip(STRATEGIES, v)) for lv, v in MEAN_AFTER.items()},
            "shift_center": SHIFT_CENTER,
            "shift_scale": SHIFT_SCALE,
            "direction": {"central": "regulatory rises after 2001",
                          "provincial": "developmental rises after 2001",
                          "local": "directive rises after 2001",
                          "baseline": "before 2001 directive is the largest share at every level"},
        },
        "theta": f"theta_d ~ Dirichlet({CONCENTRATION} * mu(level_d, year_d))",
        "concentration_alpha": CONCENTRATION,
        "clause_shares": "each substantive clause draws its strategy from theta_d; shares = "
                         "clauses per strategy / substantive clauses (boilerplate not counted)",
        "reposts": "is_repost_of names the original; same text (sometimes with a source line "
                   "or different spacing), another site and URL; truth copied from the original",
        "forwards": "is_forward: a provincial document forwarding a central one; its text "
                    "contains the central text, so theta and clause_shares are the central "
                    "document's; forward_of names it",
        "level_shares": LEVEL_SHARES,
        "publication_growth": {"rate": GROWTH_RATE, "open_government_year": OPEN_GOV_YEAR,
                               "open_government_boost": OPEN_GOV_BOOST,
                               "floor": f"{FLOOR_PER_600} documents per level and year from "
                                        f"{FLOOR_YEAR} in a 600-document corpus"},
    }


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


# ============================================================================ the generator
class DemoCorpus:
    """A reproducible stream of demo documents with their planted truth.

    Parameters
    ----------
    n_documents : int
        Number of documents, reposts and forwards included.
    start_year, end_year : int
        Years covered (inclusive), within 1990–2015 (the era tables' range).
    random_state : int
        Seed; the same seed gives byte-identical documents.
    """

    def __init__(self, n_documents: int = 600, start_year: int = 1990, end_year: int = 2015,
                 random_state: int = 0):
        self.n_documents = n_documents
        self.start_year = start_year
        self.end_year = end_year
        self.random_state = random_state

    # -- public helpers --------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.n_documents)

    def __iter__(self) -> Iterator[tuple[DemoDocument, DemoTruth]]:
        return self.iter_documents()

    @staticmethod
    def planted_mean(level: str, year: float) -> dict[str, float]:
        """μ(level, year): see :func:`planted_mean`."""
        return planted_mean(level, year)

    def _validate(self) -> None:
        n = self.n_documents
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise UserError(f"n_documents must be a positive integer, got {n!r}")
        for name in ("start_year", "end_year"):
            y = getattr(self, name)
            if isinstance(y, bool) or not isinstance(y, int) or not FIRST_YEAR <= y <= LAST_YEAR:
                raise UserError(f"{name} must be a year in {FIRST_YEAR}..{LAST_YEAR} (the range "
                                f"the demo's era-correct agency names cover), got {y!r}")
        if self.start_year > self.end_year:
            raise UserError(f"start_year {self.start_year} is after end_year {self.end_year}; "
                            "swap them")
        if isinstance(self.random_state, bool) or not isinstance(self.random_state, int):
            raise UserError(f"random_state must be an integer seed, got {self.random_state!r}")

    def counts_by_year_level(self) -> dict[tuple[int, str], int]:
        """How many documents each (year, level) cell gets: a floor, then growth weights.

        From 1995 every level gets ``FLOOR_PER_600`` documents a year in a 600-document corpus
        (proportionally fewer in smaller ones), before 1995 one; the rest is shared out in proportion to
        exp(GROWTH_RATE·(year - 1990)) (×OPEN_GOV_BOOST from 2008) × LEVEL_SHARES[level], by
        largest remainders so the counts add up to ``n_documents`` exactly.
        """
        self._validate()
        n = self.n_documents
        years = range(self.start_year, self.end_year + 1)
        cells = [(y, lv) for y in years for lv in LEVELS]
        floor = min(FLOOR_PER_600, (FLOOR_PER_600 * n) // 600)
        early_floor = min(1, n // 600)    # every level appears every year in a full corpus
        counts = {c: (floor if c[0] >= FLOOR_YEAR else early_floor) for c in cells}
        rest = n - sum(counts.values())
        weights = {}
        for y, lv in cells:
            w = math.exp(GROWTH_RATE * (y - FIRST_YEAR)) * LEVEL_SHARES[lv]
            weights[(y, lv)] = w * (OPEN_GOV_BOOST if y >= OPEN_GOV_YEAR else 1.0)
        total = sum(weights.values())
        quotas = {c: rest * w / total for c, w in weights.items()}
        for c, q in quotas.items():
            counts[c] += int(q)
        short = n - sum(counts.values())
        by_remainder = sorted(cells, key=lambda c: (-(quotas[c] - int(quotas[c])), c))
        for c in by_remainder[:short]:
            counts[c] += 1
        return counts

    def iter_documents(self) -> Iterator[tuple[DemoDocument, DemoTruth]]:
        """Yield (document, truth) pairs in date order; deterministic for ``random_state``."""
        counts = self.counts_by_year_level()
        data = load_demo_data()
        rng = random.Random(self.random_state)
        writer = _Composer(data, rng)
        index = 0
        for year in range(self.start_year, self.end_year + 1):
            slots = []
            first_day = date(year, 1, 1).toordinal()
            n_days = date(year, 12, 31).toordinal() - first_day + 1
            for level in LEVELS:
                for _ in range(counts[(year, level)]):
                    slots.append((first_day + rng.randrange(n_days), level))
            slots.sort()
            writer.new_year(year)
            for ordinal, level in slots:
                yield writer.document(index, level, date.fromordinal(ordinal))
                index += 1


class _Composer:
    """Composes one document at a time; holds only bounded state (counters, recent documents)."""

    def __init__(self, data: _Data, rng: random.Random):
        self.data = data
        self.rng = rng
        self.boiler = data.boiler
        self.number_counters: dict[tuple[str, int], int] = {}
        self.order_counters: dict[str, int] = {}
        self._clause_cache: dict[tuple, list[_Template]] = {}
        self._issuer_cache: dict[tuple, tuple[list, list[float]]] = {}
        self.recent: dict[str, deque] = {lv: deque(maxlen=60) for lv in LEVELS}
        self.recent_central_forwardable: deque = deque(maxlen=60)
        self.year = FIRST_YEAR
        sectors = data.sectors
        self.sector_keys = list(sectors)
        self.sector_cum = list(accumulate(float(sectors[k]["weight"]) for k in self.sector_keys))
        provinces = data.places["provinces"]
        self.provinces = provinces
        self.province_cum = list(accumulate(float(p["weight"]) for p in provinces))

    # -- small random helpers --------------------------------------------------------------
    def choice(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def weighted(self, items, cum):
        return items[bisect_right(cum, self.rng.random() * cum[-1])]

    def new_year(self, year: int) -> None:
        self.year = year
        # Reposts and forwards refer to documents of the same year only, so a repost never
        # carries a name that was not yet (or no longer) in use in its year.
        for d in self.recent.values():
            d.clear()
        self.recent_central_forwardable.clear()

    def dirichlet(self, alpha: list[float]) -> list[float]:
        draws = [self.rng.gammavariate(a, 1.0) for a in alpha]
        total = sum(draws)
        if total <= 0.0:    # all gamma draws underflowed: fall back to the mean
            return [a / sum(alpha) for a in alpha]
        return [x / total for x in draws]

    def next_number(self, prefix: str, year: int) -> int:
        key = (prefix, year)
        value = self.number_counters.get(key, 0) + self.rng.randint(1, 4)
        self.number_counters[key] = value
        return value

    # -- one document ----------------------------------------------------------------------
    def document(self, index: int, level: str, day: date) -> tuple[DemoDocument, DemoTruth]:
        rng = self.rng
        source_id = f"demo-{index:06d}"
        r = rng.random()
        if r < REPOST_RATE and self.recent[level]:
            return self.repost(source_id, level, day)
        if level == "provincial" and r < REPOST_RATE + FORWARD_RATE:
            # The forwarding wrapper adds up to ~200 characters: forward shorter texts only.
            candidates = [x for x in self.recent_central_forwardable
                          if len(x[0].text) <= FORWARD_MAX_LENGTH]
            if candidates:
                return self.forward(source_id, day, self.choice(candidates))
        doc, truth, form, published = self.original(source_id, level, day)
        self.recent[level].append((doc, truth, published))
        if level == "central" and form in ("opinion", "notice", "decision", "issuance"):
            self.recent_central_forwardable.append((doc, truth, published))
        return doc, truth

    def original(self, source_id: str, level: str, day: date):
        year = day.year
        mu = planted_mean(level, year)
        theta = self.dirichlet([CONCENTRATION * mu[s] for s in STRATEGIES])
        theta_d = dict(zip(STRATEGIES, theta))
        issuer = self.pick_issuer(level, year, theta)
        sectors = self.pick_sectors(issuer)
        ctx = _Context(self, issuer, sectors, day)
        form = self.weighted_form(issuer)
        body, counts = _Body(self, ctx, theta, form).compose()
        n_clauses = sum(counts.values())
        shares = {s: counts[s] / n_clauses for s in STRATEGIES}
        doc_number = ctx.doc_number
        site_kind = issuer.site_kind
        url = self.url(site_kind, issuer, ctx.published, source_id, form)
        doc = DemoDocument(
            source_id=source_id, url=url, title=ctx.title, doc_number=doc_number,
            issuer=issuer.name,
            issued_date=self.meta_date(ctx.issued, site_kind),
            published_date=self.meta_date(ctx.published, site_kind),
            doc_type_hint=self.type_hint(ctx.doc_type, site_kind),
            text=body, site_kind=site_kind,
            province=issuer.province["name"] if issuer.province else None,
        )
        truth = DemoTruth(source_id=source_id, level=level, year=year, theta=theta_d,
                          clause_shares=shares, sectors=tuple(sectors), is_repost_of=None,
                          is_forward=False, forward_of=None, n_clauses=n_clauses)
        return doc, truth, form, ctx.published

    # -- reposts and forwards --------------------------------------------------------------
    def repost(self, source_id: str, level: str, day: date):
        rng = self.rng
        orig, orig_truth, orig_published = self.choice(self.recent[level])
        # Another site publishes the same document: a province site for central documents, a
        # city (or district) site for provincial ones, the province site for local ones.
        if level == "central":
            province = self.weighted(self.provinces, self.province_cum)
            site_kind, site_province, local = "province", province, None
            if orig.site_kind != "govcn" and rng.random() < 0.5:
                site_kind, site_province = "govcn", None
        else:
            province = next(p for p in self.provinces if p["name"] == orig.province)
            units = self.local_units(province, day.year)
            site_kind, site_province, local = "province", province, None
            if level == "provincial" and units:
                local = self.choice(units)
                # cities have no "full" name in places.yaml; counties and districts do
                site_kind = "prefecture" if "full" not in local else "county"
            # else: a local document on its province's site, or a provincial one in a second
            # column of the province site itself (no city or district site in that year)
        text = orig.text
        variant = rng.randrange(3)
        if variant == 1:
            text = self.boiler["repost_source_line"].text.format(issuer=orig.issuer) + "\n" + text
        elif variant == 2:
            text = text.replace("\n", "\n\n")
        # Reposted within a few weeks of the original's publication.
        published = orig_published + timedelta(days=rng.randint(0, 20))
        url = self.url(site_kind, None, published, source_id, "repost",
                       province=site_province, local=local)
        doc = dataclasses.replace(
            orig, source_id=source_id, url=url, text=text, site_kind=site_kind,
            province=site_province["name"] if site_province else None,
            published_date=self.meta_date(published, site_kind),
            doc_type_hint=orig.doc_type_hint if rng.random() < 0.5 else None,
        )
        truth = dataclasses.replace(orig_truth, source_id=source_id, is_repost_of=orig.source_id)
        return doc, truth

    def forward(self, source_id: str, day: date, forwarded: tuple):
        rng = self.rng
        orig, orig_truth, _ = forwarded
        province = self.weighted(self.provinces, self.province_cum)
        issuer = self.province_government(province, office=rng.random() < 0.6)
        ctx = _Context(self, issuer, list(orig_truth.sectors), day)
        if orig.title.endswith("的通知"):
            title = f"{issuer.name}转发{orig.title}"
        else:
            cut = orig.title.rfind("的")
            title = f"{issuer.name}转发{orig.title[:cut]}{orig.title[cut + 1:]}的通知"
        ctx.title = title
        ctx.doc_number = ctx.make_number("notice")
        if orig.doc_number:
            sentence = self.choice(self.boiler["forward_numbered"]).text.format(
                orig_title=orig.title, orig_number=orig.doc_number)
        else:
            sentence = self.choice(self.boiler["forward"]).text.format(orig_title=orig.title)
        lines = []
        if ctx.doc_number and rng.random() < 0.3:
            lines.append(ctx.doc_number)
        lines += [issuer.addressee, sentence, "", *issuer.name.split("、"),
                  _text_date(day, rng), "", orig.text]
        text = "\n".join(lines)
        url = self.url("province", issuer, ctx.published, source_id, "forward")
        doc = DemoDocument(
            source_id=source_id, url=url, title=title, doc_number=ctx.doc_number,
            issuer=issuer.name, issued_date=self.meta_date(day, "province"),
            published_date=self.meta_date(ctx.published, "province"),
            doc_type_hint=self.type_hint("通知", "province"), text=text, site_kind="province",
            province=province["name"],
        )
        truth = dataclasses.replace(orig_truth, source_id=source_id, level="provincial",
                                    year=day.year, is_forward=True, forward_of=orig.source_id,
                                    is_repost_of=None)
        return doc, truth

    # -- metadata formats ------------------------------------------------------------------
    def meta_date(self, d: date, site_kind: str) -> str | None:
        rng = self.rng
        if rng.random() < 0.04:
            return None   # some pages do not show the date at all
        r = rng.random()
        if site_kind in ("ndrc", "miit", "mofcom", "sasac"):
            style = "iso" if r < 0.75 else "arabic"
        elif site_kind == "govcn":
            style = "arabic" if r < 0.75 else ("cn" if r < 0.85 else "iso")
        else:
            style = "arabic" if r < 0.5 else ("iso" if r < 0.8 else "cn")
        return format_date(d, style)

    def type_hint(self, doc_type: str, site_kind: str) -> str | None:
        show = 0.95 if site_kind == "govcn" else (0.6 if site_kind in ("ndrc", "miit") else 0.35)
        return doc_type if self.rng.random() < show else None

    def url(self, site_kind: str, issuer: _Issuer | None, published: date, source_id: str,
            form: str, province: dict | None = None, local: dict | None = None) -> str:
        rng = self.rng
        index = int(source_id.rsplit("-", 1)[1])
        uid = 100000 + index * 7 + rng.randrange(7)      # unique per document and site
        hexid = f"{rng.getrandbits(96):024x}{index:08x}"
        p = published
        fields = {"y": p.year, "m": p.month, "d": p.day, "mm": f"{p.month:02d}",
                  "dd": f"{p.day:02d}", "yyyymm": f"{p.year}{p.month:02d}",
                  "yyyymmdd": f"{p.year}{p.month:02d}{p.day:02d}", "id": uid, "hex": hexid}
        if issuer is not None:
            province = province or issuer.province
            local = local or issuer.local
        if site_kind == "govcn":
            if p.year < 2006:
                return f"https://www.gov.cn/gongbao/content/{p.year}/content_{uid + 60000}.htm"
            if p.year < 2014:
                return (f"https://www.gov.cn/zwgk/{p.year}-{p.month:02d}/{p.day:02d}/"
                        f"content_{uid + 900000}.htm")
            folder = "content" if issuer is not None and issuer.role in ("gov", "office") \
                else "zhengceku"
            return (f"https://www.gov.cn/zhengce/{folder}/{p.year}-{p.month:02d}/{p.day:02d}/"
                    f"content_{uid + 4900000}.htm")
        if site_kind == "ndrc":
            col = "fzggwl" if form == "order" else self.choice(("tz", "tz", "ghxwj"))
            return (f"https://www.ndrc.gov.cn/xxgk/zcfb/{col}/{fields['yyyymm']}/"
                    f"t{fields['yyyymmdd']}_{uid + 1000000}.html")
        if site_kind == "miit":
            col = self.choice(("tz", "yj", "zh"))
            return f"https://www.miit.gov.cn/zwgk/zcwj/wjfb/{col}/art/{p.year}/art_{hexid}.html"
        if site_kind == "sasac":
            return f"http://www.sasac.gov.cn/n2588035/n2588320/n2588335/c{uid + 2000000}/content.html"
        if site_kind == "mofcom":
            col = self.choice(("f", "c", "e"))
            return (f"http://www.mofcom.gov.cn/article/b/{col}/{fields['yyyymm']}/"
                    f"{fields['yyyymm']}{uid:08d}.shtml")
        if site_kind == "province":
            fields["domain"] = province["domain"]
            fields["col"] = self.choice(province["cols"])
            return province["url"].format(**fields)
        # prefecture or county site: the province's local CMS pattern on the unit's own domain
        fields["domain"] = local["domain"]
        fields["col"] = self.choice(("1229", "2281", "1532", "zcwj"))
        return province["local_url"].format(**fields)

    # -- choosing the issuer ---------------------------------------------------------------
    def pick_issuer(self, level: str, year: int, theta: list[float]) -> _Issuer:
        """Pick an issuer of ``level`` whose leaning suits θ (θ itself is already drawn)."""
        rng = self.rng
        if level == "central":
            return self.central_issuer(year, theta)
        if level == "local":
            return self.local_issuer(self.local_province(year), year, theta)
        province = self.weighted(self.provinces, self.province_cum)
        if level == "provincial":
            r = rng.random()
            if r < 0.3:
                return self.province_government(province, office=False)
            if r < 0.6:
                return self.province_government(province, office=True)
            return self.province_department(province, year, theta)
        raise UserError(f"unknown level {level!r}: use one of {', '.join(LEVELS)}")

    def local_province(self, year: int) -> dict:
        """A province with at least one local unit under its current name in ``year``."""
        key = ("local-provinces", year)
        if key not in self._issuer_cache:
            fit = [p for p in self.provinces if self.local_units(p, year)]
            self._issuer_cache[key] = (fit, list(accumulate(float(p["weight"]) for p in fit)))
        fit, cum = self._issuer_cache[key]
        return self.weighted(fit, cum)

    @staticmethod
    def local_units(province: dict, year: int) -> list[dict]:
        return list(province.get("cities") or []) + [
            c for c in province.get("counties") or [] if int(c.get("from", FIRST_YEAR)) <= year]

    def central_issuer(self, year: int, theta: list[float]) -> _Issuer:
        rng = self.rng
        key = ("central", year)
        if key not in self._issuer_cache:
            entries = [e for e in self.data.issuers["central"] if _in_era(e, year)]
            joints = [j for j in self.data.issuers["joint"] if _in_era(j, year)]
            self._issuer_cache[key] = (entries, joints)
        entries, joints = self._issuer_cache[key]
        if joints and rng.random() < 0.12:
            weights = [_lean(j["leaning"], theta) for j in joints]
            joint = joints[bisect_right(list(accumulate(weights)), rng.random() * sum(weights))]
            lead = next(e for e in self.data.issuers["central"] if e["name"] == joint["issuers"][0])
            return _Issuer(
                level="central", name="、".join(joint["issuers"]), role="joint",
                site_kind=lead["site"], province=None, local=None, local_kind=None,
                prefix=joint["prefix"], order=None, addressee=lead["addressee"],
                forms={"notice": 3, "opinion": 1, "issuance": 2}, sectors=None,
                prefix_by_sector=[(joint["prefix"], None)], leaning=tuple(joint["leaning"]))
        weights = [float(e["weight"]) * _lean(e["leaning"], theta) for e in entries]
        e = entries[bisect_right(list(accumulate(weights)), rng.random() * sum(weights))]
        prefixes = []
        for p in e.get("prefixes") or []:
            if isinstance(p, dict):
                prefixes.append((p["p"], frozenset(p["sectors"])))
            else:
                prefixes.append((p, None))
        role = "gov" if e["name"] == "国务院" else ("office" if e["name"] == "国务院办公厅"
                                                  else "ministry")
        forms = e.get("forms") or {"notice": 3, "opinion": 1.5, "issuance": 2,
                                   "order": 0.5 if e.get("order") else 0.0}
        return _Issuer(level="central", name=e["name"], role=role, site_kind=e["site"],
                       province=None, local=None, local_kind=None, prefix=None,
                       order=e.get("order"), addressee=e["addressee"], forms=forms,
                       sectors=tuple(e["sectors"]) if e.get("sectors") else None,
                       prefix_by_sector=prefixes, leaning=tuple(e["leaning"]))

    def province_government(self, province: dict, office: bool) -> _Issuer:
        name = province["name"] + ("人民政府办公厅" if office else "人民政府")
        forms = ({"notice": 3, "issuance": 3, "opinion": 1.5} if office else
                 {"opinion": 3, "notice": 2, "issuance": 2, "decision": 0.7, "order": 0.8})
        return _Issuer(level="provincial", name=name, role="office" if office else "gov",
                       site_kind="province", province=province, local=None, local_kind=None,
                       prefix=province["office_prefix"] if office else province["prefix"],
                       order=None if office else province["order"],
                       addressee=province["addressee"], forms=forms, sectors=None,
                       prefix_by_sector=[])

    def province_department(self, province: dict, year: int, theta: list[float]) -> _Issuer:
        rng = self.rng
        depts = self.data.issuers["province_departments"]
        weights = list(accumulate(_lean(d["leaning"], theta) for d in depts))
        dept = depts[bisect_right(weights, rng.random() * weights[-1])]
        municipal = bool(province.get("municipality"))
        names = dept.get("names_municipal") if municipal and dept.get("names_municipal") \
            else dept["names"]
        name = _era_text(names, year).format(p=province["name"])
        abbr = _era_text(dept["abbr"], year)
        prefix = f"{province['short']}{abbr}" if rng.random() < 0.7 else None
        word = "市" if municipal else "省"
        addressee = (f"各区、县{_dept_counterpart(dept['key'])}：" if municipal else
                     f"各市、县（市、区）{_dept_counterpart(dept['key'])}，{word}级有关单位：")
        return _Issuer(level="provincial", name=name, role="dept", site_kind="province",
                       province=province, local=None, local_kind=None, prefix=prefix,
                       order=None, addressee=addressee,
                       forms={"notice": 3, "issuance": 2.5, "opinion": 1}, sectors=None,
                       prefix_by_sector=[], leaning=tuple(dept["leaning"]))

    def local_issuer(self, province: dict, year: int, theta: list[float]) -> _Issuer:
        rng = self.rng
        cities = province.get("cities") or []
        counties = [c for c in province.get("counties") or []
                    if int(c.get("from", FIRST_YEAR)) <= year]
        if cities and (not counties or rng.random() < 0.7):
            unit = self.choice(cities)
            kind, full = "city", unit["name"]
        else:
            unit = self.choice(counties)
            kind, full = unit["kind"], unit["full"]
        site_kind = "prefecture" if kind == "city" else "county"
        addressee = unit.get("addressee") or self.data.places["local_addressee"][kind]
        r = rng.random()
        if r < 0.35:
            return _Issuer(level="local", name=f"{full}人民政府", role="gov",
                           site_kind=site_kind, province=province, local=unit, local_kind=kind,
                           prefix=unit.get("prefix"),
                           order=(f"{full}人民政府令第{{n}}号" if unit.get("order") else None),
                           addressee=addressee,
                           forms={"opinion": 3, "notice": 2, "issuance": 2, "decision": 0.4,
                                  "order": 0.5 if unit.get("order") else 0.0},
                           sectors=None, prefix_by_sector=[])
        if r < 0.7:
            office = unit.get("office") or "办公室"
            return _Issuer(level="local", name=f"{full}人民政府{office}", role="office",
                           site_kind=site_kind, province=province, local=unit, local_kind=kind,
                           prefix=unit.get("office_prefix"), order=None, addressee=addressee,
                           forms={"notice": 3, "issuance": 3, "opinion": 1.5},
                           sectors=None, prefix_by_sector=[])
        depts = self.data.issuers["local_departments"]
        weights = list(accumulate(_lean(d["leaning"], theta) for d in depts))
        dept = depts[bisect_right(weights, rng.random() * weights[-1])]
        names = dept.get("names_county") if kind != "city" and dept.get("names_county") \
            else dept["names"]
        name = _era_text(names, year).format(c=full)
        lv = "市" if kind == "city" else kind
        return _Issuer(level="local", name=name, role="dept", site_kind=site_kind,
                       province=province, local=unit, local_kind=kind, prefix=None, order=None,
                       addressee=f"各有关单位：" if rng.random() < 0.5 else
                       f"{lv}级各有关部门，各有关企业：",
                       forms={"notice": 3, "issuance": 2, "opinion": 1}, sectors=None,
                       prefix_by_sector=[], leaning=tuple(dept["leaning"]))

    def weighted_form(self, issuer: _Issuer) -> str:
        forms = [(f, w) for f, w in issuer.forms.items() if w > 0]
        cum = list(accumulate(w for _, w in forms))
        return forms[bisect_right(cum, self.rng.random() * cum[-1])][0]

    def pick_sectors(self, issuer: _Issuer) -> list[str]:
        rng = self.rng
        if issuer.sectors:
            main = self.choice(issuer.sectors)
        else:
            main = self.weighted(self.sector_keys, self.sector_cum)
        if rng.random() < 0.15:
            pool = [k for k in (issuer.sectors or self.sector_keys) if k != main]
            if pool:
                return [main, self.choice(pool)]
        return [main]

    def clause_templates(self, strategy: str, year: int, sector: str, level: str):
        key = (strategy, year, sector, level)
        cached = self._clause_cache.get(key)
        if cached is None:
            cached = [t for t in self.data.banks[strategy].clauses if t.ok(year, sector, level)]
            self._clause_cache[key] = cached
        return cached


def _dept_counterpart(key: str) -> str:
    return {"econ": "经济主管部门", "dev": "发展改革（计划）部门", "fin": "财政局",
            "quality": "质量技术监督局", "sci": "科技局", "commerce": "商务（外经贸）主管部门",
            "aic": "工商行政管理局"}[key]


def _lean(leaning: list, theta: list[float]) -> float:
    """How well an issuer's leaning suits θ: (leaning · θ)³, so that agencies differ clearly."""
    total = float(sum(leaning))
    return sum(float(w) / total * t for w, t in zip(leaning, theta)) ** 3 + 1e-12


# ============================================================================ per-document context
class _Context:
    """Slot values of one document (fixed ones precomputed, clause-random ones drawn on use)."""

    def __init__(self, composer: _Composer, issuer: _Issuer, sectors: list[str], day: date):
        self.composer = composer
        self.rng = composer.rng
        self.data = composer.data
        self.issuer = issuer
        self.sectors = [self.data.sectors[s] for s in sectors]
        self.sector_keys = sectors
        self.issued = day
        self.published = day + timedelta(days=self.rng.randint(1, 15))
        self.year = day.year
        self.title = ""
        self.doc_number: str | None = None
        self.doc_type = "通知"
        self.fixed = self._fixed_slots()
        self.sector_name = {s["key"]: self.choice(s["names"]) for s in self.sectors}
        self.sector_short = {s["key"]: self.choice(s["short"]) for s in self.sectors}
        self.products: dict[str, list[str]] = {}

    def choice(self, seq):
        return seq[self.rng.randrange(len(seq))]

    # -- fixed slots -----------------------------------------------------------------------
    def _fixed_slots(self) -> dict[str, str]:
        issuer, year = self.issuer, self.year
        slots_by_level = self.data.issuers["agency_slots"]
        level = issuer.level
        province = issuer.province
        municipal = bool(province and province.get("municipality"))
        if level == "central":
            lv, table = "国家", dict(slots_by_level["central"])
            region_self, region_all, gov = "我国", "全国", "国务院"
            gov_full, region_name = "国务院", ""
            territory, territory_self = "中华人民共和国境内", "我国"
            superior = "国务院" if issuer.role != "gov" else "党中央、国务院"
        elif level == "provincial":
            lv = "市" if municipal else "省"
            table = dict(slots_by_level["provincial"])
            if municipal:
                table.update(slots_by_level["provincial_municipal"])
            region_self, region_all, gov = f"我{lv}", f"全{lv}", f"{lv}政府"
            gov_full, region_name = f"{province['name']}人民政府", province["name"]
            territory, territory_self = f"本{lv}行政区域内", f"本{lv}"
            superior = "国务院" if issuer.role == "gov" else f"{lv}政府"
        else:
            kind = issuer.local_kind
            lv = "市" if kind == "city" else kind
            table = dict(slots_by_level["local"])
            if kind != "city":
                table.update(slots_by_level["county"])
            full = issuer.local["name"] if kind == "city" else issuer.local["full"]
            region_self, region_all, gov = f"我{lv}", f"全{lv}", f"{lv}政府"
            gov_full, region_name = f"{full}人民政府", full
            territory, territory_self = f"本{lv}行政区域内", f"本{lv}"
            if issuer.role == "gov":
                superior = "省政府" if kind == "city" else "市政府"
            else:
                superior = f"{lv}政府"
        if issuer.role in ("gov", "ministry", "joint") and level == "central":
            consent = "经国务院同意，" if issuer.role != "gov" and self.rng.random() < 0.3 else ""
        elif issuer.role == "gov":
            consent = ""
        elif issuer.role == "office":
            consent = f"经{gov}同意，"
        else:
            consent = f"经{gov}同意，" if self.rng.random() < 0.3 else ""
        fixed = {
            "year": str(year), "year_prev": str(year - 1),
            "span_end": str(year + self.rng.choice((2, 3, 4, 5))),
            "plan": _five_year_plan(year), "prev_plan": _five_year_plan(year - 5),
            "region_self": region_self, "region_all": region_all, "region_name": region_name,
            "territory": territory, "territory_self": territory_self, "gov": gov,
            "gov_full": gov_full, "consent": consent, "superior": superior, "lv": lv,
            "issuer": issuer.name,
        }
        for slot, entries in table.items():
            fixed[slot] = _era_text(entries, year).format(lv=lv)
        return fixed

    # -- filling ---------------------------------------------------------------------------
    def fill(self, template: _Template, using: dict | None = None, **extra: str) -> str:
        """Fill ``template``; sector slots refer to the sector entry ``using`` (default: one of
        the document's sectors); ``extra`` gives values for slots set by the caller."""
        sector = using
        if sector is None:
            sector = self.sectors[0] if len(self.sectors) == 1 else self.choice(self.sectors)
        values = {}
        fixed = self.fixed
        for f in template.fields:
            if f in extra:
                values[f] = extra[f]
            elif f in fixed:
                values[f] = fixed[f]
            else:
                values[f] = self.dynamic(f, sector, values)
        return template.text.format_map(values)

    def fill_title(self, template: _Template, **extra: str) -> str:
        """Titles name every sector of the document: 汽车产业和钢铁工业."""
        names = "和".join(self.sector_name[s["key"]] for s in self.sectors)
        shorts = "和".join(self.sector_short[s["key"]] for s in self.sectors)
        extra.setdefault("sector", names)
        extra.setdefault("sector_short", shorts)
        return self.fill(template, using=self.sectors[0], **extra)

    def dynamic(self, name: str, sector: dict, values: dict) -> str:
        rng = self.rng
        level = self.issuer.level
        county = self.issuer.local_kind not in (None, "city")
        if name == "sector":
            return self.sector_name[sector["key"]] if rng.random() < 0.8 else \
                self.choice(sector["names"])
        if name == "sector_short":
            return self.sector_short[sector["key"]]
        if name in ("product", "product2"):
            products = self.products.get(sector["key"])
            if products is None:
                products = [t.text for t in sector["products"] if t.ok(self.year)]
                self.products[sector["key"]] = products
            other = values.get("product2" if name == "product" else "product")
            pool = [p for p in products if p != other] or products
            return self.choice(pool)
        if name == "capacity":
            scale = {"central": (500, 1000, 2000, 3000, 5000), "provincial": (100, 200, 300, 500),
                     "local": (10, 20, 30, 50, 100)}[level]
            return f"{self.choice(scale)}{sector['unit']}"
        if name == "plant_size":
            return f"{self.choice((5, 10, 20, 30, 50))}{sector['unit']}"
        if name == "growth":
            return f"{rng.randint(8, 25)}%"
        if name == "amount":
            if level == "central":
                return f"{self.choice((5, 10, 20, 30, 50, 100, 200))}亿元"
            if level == "provincial":
                return self.choice(("1亿元", "2亿元", "3亿元", "5亿元", "10亿元", "5000万元"))
            if county:
                return f"{self.choice((100, 200, 300, 500, 1000, 2000))}万元"
            return self.choice(("500万元", "1000万元", "2000万元", "3000万元", "5000万元",
                                "1亿元"))
        if name == "amount_small":
            if level == "central":
                return f"{self.choice((50, 100, 200, 500))}万元"
            return f"{self.choice((5, 10, 20, 30, 50, 100, 200))}万元"
        if name == "percent":
            return f"{rng.randrange(5, 55, 5)}%"
        if name == "count":
            return str(rng.randint(3, 10))
        if name in ("output", "output_small"):
            small = name == "output_small"
            if level == "central":
                if small:
                    return f"{self.choice((300, 500, 800, 1000, 2000))}亿元"
                return self.choice(("3000亿元", "5000亿元", "8000亿元", "1万亿元", "2万亿元"))
            n = self.choice((500, 1000, 2000, 3000, 5000)) if level == "provincial" else \
                self.choice((50, 100, 200, 500, 1000))
            if county:
                n //= 5
            return f"{max(n // 10, 5) if small else n}亿元"
        if name == "validity":
            return self.choice(("3", "5"))
        if name == "target_year":
            return str(self.year + rng.randint(3, 5))
        if name == "place":
            return self.place()
        raise KeyError(f"slot {name!r} has no value in this template's context")

    def place(self) -> str:
        issuer = self.issuer
        if issuer.level == "central":
            return self.choice(self.composer.provinces)["name"]
        if issuer.level == "provincial":
            units = [c["name"] for c in issuer.province.get("cities") or []] or \
                    [c["name"] for c in issuer.province.get("counties") or []
                     if int(c.get("from", FIRST_YEAR)) <= self.year]
            return self.choice(units) if units else issuer.province["name"]
        if issuer.local_kind == "city":
            units = [c["name"] for c in issuer.province.get("counties") or []
                     if c.get("full", "").startswith(issuer.local["name"])
                     and int(c.get("from", FIRST_YEAR)) <= self.year]
            return self.choice(units) if units else issuer.local["name"]
        return issuer.local["name"]

    # -- numbers ---------------------------------------------------------------------------
    def make_number(self, form: str) -> str | None:
        """The 发文字号: prefix〔year〕n号, or the order number for 令; sometimes missing."""
        rng = self.rng
        issuer, year = self.issuer, self.year
        if form == "order" and issuer.order:
            # Orders are numbered in one running series per issuer (国务院令第N号), or per year
            # where the number names the year (商务部令2005年第N号).
            counters = self.composer.order_counters
            per_year = "{year}" in issuer.order
            key = f"{issuer.name}:{year}" if per_year else issuer.name
            last = counters.get(key)
            if last is None:
                last = 0 if per_year else (year - FIRST_YEAR) * rng.randint(3, 8)
            value = last + rng.randint(1, 3)
            counters[key] = value
            return issuer.order.format(n=value, year=year)
        if rng.random() < 0.06:
            return None   # the site did not show it
        prefix = issuer.prefix
        if issuer.prefix_by_sector:
            fitting = [p for p, secs in issuer.prefix_by_sector
                       if secs is None or self.sector_keys[0] in secs]
            prefix = self.choice(fitting) if fitting else None
        if not prefix:
            return None
        return f"{prefix}〔{year}〕{self.composer.next_number(prefix, year)}号"


# ============================================================================ composing the text
class _Body:
    """Composes the text of one original document and counts its substantive clauses."""

    def __init__(self, composer: _Composer, ctx: _Context, theta: list[float], form: str):
        self.c = composer
        self.rng = composer.rng
        self.ctx = ctx
        self.boiler = composer.boiler
        self.theta_cum = list(accumulate(theta))
        leaning = ctx.issuer.leaning
        self.themed = max(STRATEGIES, key=lambda s: theta[STRATEGIES.index(s)]
                          * leaning[STRATEGIES.index(s)] / sum(leaning))
        self.form = form
        self.counts = {s: 0 for s in STRATEGIES}
        self.used: set[str] = set()

    def choice(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def era(self, templates: list[_Template]) -> list[_Template]:
        year = self.ctx.year
        return [t for t in templates if t.ok(year)] or templates

    def boil(self, key: str, **extra) -> str:
        return self.ctx.fill(self.choice(self.era(self.boiler[key])), **extra)

    def boil_distinct(self, key: str, k: int) -> list[str]:
        """``k`` different boilerplate sentences of ``key``."""
        pool = self.era(self.boiler[key])
        return [self.ctx.fill(t) for t in self.rng.sample(pool, min(k, len(pool)))]

    # -- clauses ---------------------------------------------------------------------------
    def draw_strategy(self) -> str:
        cum = self.theta_cum
        return STRATEGIES[min(bisect_right(cum, self.rng.random() * cum[-1]), 2)]

    def clause(self, strategy: str) -> str:
        ctx = self.ctx
        sector = ctx.sectors[0] if len(ctx.sectors) == 1 else self.choice(ctx.sectors)
        pool = self.c.clause_templates(strategy, ctx.year, sector["key"], ctx.issuer.level)
        template = self.choice(pool)
        for _ in range(4):    # prefer templates not yet used in this document
            if template.text not in self.used:
                break
            template = self.choice(pool)
        self.used.add(template.text)
        self.counts[strategy] += 1
        return ctx.fill(template, using=sector)

    def draw_clauses(self, budget: int, minimum: int = 4) -> list[tuple[str, str]]:
        """Draw clauses (strategy by θ, text from the bank) until ``budget`` characters."""
        out: list[tuple[str, str]] = []
        used = 0
        while used < budget or len(out) < minimum:
            s = self.draw_strategy()
            text = self.clause(s)
            out.append((s, text))
            used += len(text) + 7      # + numbering, line break and a share of a heading
        return out

    def group(self, clauses: list[tuple[str, str]], size: tuple[int, int] = (2, 4)):
        """Arrange clauses into thematic sections: same-strategy runs, a few mixed."""
        rng = self.rng
        order = [s for s in STRATEGIES if any(c[0] == s for c in clauses)]
        rng.shuffle(order)
        sections: list[list[tuple[str, str]]] = []
        for s in order:
            items = [c for c in clauses if c[0] == s]
            while items:
                k = rng.randint(*size)
                if len(items) - k == 1:
                    k += 1
                sections.append(items[:k])
                items = items[k:]
        # Real sections are not pure: move an occasional clause to the next section.
        for i in range(len(sections) - 1):
            if len(sections[i]) > 2 and rng.random() < 0.25:
                sections[i + 1].insert(0, sections[i].pop())
        return sections

    def heading(self, section: list[tuple[str, str]], taken: set[str]) -> str:
        strategies = [s for s, _ in section]
        majority = max(STRATEGIES, key=strategies.count)
        options = [h for h in self.c.data.banks[majority].headings if h not in taken]
        h = self.choice(options or self.c.data.banks[majority].headings)
        taken.add(h)
        return h

    # -- document parts --------------------------------------------------------------------
    def theme_strategy(self) -> str:
        """The strategy a title or instrument name is built on: mostly the one that both the
        document's mixture and its issuer's remit favour, sometimes any."""
        if self.rng.random() < 0.9:
            return self.themed
        return self.choice(STRATEGIES)

    def title_theme(self) -> str:
        bank = self.c.data.banks[self.theme_strategy()]
        return self.ctx.fill_title(self.choice(self.era(bank.title_themes)))

    def doc_name(self, kinds: tuple[str, ...]) -> tuple[str, str]:
        """An instrument name ending in one of ``kinds`` (办法, 规划 ...), and its kind."""
        ctx = self.ctx
        strategy = self.theme_strategy()
        candidates = [t for t in self.era(self.c.data.banks[strategy].doc_names)
                      if _instrument_kind(t.text) in kinds]
        if not candidates:
            candidates = [t for s in STRATEGIES for t in self.era(self.c.data.banks[s].doc_names)
                          if _instrument_kind(t.text) in kinds]
        name = ctx.fill_title(self.choice(candidates))
        return name, _instrument_kind(name)

    def signature(self, day: date) -> list[str]:
        return [*self.ctx.issuer.name.split("、"), _text_date(day, self.rng)]

    def tail(self, kind_word: str) -> list[str]:
        rng, ctx = self.rng, self.ctx
        issuer, year = ctx.issuer, ctx.year
        lines: list[str] = []
        mark = self.boiler["public_marks"]["central" if issuer.level == "central" else "other"]
        if mark.ok(year) and rng.random() < 0.6:
            lines.append(mark.text)
        if year < 2012 and rng.random() < 0.35:
            topic = self.choice(self.boiler["topic_words"])
            lines.append(ctx.fill(self.boiler["subject_words"], topic_word=topic,
                                  kind_word=kind_word))
        if rng.random() < 0.35:
            if issuer.level == "central":
                key = "central_gov" if issuer.role in ("gov", "office") else "central_dept"
            elif issuer.level == "provincial":
                key = "provincial"
            else:
                key = "local" if issuer.local_kind == "city" else "county"
            lines.append(ctx.fill(self.boiler["cc"][key]))
            print_day = format_date(ctx.issued + timedelta(days=rng.randint(1, 6)), "arabic")
            if issuer.level == "central" and issuer.role in ("gov", "office"):
                lines.append(ctx.fill(self.boiler["printed"]["central_gov"], print_date=print_day))
            else:
                office = _print_office(issuer)
                lines.append(ctx.fill(self.boiler["printed"]["other"], print_date=print_day,
                                      print_office=office))
        return lines

    def attachments(self) -> list[str]:
        if self.rng.random() >= 0.15:
            return []
        names = [self.ctx.fill(t) for t in self.era(self.boiler["attachments"])]
        self.rng.shuffle(names)
        picked = names[: self.rng.randint(1, 3)]
        if len(picked) == 1:
            return [f"附件：{picked[0]}"]
        return ["附件：" + f"1.{picked[0]}"] + [f"{i}.{n}" for i, n in enumerate(picked[1:], 2)]

    def head(self) -> list[str]:
        lines = []
        if self.rng.random() < 0.2:
            lines.append(self.ctx.title)
        if self.ctx.doc_number and self.rng.random() < 0.3:
            lines.append(self.ctx.doc_number)
        return lines

    # -- the forms -------------------------------------------------------------------------
    def compose(self) -> tuple[str, dict[str, int]]:
        rng = self.rng
        target = int(round(math.exp(rng.gauss(math.log(LENGTH_MEDIAN), LENGTH_SIGMA))))
        target = min(max(target, LENGTH_RANGE[0]), LENGTH_RANGE[1])
        form = self.form
        if form == "order":
            lines = self.order(target)
        elif form == "issuance":
            lines = self.issuance(target)
        else:
            lines = self.sections_document(target, form)
        text = "\n".join(lines)
        if sum(self.counts.values()) == 0:     # cannot happen: every form draws clauses
            raise RuntimeError("a demo document without substantive clauses")
        return text, self.counts

    def sections_document(self, target: int, form: str) -> list[str]:
        """意见 / 通知 / 决定: addressee, purpose, numbered sections, closing."""
        ctx, rng = self.ctx, self.rng
        issuer = ctx.issuer
        suffix = {"opinion": self.opinion_suffix(), "notice": "通知", "decision": "决定"}[form]
        ctx.title = f"{issuer.name}关于{self.title_theme()}的{suffix}"
        ctx.doc_type = {"opinion": "意见", "notice": "通知", "decision": "决定"}[form]
        ctx.doc_number = ctx.make_number(form)
        lines = self.head() + [issuer.addressee]
        opening = ""
        if form != "notice" or rng.random() < 0.5:
            opening = self.boil("context")
            if rng.random() < 0.5:
                opening += self.boil("problems")
        purpose_key = {"opinion": "opinion_purpose", "notice": "notice_purpose",
                       "decision": "decision_purpose"}[form]
        lines.append(opening + self.boil(purpose_key))
        guidance: list[str] = []
        if form != "notice" and rng.random() < 0.35:
            guidance = [self.boil("guidance") + self.boil("targets")]
        closing_heading = self.choice(self.boiler["closing_headings"]).text
        closing = self.boil_distinct("closing", rng.randint(1, 2))
        final_key = {"opinion": "final_opinion", "notice": "final_notice",
                     "decision": "final_decision"}[form]
        final = self.boil(final_key)
        tail = self.tail(ctx.doc_type)
        attachments = self.attachments()
        fixed = sum(len(x) + 1 for x in lines + guidance + closing + [final] + tail + attachments)
        fixed += 30   # signature
        clauses = self.draw_clauses(target - fixed)
        sections = self.group(clauses)
        taken: set[str] = set()
        number = 1
        if guidance:
            lines.append(f"{cn_number(number)}、指导思想和主要目标")
            lines += guidance
            number += 1
        inline = form == "notice" and rng.random() < 0.7
        sub_numbered = rng.random() < 0.6
        for section in sections:
            heading = self.heading(section, taken)
            if inline:
                lines.append(f"{cn_number(number)}、{heading}。" + "".join(t for _, t in section))
            else:
                lines.append(f"{cn_number(number)}、{heading}")
                for i, (_, t) in enumerate(section, 1):
                    lines.append(f"（{cn_number(i)}）{t}" if sub_numbered else t)
            number += 1
        if inline:
            lines.append(f"{cn_number(number)}、{closing_heading}。" + "".join(closing))
        else:
            lines.append(f"{cn_number(number)}、{closing_heading}")
            lines += closing
        lines.append(final)
        lines += attachments
        lines += [""] + self.signature(ctx.issued) + tail
        return lines

    def opinion_suffix(self) -> str:
        issuer = self.ctx.issuer
        if issuer.level == "central":
            options = ("若干意见", "意见", "指导意见") if issuer.role != "gov" else ("若干意见", "意见")
        else:
            options = ("意见", "实施意见", "若干意见", "若干政策意见")
        return self.choice(options)

    def issuance(self, target: int) -> list[str]:
        """关于印发《X》的通知: a short wrapper, then the instrument X itself."""
        ctx, rng = self.ctx, self.rng
        issuer = ctx.issuer
        name, kind = self.doc_name(("办法", "规定", "细则", "规划", "方案"))
        quoted = f"《{name}》" if rng.random() < 0.5 else name
        ctx.title = f"{issuer.name}关于印发{quoted}的通知"
        ctx.doc_type = "通知"
        ctx.doc_number = ctx.make_number("issuance")
        if issuer.role in ("office", "dept") and rng.random() < 0.6:
            wrapper = self.boil("issuance_consent", docname=name)
        else:
            wrapper = self.boil("issuance", docname=name)
        lines = self.head() + [issuer.addressee, wrapper, ""] + self.signature(ctx.issued)
        lines.append("")
        lines.append(name)
        tail = self.tail(kind)
        budget = target - sum(len(x) + 1 for x in lines + tail)
        if kind in ("办法", "规定", "细则"):
            lines += self.articles(budget, kind)
        elif kind == "规划":
            lines += self.plan(budget)
        else:
            lines += self.scheme(budget)
        return lines + tail

    def order(self, target: int) -> list[str]:
        """令: the order promulgating an instrument, then its articles."""
        ctx, rng = self.ctx, self.rng
        issuer = ctx.issuer
        name, kind = self.doc_name(("办法", "规定"))
        ctx.title = name
        ctx.doc_type = "令"
        ctx.doc_number = ctx.make_number("order")
        meeting = ctx.issued - timedelta(days=rng.randint(5, 40))
        effective = ctx.issued + timedelta(days=rng.choice((0, 30, 60, 90)))
        intro = self.choice(self.boiler["order_intro"]).text.format(
            docname=name, meeting_date=_text_date(meeting, rng),
            meeting=_meeting(issuer, rng.randint(20, 160)), effective=_text_date(effective, rng))
        lines = [f"{issuer.name}令"]
        if ctx.doc_number:
            lines.append(ctx.doc_number.replace(f"{issuer.name}令", "") or ctx.doc_number)
        lines += [intro, ""] + self.signature(ctx.issued) + ["", name]
        tail = self.tail("令")
        budget = target - sum(len(x) + 1 for x in lines + tail)
        lines += self.articles(budget, kind, effective=_text_date(effective, rng))
        return lines + tail

    def articles(self, budget: int, kind: str, effective: str | None = None) -> list[str]:
        """第一条 … 第N条, in chapters when long enough."""
        ctx, rng = self.ctx, self.rng
        if effective is None:
            effective = _text_date(ctx.issued + timedelta(days=rng.choice((0, 30, 60))), rng)
        aim = self.boil("aims")
        basis = self.choice(("有关法律、法规", "国家有关规定", "有关法律、行政法规和国家有关规定"))
        if ctx.issuer.level == "central":
            basis = self.choice(("有关法律、行政法规", "国家有关规定"))
        first = [self.boil("article_first", aim=aim, basis=basis, kind=kind),
                 self.boil("article_scope", kind=kind),
                 self.boil("article_responsibility")]
        last = [self.boil("article_interpretation", kind=kind),
                self.boil("article_effective", kind=kind, effective=effective)]
        fixed = sum(len(x) + 6 for x in first + last)
        clauses = self.draw_clauses(budget - fixed)
        sections = self.group(clauses, size=(3, 6))
        chapters = len(clauses) >= 10 and rng.random() < 0.6
        lines: list[str] = []
        n = 1
        chapter = 1

        def article(text: str) -> None:
            nonlocal n
            lines.append(f"第{cn_number(n)}条　{text}")
            n += 1

        if chapters:
            lines.append(f"第{cn_number(chapter)}章　{self.boiler['chapter_general']}")
            chapter += 1
        for t in first:
            article(t)
        taken: set[str] = set()
        for section in sections:
            if chapters:
                strategies = [s for s, _ in section]
                majority = max(STRATEGIES, key=strategies.count)
                titles = [t for t in self.c.data.banks[majority].chapter_titles if t not in taken]
                title = self.choice(titles or self.c.data.banks[majority].chapter_titles)
                taken.add(title)
                lines.append(f"第{cn_number(chapter)}章　{title}")
                chapter += 1
            for _, t in section:
                article(t)
        if chapters:
            lines.append(f"第{cn_number(chapter)}章　{self.boiler['chapter_final']}")
        for t in last:
            article(t)
        return lines

    def plan(self, budget: int) -> list[str]:
        """规划: status, guidance and targets (neutral), tasks and measures (substantive)."""
        rng = self.rng
        names = self.boiler["plan_sections"]
        status = self.boil("status") + self.boil("context") + self.boil("problems")
        guidance = self.boil("guidance") + self.boil("targets")
        closing = self.boil_distinct("closing", rng.randint(1, 2))
        fixed = sum(len(x) + 12 for x in [status, guidance, *closing])
        clauses = self.draw_clauses(budget - fixed)
        sections = self.group(clauses)
        half = max(1, (len(sections) + 1) // 2)
        lines = [f"一、{names['status']}", status, f"二、{names['guidance']}", guidance]
        taken: set[str] = set()
        number = 3
        for part, secs in ((names["tasks"], sections[:half]), (names["measures"], sections[half:])):
            if not secs:
                continue
            lines.append(f"{cn_number(number)}、{part}")
            number += 1
            for i, section in enumerate(secs, 1):
                heading = self.heading(section, taken)
                lines.append(f"（{cn_number(i)}）{heading}。" + "".join(t for _, t in section))
        lines.append(f"{cn_number(number)}、{names['implementation']}")
        lines += closing
        return lines

    def scheme(self, budget: int) -> list[str]:
        """方案 / 准入条件: numbered sections without addressee."""
        rng = self.rng
        intro = self.boil("guidance") + self.boil("targets")
        closing = self.boil_distinct("closing", rng.randint(1, 2))
        fixed = sum(len(x) + 12 for x in [intro, *closing])
        clauses = self.draw_clauses(budget - fixed)
        lines = ["一、总体要求", intro]
        taken: set[str] = set()
        number = 2
        for section in self.group(clauses):
            lines.append(f"{cn_number(number)}、{self.heading(section, taken)}")
            lines += [f"（{cn_number(i)}）{t}" for i, (_, t) in enumerate(section, 1)]
            number += 1
        lines.append(f"{cn_number(number)}、{self.choice(self.boiler['closing_headings']).text}")
        return lines + closing


def _instrument_kind(name: str) -> str:
    for kind in ("办法", "规定", "细则", "规划", "方案", "条件"):
        if name.endswith(kind) or (kind == "规划" and "规划（" in name):
            return "方案" if kind == "条件" else kind
    raise UserError(f"instrument name {name!r} in the demo data has no known kind; end it with "
                    "办法, 规定, 细则, 规划, 方案 or 条件")


def _meeting(issuer: _Issuer, number: int) -> str:
    """The adopting meeting of an order: 国务院第N次常务会议, 商务部第N次部务会议 ..."""
    if issuer.role == "gov":
        return f"{issuer.name}第{number}次常务会议"
    if issuer.name.endswith("委员会"):
        return f"{issuer.name}第{number}次主任办公会议"
    if issuer.name.endswith("局"):
        return f"{issuer.name}第{number}次局务会议"
    return f"{issuer.name}第{number}次部务会议"


def _print_office(issuer: _Issuer) -> str:
    if issuer.level == "provincial":
        if issuer.role == "dept":
            return f"{issuer.name}办公室"
        return f"{issuer.province['name']}人民政府办公厅"
    if issuer.level == "local":
        if issuer.role == "dept":
            return f"{issuer.name}办公室"
        if issuer.local_kind == "city":
            return f"{issuer.local['name']}人民政府{issuer.local.get('office') or '办公室'}"
        return f"{issuer.local['full']}人民政府办公室"
    return f"{issuer.name.split('、')[0]}办公厅"


# ============================================================================ writing
TRUTH_COLUMNS = (
    "source_id", "level", "year",
    *(f"theta_{s}" for s in STRATEGIES), *(f"share_{s}" for s in STRATEGIES),
    "n_clauses", "sectors", "is_repost_of", "is_forward", "forward_of",
)


def truth_row(t: DemoTruth) -> list:
    return [t.source_id, t.level, t.year,
            *(f"{t.theta[s]:.6f}" for s in STRATEGIES),
            *(f"{t.clause_shares[s]:.6f}" for s in STRATEGIES),
            t.n_clauses, ";".join(t.sectors), t.is_repost_of or "", int(t.is_forward),
            t.forward_of or ""]


_DOCUMENT_FIELDS = tuple(f.name for f in dataclasses.fields(DemoDocument))


def document_json(doc: DemoDocument) -> str:
    """One line of documents.jsonl: the DemoDocument fields in declaration order."""
    return json.dumps({f: getattr(doc, f) for f in _DOCUMENT_FIELDS}, ensure_ascii=False)


def write_demo_corpus(out_dir: str | Path, n_documents: int = 600, random_state: int = 0,
                      start_year: int = 1990, end_year: int = 2015) -> dict[str, Any]:
    """Write ``documents.jsonl`` (what the pipeline sees), ``truth.csv`` and ``truth.json``.

    Streams: one document is in memory at a time. Returns counts (documents, by level, reposts,
    forwards) and the paths written.
    """
    corpus = DemoCorpus(n_documents=n_documents, start_year=start_year, end_year=end_year,
                        random_state=random_state)
    corpus._validate()
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create the demo output folder {out}: {exc.strerror}; "
                        "choose a writable --out folder") from exc
    docs_path, csv_path, json_path = (out / "documents.jsonl", out / "truth.csv",
                                      out / "truth.json")
    by_level = {lv: 0 for lv in LEVELS}
    by_year: dict[int, int] = {}
    reposts = forwards = total = 0
    with docs_path.open("w", encoding="utf-8", newline="\n") as docs_fh, \
            csv_path.open("w", encoding="utf-8", newline="") as csv_fh:
        writer = csv.writer(csv_fh, lineterminator="\n")
        writer.writerow(TRUTH_COLUMNS)
        for doc, truth in corpus.iter_documents():
            docs_fh.write(document_json(doc))
            docs_fh.write("\n")
            writer.writerow(truth_row(truth))
            total += 1
            by_level[truth.level] += 1
            by_year[truth.year] = by_year.get(truth.year, 0) + 1
            reposts += truth.is_repost_of is not None
            forwards += truth.is_forward
    counts = {"documents": total, "by_level": by_level, "by_year": by_year,
              "reposts": reposts, "forwards": forwards}
    description = truth_description()
    description["params"] = {"n_documents": n_documents, "random_state": random_state,
                             "start_year": start_year, "end_year": end_year}
    description["counts"] = counts
    description["truth_csv_columns"] = list(TRUTH_COLUMNS)
    description["planted_mean_by_year"] = {
        lv: {str(y): planted_mean(lv, y) for y in range(start_year, end_year + 1)}
        for lv in LEVELS}
    with json_path.open("w", encoding="utf-8") as fh:
        json.dump(description, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
    return {**counts, "documents_path": str(docs_path), "truth_csv": str(csv_path),
            "truth_json": str(json_path)}
