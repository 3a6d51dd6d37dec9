"""The demo corpus generator: how many documents each year and level gets, and the composer
that writes one document at a time (originals, reposts, forwards; issuers, sectors, numbers)."""

from __future__ import annotations

import dataclasses
import math
import random
from bisect import bisect_right
from collections import deque
from datetime import date, timedelta
from itertools import accumulate
from typing import Iterator

from zhengce.common.errors import UserError
from .model import (CONCENTRATION, DemoDocument, DemoTruth, FIRST_YEAR, FLOOR_PER_600, FLOOR_YEAR,
                    FORWARD_MAX_LENGTH, FORWARD_RATE, GROWTH_RATE, LAST_YEAR,
                    LEVELS, LEVEL_SHARES, OPEN_GOV_BOOST, OPEN_GOV_YEAR,
                    REPOST_RATE, STRATEGIES, planted_mean)
from .bank import (_Data, _Issuer, _Template, _era_text, _in_era, _text_date, format_date,
                   load_demo_data)
from .text import _Body, _Context

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
                       addressee="各有关单位：" if rng.random() < 0.5 else
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
