"""Declarative site specs: a YAML file describes a site's lists and pages; the ``spec`` spider
crawls it. Specs ship in ``crawler/specs/`` (use them by name) or live anywhere (use a path).

A spec (``yaml.safe_load``; every key is checked, errors name the file and the key)::

    name: zhejiang                      # site name = ``source`` in the store; = the file's stem
    title: 浙江省人民政府 行政规范性文件
    verified: true                      # structure from published crawlers (false: plausible guess)
    start_urls: [https://www.zj.gov.cn/col/col1229697826/index.html]
    allowed_domains: [zj.gov.cn]        # optional
    encoding: gbk                       # optional: decode every page with this, whatever it says
    defaults: {level: provincial, province: 浙江省}   # issuer defaults (level/province/prefecture/county)
    list:
      container: div.xzgfx_list         # optional: found but empty = an empty list, not a broken page
      item: div.xzgfx_list_item         # one element per listed document
      skip: "[style]"                   # optional: items matching this are separators
      link: "span.xzgfx_list_title2 a::attr(href)"
      fields: {doc_number: "span.xzgfx_list_title3::text", published_date: ...}
    pagination:                         # one of three forms
      next: "a.simple_pgNext::attr(href)"               # follow a next-page link
      # template: "index_{index}.html"  + total_pages: {css: ..., regex: ...}   (all pages at once)
      # template: "{start_url}?pageNum={page}" + until_empty: true             (until a page is empty)
    detail:
      title: ["meta[name=ArticleTitle]::attr(content)", "title::text"]   # first that finds something
      body: div#zoom
      labels: "table.xxgk-info th, table.xxgk-info td"   # label/value cells (see crawler.extract)
      fields: {doc_number: {css: "tr.xxgk-info-wh td::text", regex: "...", required: false}}
      attachments: "div#zoom a::attr(href)"               # optional (default: body links to files)

A selector is CSS (parsel, with ``::text`` / ``::attr(x)``) or XPath when it starts with
``xpath:``; a field may be one selector, a list tried in order, or a mapping with ``css``/``xpath``,
``regex`` (first group, or the whole match) and ``required``. Values from the list page are
fallbacks for the detail page. Detail ``fields`` beat ``labels``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cssselect import SelectorError
from parsel import Selector

from zhengce.common.errors import UserError
from zhengce.corpus.loaders import CANONICAL_FIELDS

SPEC_DIR = Path(__file__).resolve().parent / "specs"
DEFAULT_KEYS = ("level", "province", "prefecture", "county")
LEVELS = ("central", "provincial", "local")
FIELD_KEYS = ("css", "xpath", "regex", "required")
TOP_KEYS = ("name", "title", "verified", "notes", "start_urls", "allowed_domains", "encoding",
            "defaults", "list", "pagination", "detail")
LIST_KEYS = ("container", "item", "skip", "link", "fields")
PAGINATION_KEYS = ("next", "template", "total_pages", "until_empty", "max_pages")
DETAIL_KEYS = ("title", "body", "labels", "fields", "attachments")
_EMPTY = Selector(text="<html><body></body></html>")


@dataclass(frozen=True)
class FieldRule:
    """Where one value is: selectors tried in order, an optional regex, required or not."""

    selectors: tuple[str, ...]
    regex: re.Pattern | None = None
    required: bool = False

    def describe(self) -> str:
        text = " | ".join(self.selectors)
        return text + (f" ~ /{self.regex.pattern}/" if self.regex else "")

    def values(self, sel: Selector) -> list[str]:
        """All non-empty values of the first selector that finds any (regex applied)."""
        for selector in self.selectors:
            values = [v for v in (clean(x) for x in select(sel, selector).getall()) if v]
            if self.regex is not None:
                out = []
                for v in values:
                    m = self.regex.search(v)
                    if m:
                        out.append(clean(m.group(1) if m.groups() else m.group(0)))
                values = [v for v in out if v]
            if values:
                return values
        return []

    def first(self, sel: Selector) -> str | None:
        values = self.values(sel)
        return values[0] if values else None


@dataclass(frozen=True)
class SiteSpec:
    name: str
    path: str
    start_urls: tuple[str, ...]
    list_item: str
    list_link: str
    detail_body: str
    title: str = ""
    verified: bool = False
    notes: str = ""
    allowed_domains: tuple[str, ...] = ()
    encoding: str | None = None
    defaults: dict[str, str] = field(default_factory=dict)
    list_container: str | None = None
    list_skip: str | None = None
    list_fields: dict[str, FieldRule] = field(default_factory=dict)
    next_page: str | None = None
    page_template: str | None = None
    total_pages: FieldRule | None = None
    until_empty: bool = False
    max_pages: int | None = None
    detail_title: FieldRule | None = None
    detail_labels: str | None = None
    detail_fields: dict[str, FieldRule] = field(default_factory=dict)
    detail_attachments: str | None = None


def clean(value: str | None) -> str:
    from .extract import clean_value

    return clean_value(value)


def select(sel: Selector, selector: str):
    """Apply a CSS selector, or an XPath one written ``xpath:...``."""
    if selector.startswith("xpath:"):
        return sel.xpath(selector[len("xpath:"):].strip())
    return sel.css(selector)


# ------------------------------------------------------------------------------------ loading
def spec_path(name_or_path: str | Path) -> Path:
    """A shipped spec by name (``zhejiang``) or a YAML file by path."""
    path = Path(str(name_or_path))
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.exists():
            raise UserError(f"site spec {path} does not exist: give a path to a YAML spec or a "
                            f"shipped name ({', '.join(shipped_specs())})")
        return path
    shipped = SPEC_DIR / f"{name_or_path}.yaml"
    if not shipped.exists():
        raise UserError(f"no site spec named {name_or_path!r}: shipped specs are "
                        f"{', '.join(shipped_specs())}; or give a path to a YAML file")
    return shipped


def shipped_specs() -> list[str]:
    return sorted(p.stem for p in SPEC_DIR.glob("*.yaml"))


def load_spec(name_or_path: str | Path) -> SiteSpec:
    path = spec_path(name_or_path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML ({exc}); fix the file") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text; save the spec as UTF-8") from exc
    return parse_spec(data, str(path))


def parse_spec(data: Any, where: str) -> SiteSpec:
    """Validate a loaded spec; every problem names ``where`` and the key."""
    def fail(key: str, problem: str) -> UserError:
        return UserError(f"{where}: {key}: {problem}")

    if not isinstance(data, dict):
        raise UserError(f"{where}: a site spec must be a mapping of keys (name, start_urls, "
                        "list, detail ...), not {type(data).__name__}")
    _unknown(data, TOP_KEYS, "", fail)
    name = data.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name or ""):
        raise fail("name", f"{name!r} must be a lower-case identifier (e.g. zhejiang)")
    stem = Path(where).stem
    if Path(where).suffix in (".yaml", ".yml") and stem != name:
        raise fail("name", f"{name!r} differs from the file name {stem!r}: make them equal")
    start_urls = data.get("start_urls")
    if isinstance(start_urls, str):
        start_urls = [start_urls]
    if not isinstance(start_urls, list) or not start_urls or not all(
            isinstance(u, str) and re.match(r"https?://[^/\s]+", u) for u in start_urls):
        raise fail("start_urls", "give a list of http(s) URLs of the site's list pages")
    encoding = data.get("encoding")
    if encoding is not None:
        import codecs

        try:
            codecs.lookup(str(encoding))
        except LookupError as exc:
            raise fail("encoding", f"{encoding!r} is not an encoding Python knows "
                       "(use e.g. gbk, gb18030, utf-8)") from exc
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise fail("defaults", "must be a mapping like {level: provincial, province: 浙江省}")
    for key, value in defaults.items():
        if key not in DEFAULT_KEYS:
            raise fail(f"defaults.{key}", f"unknown; allowed: {', '.join(DEFAULT_KEYS)}")
        if not isinstance(value, str) or not value:
            raise fail(f"defaults.{key}", "must be a non-empty string")
    if defaults.get("level") and defaults["level"] not in LEVELS:
        raise fail("defaults.level", f"{defaults['level']!r} must be one of {', '.join(LEVELS)}")

    lst = data.get("list")
    if not isinstance(lst, dict):
        raise fail("list", "missing: give item and link selectors of the list pages")
    _unknown(lst, LIST_KEYS, "list.", fail)
    for key in ("item", "link"):
        if not isinstance(lst.get(key), str) or not lst[key].strip():
            raise fail(f"list.{key}", "missing: a selector (CSS, or xpath:...)")
    for key in ("item", "container", "skip"):
        if lst.get(key) is not None:
            _check_selector(lst[key], f"list.{key}", fail)
    _check_selector(lst["link"], "list.link", fail)
    list_fields = _field_rules(lst.get("fields") or {}, "list.fields", fail)

    pag = data.get("pagination") or {}
    if not isinstance(pag, dict):
        raise fail("pagination", "must be a mapping (next, or template with total_pages/until_empty)")
    _unknown(pag, PAGINATION_KEYS, "pagination.", fail)
    if pag.get("next") is not None:
        _check_selector(pag["next"], "pagination.next", fail)
    template = pag.get("template")
    total_pages = None
    if template is not None:
        if not isinstance(template, str) or not re.search(r"\{(page|index)\}", template):
            raise fail("pagination.template", "must contain {page} (1-based) or {index} "
                       "(0-based), e.g. index_{index}.html")
        if pag.get("total_pages") is None and not pag.get("until_empty"):
            raise fail("pagination", "a template needs total_pages (where the page count is) "
                       "or until_empty: true")
        if pag.get("total_pages") is not None:
            total_pages = _field_rule(pag["total_pages"], "pagination.total_pages", fail)
    elif pag.get("total_pages") is not None or pag.get("until_empty"):
        raise fail("pagination.template", "missing: total_pages and until_empty need a template")
    if pag.get("next") is not None and template is not None:
        raise fail("pagination", "give either next or template, not both")
    max_pages = pag.get("max_pages")
    if max_pages is not None and (not isinstance(max_pages, int) or max_pages < 1):
        raise fail("pagination.max_pages", "must be a positive integer")

    det = data.get("detail")
    if not isinstance(det, dict):
        raise fail("detail", "missing: give at least the body selector of a document page")
    _unknown(det, DETAIL_KEYS, "detail.", fail)
    if not isinstance(det.get("body"), str) or not det["body"].strip():
        raise fail("detail.body", "missing: a selector of the element holding the text")
    _check_selector(det["body"], "detail.body", fail)
    title = _field_rule(det["title"], "detail.title", fail) if det.get("title") else None
    if det.get("labels") is not None:
        _check_selector(det["labels"], "detail.labels", fail)
    if det.get("attachments") is not None:
        _check_selector(det["attachments"], "detail.attachments", fail)
    detail_fields = _field_rules(det.get("fields") or {}, "detail.fields", fail)
    domains = data.get("allowed_domains") or []
    if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
        raise fail("allowed_domains", "must be a list of domain names")
    return SiteSpec(
        name=name, path=where, start_urls=tuple(start_urls), list_item=lst["item"],
        list_link=lst["link"], detail_body=det["body"], title=str(data.get("title") or ""),
        verified=bool(data.get("verified", False)), notes=str(data.get("notes") or ""),
        allowed_domains=tuple(domains), encoding=encoding, defaults=dict(defaults),
        list_container=lst.get("container"), list_skip=lst.get("skip"), list_fields=list_fields,
        next_page=pag.get("next"), page_template=template, total_pages=total_pages,
        until_empty=bool(pag.get("until_empty")), max_pages=max_pages, detail_title=title,
        detail_labels=det.get("labels"), detail_fields=detail_fields,
        detail_attachments=det.get("attachments"))


def _unknown(mapping: dict, allowed: tuple[str, ...], prefix: str, fail) -> None:
    for key in mapping:
        if key not in allowed:
            raise fail(f"{prefix}{key}", f"unknown key; allowed here: {', '.join(allowed)}")


def _check_selector(selector: Any, key: str, fail) -> None:
    if not isinstance(selector, str) or not selector.strip():
        raise fail(key, "must be a non-empty selector string")
    try:
        select(_EMPTY, selector)
    except (SelectorError, ValueError) as exc:
        raise fail(key, f"invalid selector {selector!r}: {exc}") from exc


def _field_rule(value: Any, key: str, fail) -> FieldRule:
    if isinstance(value, str):
        _check_selector(value, key, fail)
        return FieldRule((value,))
    if isinstance(value, list):
        if not value:
            raise fail(key, "an empty list of selectors")
        for i, s in enumerate(value):
            _check_selector(s, f"{key}[{i}]", fail)
        return FieldRule(tuple(value))
    if isinstance(value, dict):
        _unknown(value, FIELD_KEYS, f"{key}.", fail)
        selectors = []
        if value.get("css") is not None:
            selectors += value["css"] if isinstance(value["css"], list) else [value["css"]]
        if value.get("xpath") is not None:
            xs = value["xpath"] if isinstance(value["xpath"], list) else [value["xpath"]]
            selectors += [f"xpath:{x}" for x in xs]
        if not selectors:
            raise fail(key, "needs css or xpath")
        for s in selectors:
            _check_selector(s, key, fail)
        regex = None
        if value.get("regex") is not None:
            try:
                regex = re.compile(str(value["regex"]))
            except re.error as exc:
                raise fail(f"{key}.regex", f"invalid regular expression: {exc}") from exc
        return FieldRule(tuple(selectors), regex, bool(value.get("required", False)))
    raise fail(key, "must be a selector, a list of selectors or a mapping with css/xpath/regex")


def _field_rules(fields: Any, key: str, fail) -> dict[str, FieldRule]:
    if not isinstance(fields, dict):
        raise fail(key, "must be a mapping of field name to selector")
    out = {}
    for name, value in fields.items():
        if name not in CANONICAL_FIELDS or name == "text":
            raise fail(f"{key}.{name}", "not a field zhengce stores; use one of "
                       + ", ".join(f for f in CANONICAL_FIELDS if f != "text"))
        out[name] = _field_rule(value, f"{key}.{name}", fail)
    return out
