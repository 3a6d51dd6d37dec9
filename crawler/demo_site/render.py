"""The offline demo site's content: the demo corpus rendered into the real sites' page structures.

Every :class:`corpus.demo.DemoDocument` is served at its own URL (``DemoDocument.url``), in the
layout of its issuer's kind of site (``site_kind``): gov.cn (:mod:`.govcn`), the ministries
(:mod:`.ministries`: NDRC, MIIT, SASAC, MOFCOM) and the provincial, prefecture and county portals
(:mod:`.portals`). The HTML comes from the Jinja2 templates in ``templates/``.

Pages are keyed by the real URL without its scheme (``host/path?query``); the server maps a
mirror request ``/<host>/<path>?<query>`` onto that key (see :mod:`crawler.mirror`).

The traps a crawler meets on the real sites are planted on purpose: a dead link (404), a
malformed page without a body, a link that robots.txt forbids, a page that fails with HTTP 503
before it works, an HTTP 301 from an old URL pattern, a JavaScript redirect, ``<em>`` tags and
missing ``pubtimeStr`` in the search API, a result cap that forces date-window splitting, label
cells padded with full-width spaces, values wrapped in CMS comments and placeholder 文号.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from zhengce.common.errors import UserError
from zhengce.corpus.demo import DemoCorpus, DemoDocument

from .govcn import GOVCN_API, GovcnSite
from .ministries import (MIIT_API, NDRC_DISALLOWED, MiitSite, build_mofcom, build_ndrc,
                         build_sasac)
from .pages import HTML_UTF8, Page, SitePages, key_of, render
from .portals import build_local, build_provinces

ROBOTS_DEFAULT = "User-agent: *\nDisallow: /private/\nCrawl-delay: 1\n"


class SiteContent:
    """All pages of the demo site for one demo corpus.

    ``documents`` are the demo documents in corpus order; ``pages`` maps page keys to responses;
    ``start_urls`` gives, per crawler site name, the real list/API URLs to start from (the
    built-in spiders and the shipped specs start from the same ones); ``specials`` names the
    planted traps (``flaky``, ``not_found``, ``malformed``, ``robots_disallowed``,
    ``http_redirect``, ``js_redirect``, ``gbk``) by URL. The gov.cn search API serves at most
    ``api_cap`` results per query and, like the real one as far as public clients show, has no
    ``totalpage`` field unless ``api_totalpage``.
    """

    def __init__(self, n_documents: int = 600, random_state: int = 0, *, api_cap: int = 100,
                 flaky_failures: int = 2, list_page_size: int = 15, api_totalpage: bool = False):
        if n_documents < 1:
            raise UserError(f"the demo site needs at least one document (got {n_documents})")
        self.n_documents = n_documents
        self.random_state = random_state
        self.api_cap = api_cap
        self.list_page_size = list_page_size
        self.documents: list[DemoDocument] = [
            d for d, _ in DemoCorpus(n_documents=n_documents, random_state=random_state)
            .iter_documents()]
        site = SitePages(list_page_size)
        self.pages = site.pages
        self.start_urls = site.start_urls
        self.specials = site.specials
        self.attachments = site.attachments
        self._govcn = GovcnSite(site, api_cap, with_totalpage=api_totalpage)
        self._miit = MiitSite(site)
        by_kind: dict[str, list[DemoDocument]] = {}
        for doc in self.documents:
            by_kind.setdefault(doc.site_kind, []).append(doc)
        self._govcn.build(by_kind.get("govcn", []))
        build_ndrc(site, by_kind.get("ndrc", []))
        self._miit.build(by_kind.get("miit", []))
        build_sasac(site, by_kind.get("sasac", []))
        build_mofcom(site, by_kind.get("mofcom", []))
        build_provinces(site, by_kind.get("province", []))
        build_local(site, "prefecture", by_kind.get("prefecture", []))
        build_local(site, "county", by_kind.get("county", []))
        self.flaky: dict[str, int] = {}
        self._choose_flaky(flaky_failures)
        self.hosts: set[str] = {key.split("/", 1)[0] for key in self.pages}
        self.hosts.update({GOVCN_API.split("/")[0], MIIT_API.split("/")[0]})

    def respond(self, key: str) -> Page:
        """The response for a page key (``host/path?query``)."""
        host, _, rest = key.partition("/")
        path, _, query = ("/" + rest).partition("?")
        if path == "/robots.txt":
            robots = ROBOTS_DEFAULT
            if host == "www.ndrc.gov.cn":
                robots += f"Disallow: {NDRC_DISALLOWED}\n"
            return Page(robots.encode(), "text/plain")
        if f"{host}{path}" == GOVCN_API:
            return self.govcn_api(parse_qs(query))
        if f"{host}{path}" == MIIT_API:
            return self.miit_api(parse_qs(query))
        page = self.pages.get(key)
        if page is None and query:
            page = self.pages.get(f"{host}{path}")
        if page is None:
            return Page(render("not_found.html").encode("utf-8"), HTML_UTF8, status=404)
        if key in self.flaky and self.flaky[key] > 0:
            self.flaky[key] -= 1
            return Page(render("unavailable.html").encode("utf-8"), HTML_UTF8, status=503,
                        headers={"Retry-After": "1"})
        return page

    def govcn_api(self, query: dict[str, list[str]]) -> Page:
        """gov.cn's policy-library search API (see :meth:`.govcn.GovcnSite.api`)."""
        return self._govcn.api(query)

    def miit_api(self, query: dict[str, list[str]]) -> Page:
        """MIIT's search API (see :meth:`.ministries.MiitSite.api`)."""
        return self._miit.api(query)

    def _choose_flaky(self, failures: int) -> None:
        """The first NDRC document (else the first document) fails ``failures`` times with 503."""
        ndrc = [d for d in self.documents if d.site_kind == "ndrc"]
        target = (ndrc or self.documents)[0].url
        self.flaky[key_of(target)] = failures
        self.specials["flaky"] = target

    def take_down(self, urls: list[str]) -> dict[str, str]:
        """Make ``urls`` disappear (404, redirect to an index, soft "页面不存在" page, in turn):
        see :mod:`.takedowns`; returns url -> how it was taken down."""
        from .takedowns import take_down

        return take_down(self, urls)

    def unlist(self, urls: list[str]) -> None:
        """Leave these gov.cn documents out of the search API's date listings (a document-number
        search still finds them): gaps in 发文字号 series that a crawl cannot see."""
        self._govcn.unlisted.update(urls)

    def served_urls(self) -> list[str]:
        """Every page key the site serves (the APIs excluded)."""
        return sorted(self.pages)
