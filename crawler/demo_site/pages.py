"""What every part of the demo site shares: responses, page keys, dates, and the Jinja2 templates.

Each site family (:mod:`.govcn`, :mod:`.ministries`, :mod:`.provinces`, :mod:`.local_sites`)
writes its pages into one :class:`SitePages`; the HTML comes from ``templates/`` (Jinja2,
autoescaped; ``None`` renders as an empty string, as a missing field does on the real sites).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from zhengce.corpus.demo import DemoDocument
from zhengce.corpus.tagging import parse_date_iso

TEMPLATES = Path(__file__).resolve().parent / "templates"

HTML_UTF8 = "text/html; charset=utf-8"
JSON_TYPE = "application/json;charset=UTF-8"
PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class Page:
    """One response the server can give."""

    body: bytes
    content_type: str = HTML_UTF8
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class SitePages:
    """What the site families build: pages by key, start URLs per crawler site name, the planted
    traps by name, and the attachments of each document (doc url -> [(file url, link text)])."""

    list_page_size: int = 15
    pages: dict[str, Page] = field(default_factory=dict)
    start_urls: dict[str, list[str]] = field(default_factory=dict)
    specials: dict[str, str] = field(default_factory=dict)
    attachments: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def add_html(self, url: str, template: str, *, encoding: str = "utf-8",
                 content_type: str = HTML_UTF8, **context) -> None:
        """Render ``template`` and serve it at ``url``; characters the encoding lacks become
        character references (the GBK county sites)."""
        text = render(template, **context)
        self.pages[key_of(url)] = Page(text.encode(encoding, "xmlcharrefreplace"), content_type)


def key_of(url: str) -> str:
    """The page key of a real URL: host + path (+ ?query), scheme dropped."""
    parts = urlsplit(url)
    return parts.netloc + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def number_of(doc: DemoDocument) -> int:
    """The serial number in a demo document's source id (``...-00042`` -> 42)."""
    return int(doc.source_id.rsplit("-", 1)[1])


def iso_date(value: str | None) -> str | None:
    return parse_date_iso(value) if value else None


def list_date(doc: DemoDocument) -> str:
    """The date a list page shows: publication, else issue date (ISO)."""
    return iso_date(doc.published_date) or iso_date(doc.issued_date) or ""


_URL_DATE = re.compile(r"/((?:19|20)\d{2})[-/](\d{1,2})/(\d{1,2})/|/t((?:19|20)\d{2})(\d{2})(\d{2})_")


def api_date(doc: DemoDocument) -> str:
    """The date a search API indexes a document under: its list date, else (a few demo
    documents have no date at all, like some real pages) the date in its URL, else its year's
    first day from the 文号, else 2000-01-01."""
    day = list_date(doc)
    if day:
        return day
    match = _URL_DATE.search(doc.url)
    if match:
        y, m, d = [g for g in match.groups() if g is not None]
        return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"
    year = re.search(r"〔((?:19|20)\d{2})〕", doc.doc_number or "")
    return f"{year.group(1)}-01-01" if year else "2000-01-01"


def chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def list_pages(entries: list, size: int) -> list[list]:
    """A list split into pages; a list without entries still has its (empty) first page."""
    return chunks(entries, size) or [[]]


def relative_link(url: str, base: str, dot: bool = True) -> str:
    """``url`` relative to the folder ``base`` (``./name`` or ``name``) when it lies under it."""
    if url.startswith(base + "/"):
        return ("./" if dot else "") + url[len(base) + 1:]
    return url


def path_query(url: str) -> Markup:
    """``/path?query`` of a URL, its ``&`` left raw as the real CMSs print their page links."""
    parts = urlsplit(url)
    return Markup(f"{parts.path}?{parts.query}")


def paragraph_lines(text: str) -> list[str]:
    """The non-blank lines of a document text, stripped: one ``<p>`` each."""
    return [line.strip() for line in text.split("\n") if line.strip()]


def _finalize(value):
    return "" if value is None else value


ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=jinja2.select_autoescape(["html"]),
    keep_trailing_newline=True,      # the served bytes end as the template files do
    undefined=jinja2.StrictUndefined,
    finalize=_finalize,
)
ENVIRONMENT.filters.update(path=lambda url: urlsplit(url).path,
                           basename=lambda url: urlsplit(url).path.rsplit("/", 1)[1],
                           path_query=path_query, relative_link=relative_link,
                           list_date=list_date, paragraph_lines=paragraph_lines)


def render(template: str, **context) -> str:
    """The text of ``templates/<template>`` for ``context``."""
    return ENVIRONMENT.get_template(template).render(**context)
