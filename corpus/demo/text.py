"""The text of one demo document: its slot values (:class:`_Context`) and its body
(:class:`_Body`: clauses drawn from the document's planted mixture, in the shape of its form)."""

from __future__ import annotations

import math
from bisect import bisect_right
from datetime import date, timedelta
from itertools import accumulate

from zhengce.common.errors import UserError
from .model import FIRST_YEAR, LENGTH_MEDIAN, LENGTH_RANGE, LENGTH_SIGMA, STRATEGIES
from .bank import _Issuer, _Template, _era_text, _five_year_plan, _text_date, cn_number, format_date

# ============================================================================ per-document context
class _Context:
    """Slot values of one document (fixed ones precomputed, clause-random ones drawn on use)."""

    # composer: the generator's _Composer (not imported here: it imports this module)
    def __init__(self, composer, issuer: _Issuer, sectors: list[str], day: date):
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

    # composer: the generator's _Composer (not imported here: it imports this module)
    def __init__(self, composer, ctx: _Context, theta: list[float], form: str):
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
