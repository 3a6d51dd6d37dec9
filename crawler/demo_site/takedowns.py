"""Documents that disappear between two crawls, the three ways real sites take pages down.

``take_down(content, urls)`` replaces the pages of ``urls`` on a running demo site, in turn:
``not_found`` (HTTP 404), ``redirect_index`` (HTTP 302 to the section's index page, as sites do
after a reorganisation) and ``soft_not_found`` (HTTP 200 with a "页面不存在" page). The
``zhengce crawl verify`` tests take down a known share of the stored documents and check that
exactly those are found gone.
"""

from __future__ import annotations

import random
from urllib.parse import urlsplit

from .pages import HTML_UTF8, Page, key_of, render

TAKEDOWN_MODES = ("not_found", "redirect_index", "soft_not_found")


def index_url_of(url: str) -> str:
    """The index page of a document's section: ``https://host/<first folder>/index.htm``."""
    parts = urlsplit(url)
    folder = parts.path.strip("/").split("/", 1)[0]
    return f"{parts.scheme}://{parts.netloc}/" + (f"{folder}/index.htm" if folder else "")


def take_down(content, urls: list[str]) -> dict[str, str]:
    """Take the pages of ``urls`` down (modes in turn, in URL order); return url -> mode."""
    modes: dict[str, str] = {}
    for i, url in enumerate(sorted(set(urls))):
        mode = TAKEDOWN_MODES[i % len(TAKEDOWN_MODES)]
        if mode == "not_found":
            page = Page(render("not_found.html").encode("utf-8"), HTML_UTF8, status=404)
        elif mode == "redirect_index":
            page = Page(b"", HTML_UTF8, status=302, headers={"Location": index_url_of(url)})
        else:
            page = Page(render("soft_not_found.html").encode("utf-8"), HTML_UTF8)
        content.pages[key_of(url)] = page
        content.specials.setdefault("taken_down", url)
        modes[url] = mode
    return modes


def choose_takedowns(urls: list[str], fraction: float, random_state: int = 0) -> list[str]:
    """A reproducible ``fraction`` of ``urls`` (rounded, at least one when any)."""
    ordered = sorted(set(urls))
    if not ordered or fraction <= 0:
        return []
    k = max(1, round(fraction * len(ordered)))
    return sorted(random.Random(random_state).sample(ordered, min(k, len(ordered))))
