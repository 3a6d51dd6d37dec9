"""Crawling the offline demo site with the real spiders (``zhengce crawl demo``, the tests).

The national spiders and the provincial specs start from the same URLs on the demo site as on
the real sites. The prefecture and county layouts (the ``wuxi`` and ``jiangyin`` specs) are used
by many cities and counties of the demo corpus: their start URLs are the list pages of every such
host, and their issuer defaults are reduced to the level (each document's place comes from its
issuer, through the corpus layer's gazetteer).
"""

from __future__ import annotations

from zhengce.common.errors import UserError

from .demo_site.portals import LOCAL_SPECS
from .demo_site.render import SiteContent
from .runner import CrawlTarget, resolve_sites

# Local mirror on this machine: short retry backoff (the flaky page asks for Retry-After: 1).
DEMO_OVERRIDES = {"ZHENGCE_RETRY_BACKOFF_BASE": 0.2, "ZHENGCE_RETRY_BACKOFF_MAX": 1.0}


def demo_sites(content: SiteContent) -> list[str]:
    """Every site of the demo, in a fixed order."""
    return list(content.start_urls)


def demo_targets(content: SiteContent, sites: str | list[str] | None = None) -> list[CrawlTarget]:
    names = demo_sites(content) if not sites else (
        [s.strip() for s in sites.split(",") if s.strip()] if isinstance(sites, str) else list(sites))
    unknown = [n for n in names if n not in content.start_urls]
    if unknown:
        raise UserError(f"the demo site has no site {', '.join(unknown)}: its sites are "
                        f"{', '.join(demo_sites(content))}")
    targets = resolve_sites(names)
    for target in targets:
        if target.name in LOCAL_SPECS.values():
            target.kwargs["start_urls"] = list(content.start_urls[target.name])
            target.kwargs["defaults"] = {"level": "local"}
    return targets
