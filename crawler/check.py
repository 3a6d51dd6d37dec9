"""``zhengce crawl check SPEC --page FILE``: what each selector of a spec finds on a saved page.

Use it when a live site changed (the crawl summary reports selector misses) or before trusting
an unverified spec: save a list page and a document page, run the check on both, fix the spec
until every required selector finds something.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin

from parsel import Selector

from zhengce.corpus.loaders import html_to_text

from .extract import body_text, cjk_share, decode_page, extract_labels, looks_chinese, too_deep
from .sitespec import SiteSpec, load_spec, select


@dataclass
class CheckReport:
    kind: str
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _show(value: str | None, width: int = 70) -> str:
    if value is None or value == "":
        return "MISSING"
    value = value.replace("\n", " ⏎ ")
    return value if len(value) <= width else value[:width] + f"… ({len(value)} chars)"


def check_page(spec: str | SiteSpec, body: bytes, *, kind: str = "auto",
               url: str | None = None) -> CheckReport:
    spec = spec if isinstance(spec, SiteSpec) else load_spec(spec)
    text, encoding = decode_page(body, None, spec.encoding)
    sel = Selector(text=text)
    base = url or spec.start_urls[0]
    items = select(sel, spec.list_item)
    if kind == "auto":
        kind = "list" if items else "detail"
    report = CheckReport(kind)
    add = report.lines.append
    add(f"spec {spec.name} ({spec.path}); page decoded as {encoding}; checked as a {kind} page")
    visible = html_to_text(text)[0][:20000] if text.strip() else ""
    if not looks_chinese(visible):
        report.problems.append(f"the page does not look Chinese (CJK share "
                               f"{cjk_share(visible):.2f}): set encoding: in the spec")
    if kind == "list":
        add(f"list.item  {spec.list_item}: {len(items)} items")
        if spec.list_container:
            add(f"list.container  {spec.list_container}: "
                f"{'found' if select(sel, spec.list_container) else 'MISSING'}")
        if not items:
            report.problems.append(f"list.item {spec.list_item!r} found nothing")
        links = 0
        for n, item in enumerate(items):
            href = select(item, spec.list_link).get()
            links += bool(href)
            if n < 3:
                add(f"  [{n + 1}] link  {spec.list_link}: {_show(urljoin(base, href) if href else None)}")
                for name, rule in spec.list_fields.items():
                    add(f"      {name}  {rule.describe()}: {_show(rule.first(item))}")
        if items and not links:
            report.problems.append(f"list.link {spec.list_link!r} found no link in any item")
        if spec.next_page:
            nxt = select(sel, spec.next_page).get()
            add(f"pagination.next  {spec.next_page}: {_show(urljoin(base, nxt) if nxt else None)} "
                "(missing is normal on the last page)")
        elif spec.total_pages is not None:
            total = spec.total_pages.first(sel)
            add(f"pagination.total_pages  {spec.total_pages.describe()}: {_show(total)}")
            if total is None:
                report.problems.append("pagination.total_pages found nothing")
        elif spec.page_template:
            add(f"pagination.template  {spec.page_template} (until an empty page)")
        return report
    body_sel = select(sel, spec.detail_body)
    body = body_text(body_sel)
    add(f"detail.body  {spec.detail_body}: {_show(body)}")
    if not body:
        reason = too_deep(text)
        report.problems.append(f"detail.body {spec.detail_body!r} found no text"
                               + (f": {reason}" if reason else ""))
    if spec.detail_title is not None:
        title = spec.detail_title.first(sel)
        add(f"detail.title  {spec.detail_title.describe()}: {_show(title)}")
        if not title:
            report.problems.append("detail.title found nothing")
    if spec.detail_labels:
        cells = select(sel, spec.detail_labels)
        fields, hints = extract_labels(cells)
        add(f"detail.labels  {spec.detail_labels}: {len(cells)} cells")
        for name, value in {**fields, **hints}.items():
            add(f"      {name}: {_show(value)}")
        if not cells:
            report.problems.append(f"detail.labels {spec.detail_labels!r} found no cells")
    for name, rule in spec.detail_fields.items():
        value = rule.first(sel)
        add(f"detail.fields.{name}  {rule.describe()}: {_show(value)}"
            + ("" if rule.required else " (optional)"))
        if rule.required and not value:
            report.problems.append(f"detail.fields.{name} found nothing")
    return report
