"""Declarative site specs: a YAML file describes a site's lists and pages; the ``spec`` spider
crawls it. Specs ship in ``crawler/specs/`` (use them by name) or live anywhere (use a path).

A spec (``yaml.safe_load``; every key is checked by pydantic models, errors name the file and
the key)::

    name: zhejiang                      # site name = ``source`` in the store; = the file's stem
    title: 浙江省人民政府 行政规范性文件
    verified: "https://…/t2024….html (detail)"   # the saved page it was checked on, or false
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

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar

import yaml
from cssselect import SelectorError
from parsel import Selector
from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator,
                      ValidationError, ValidationInfo, field_validator, model_validator)
from pydantic_core import PydanticCustomError

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
    verified: str | bool = False       # the page the spec was checked on, or False
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


# ------------------------------------------------------------------------------ validation
# The spec's schema as pydantic models. Every check raises a SpecProblem (``problem``: the
# one-line text; ``key``: a suffix to the location pydantic reports, for problems found inside a
# value, such as ``[1]`` of a selector list); parse_spec turns the first into a UserError that
# names the file and the key.
def _problem(problem: str, key: str = "") -> PydanticCustomError:
    return PydanticCustomError("spec", "{problem}", {"problem": problem, "key": key})


def _checked_selector(selector: Any, key: str = "") -> str:
    if not isinstance(selector, str) or not selector.strip():
        raise _problem("must be a non-empty selector string", key)
    try:
        select(_EMPTY, selector)
    except (SelectorError, ValueError) as exc:
        raise _problem(f"invalid selector {selector!r}: {exc}", key) from exc
    return selector


def _optional_selector(value: Any) -> str | None:
    return None if value is None else _checked_selector(value)


def _required_selector(missing: str):
    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise _problem(f"missing: {missing}")
        return _checked_selector(value)
    return BeforeValidator(check)


def _field_rule(value: Any) -> FieldRule:
    """A field: one selector, a list tried in order, or a mapping with css/xpath/regex/required."""
    if isinstance(value, str):
        return FieldRule((_checked_selector(value),))
    if isinstance(value, list):
        if not value:
            raise _problem("an empty list of selectors")
        return FieldRule(tuple(_checked_selector(s, f"[{i}]") for i, s in enumerate(value)))
    if isinstance(value, dict):
        _reject_unknown(value, FIELD_KEYS)
        selectors = []
        if value.get("css") is not None:
            selectors += value["css"] if isinstance(value["css"], list) else [value["css"]]
        if value.get("xpath") is not None:
            xs = value["xpath"] if isinstance(value["xpath"], list) else [value["xpath"]]
            selectors += [f"xpath:{x}" for x in xs]
        if not selectors:
            raise _problem("needs css or xpath")
        regex = None
        if value.get("regex") is not None:
            try:
                regex = re.compile(str(value["regex"]))
            except re.error as exc:
                raise _problem(f"invalid regular expression: {exc}", ".regex") from exc
        return FieldRule(tuple(_checked_selector(s) for s in selectors), regex,
                         bool(value.get("required", False)))
    raise _problem("must be a selector, a list of selectors or a mapping with css/xpath/regex")


def _field_names(fields: Any) -> dict:
    if not fields:
        return {}
    if not isinstance(fields, dict):
        raise _problem("must be a mapping of field name to selector")
    for name in fields:
        if name not in CANONICAL_FIELDS or name == "text":
            raise _problem("not a field zhengce stores; use one of "
                           + ", ".join(f for f in CANONICAL_FIELDS if f != "text"), f".{name}")
    return fields


def _reject_unknown(mapping: dict, allowed: tuple[str, ...]) -> None:
    for key in mapping:
        if key not in allowed:
            raise _problem(f"unknown key; allowed here: {', '.join(allowed)}", f".{key}")


Selector = Annotated[str | None, BeforeValidator(_optional_selector)]
Rule = Annotated[FieldRule, PlainValidator(_field_rule)]
Rules = Annotated[dict[str, Rule], BeforeValidator(_field_names)]


class _Section(BaseModel):
    """A mapping of the spec: unknown keys are mistakes; every field is checked, given or not."""

    model_config = ConfigDict(validate_default=True, populate_by_name=True, frozen=True)
    keys: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            _reject_unknown(data, cls.keys)
        return data


class _ListSection(_Section):
    keys: ClassVar[tuple[str, ...]] = LIST_KEYS
    item: Annotated[str, _required_selector("a selector (CSS, or xpath:...)")] = None
    link: Annotated[str, _required_selector("a selector (CSS, or xpath:...)")] = None
    container: Selector = None
    skip: Selector = None
    fields: Rules = None


class _Pagination(_Section):
    keys: ClassVar[tuple[str, ...]] = PAGINATION_KEYS
    next: Selector = None
    template: str | None = None
    total_pages: Rule | None = None
    until_empty: bool = False
    max_pages: int | None = None

    @field_validator("template", mode="before")
    @classmethod
    def _template(cls, value: Any) -> str | None:
        if value is not None and (not isinstance(value, str)
                                  or not re.search(r"\{(page|index)\}", value)):
            raise _problem("must contain {page} (1-based) or {index} (0-based), "
                           "e.g. index_{index}.html")
        return value

    @field_validator("until_empty", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> bool:
        return bool(value)

    @field_validator("max_pages", mode="before")
    @classmethod
    def _max_pages(cls, value: Any) -> int | None:
        if value is not None and (not isinstance(value, int) or value < 1):
            raise _problem("must be a positive integer")
        return value

    @model_validator(mode="after")
    def _one_form(self) -> "_Pagination":
        if self.template is not None:
            if self.total_pages is None and not self.until_empty:
                raise _problem("a template needs total_pages (where the page count is) "
                               "or until_empty: true")
            if self.next is not None:
                raise _problem("give either next or template, not both")
        elif self.total_pages is not None or self.until_empty:
            raise _problem("missing: total_pages and until_empty need a template", ".template")
        return self


class _Detail(_Section):
    keys: ClassVar[tuple[str, ...]] = DETAIL_KEYS
    body: Annotated[str, _required_selector("a selector of the element holding the text")] = None
    title: Rule | None = None
    labels: Selector = None
    attachments: Selector = None
    fields: Rules = None

    @field_validator("title", mode="before")
    @classmethod
    def _no_title(cls, value: Any) -> Any:
        return value or None


def _section(missing: str):
    """The section must be a mapping; ``missing`` says what to give when it is not."""
    def check(value: Any) -> Any:
        if not isinstance(value, dict):
            raise _problem(missing)
        return value
    return BeforeValidator(check)


class _SpecFile(_Section):
    keys: ClassVar[tuple[str, ...]] = TOP_KEYS
    name: str = None
    start_urls: tuple[str, ...] = None
    encoding: str | None = None
    defaults: dict[str, str] = None
    list_: Annotated[_ListSection, _section(
        "missing: give item and link selectors of the list pages")] = Field(None, alias="list")
    pagination: _Pagination = None
    detail: Annotated[_Detail, _section(
        "missing: give at least the body selector of a document page")] = None
    allowed_domains: tuple[str, ...] = None
    title: str = None
    verified: str | bool = None
    notes: str = None

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, name: Any, info: ValidationInfo) -> str:
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name or ""):
            raise _problem(f"{name!r} must be a lower-case identifier (e.g. zhejiang)")
        where = Path(info.context["where"])
        if where.suffix in (".yaml", ".yml") and where.stem != name:
            raise _problem(f"{name!r} differs from the file name {where.stem!r}: make them equal")
        return name

    @field_validator("start_urls", mode="before")
    @classmethod
    def _start_urls(cls, urls: Any) -> list[str]:
        if isinstance(urls, str):
            urls = [urls]
        if not isinstance(urls, list) or not urls or not all(
                isinstance(u, str) and re.match(r"https?://[^/\s]+", u) for u in urls):
            raise _problem("give a list of http(s) URLs of the site's list pages")
        return urls

    @field_validator("encoding", mode="before")
    @classmethod
    def _encoding(cls, encoding: Any) -> Any:
        if encoding is not None:
            try:
                codecs.lookup(str(encoding))
            except LookupError as exc:
                raise _problem(f"{encoding!r} is not an encoding Python knows "
                               "(use e.g. gbk, gb18030, utf-8)") from exc
        return encoding

    @field_validator("defaults", mode="before")
    @classmethod
    def _defaults(cls, defaults: Any) -> dict:
        defaults = defaults or {}
        if not isinstance(defaults, dict):
            raise _problem("must be a mapping like {level: provincial, province: 浙江省}")
        for key, value in defaults.items():
            if key not in DEFAULT_KEYS:
                raise _problem(f"unknown; allowed: {', '.join(DEFAULT_KEYS)}", f".{key}")
            if not isinstance(value, str) or not value:
                raise _problem("must be a non-empty string", f".{key}")
        if defaults.get("level") and defaults["level"] not in LEVELS:
            raise _problem(f"{defaults['level']!r} must be one of {', '.join(LEVELS)}", ".level")
        return defaults

    @field_validator("pagination", mode="before")
    @classmethod
    def _pagination(cls, pagination: Any) -> dict:
        pagination = pagination or {}
        if not isinstance(pagination, dict):
            raise _problem("must be a mapping (next, or template with total_pages/until_empty)")
        return pagination

    @field_validator("allowed_domains", mode="before")
    @classmethod
    def _domains(cls, domains: Any) -> list[str]:
        domains = domains or []
        if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
            raise _problem("must be a list of domain names")
        return domains

    @field_validator("title", "notes", mode="before")
    @classmethod
    def _text(cls, value: Any) -> str:
        return str(value or "")

    @field_validator("verified", mode="before")
    @classmethod
    def _verified(cls, value: Any) -> str | bool:
        # A spec is verified only against a page: the flag names it (crawl check on a saved
        # page), a bare true says nothing about what was checked.
        if value is True:
            raise _problem("true says nothing about what was checked: name the saved "
                           "page the spec was checked on (verified: \"URL (detail)\"), or false",
                           "verified")
        if isinstance(value, str) and value.strip():
            return value.strip()
        return False


def _error_line(where: str, error: dict) -> str:
    """``where: key: problem`` for the first problem pydantic found."""
    key = ""
    for part in error["loc"]:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    ctx = error.get("ctx") or {}
    key += ctx.get("key", "")
    return f"{where}: {key.lstrip('.')}: {ctx.get('problem', error['msg'])}"


def parse_spec(data: Any, where: str) -> SiteSpec:
    """Validate a loaded spec; every problem names ``where`` and the key."""
    if not isinstance(data, dict):
        raise UserError(f"{where}: a site spec must be a mapping of keys (name, start_urls, "
                        f"list, detail ...), not {type(data).__name__}")
    try:
        spec = _SpecFile.model_validate(data, context={"where": where})
    except ValidationError as exc:
        raise UserError(_error_line(where, exc.errors()[0])) from None
    lst, pag, det = spec.list_, spec.pagination, spec.detail
    return SiteSpec(
        name=spec.name, path=where, start_urls=spec.start_urls, list_item=lst.item,
        list_link=lst.link, detail_body=det.body, title=spec.title, verified=spec.verified,
        notes=spec.notes, allowed_domains=spec.allowed_domains, encoding=spec.encoding,
        defaults=dict(spec.defaults), list_container=lst.container, list_skip=lst.skip,
        list_fields=dict(lst.fields), next_page=pag.next, page_template=pag.template,
        total_pages=pag.total_pages, until_empty=pag.until_empty, max_pages=pag.max_pages,
        detail_title=det.title, detail_labels=det.labels, detail_fields=dict(det.fields),
        detail_attachments=det.attachments)
