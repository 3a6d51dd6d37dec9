"""The planted truth and the shape of the demo corpus: strategy means before and after WTO
entry, corpus proportions, and the document and truth records the generator yields."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zhengce.common.errors import UserError

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "demo"

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
