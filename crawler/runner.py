"""Run crawls in this process: pick the spiders, start Scrapy once, report.

Scrapy's reactor cannot be restarted inside one Python process, so :func:`run_crawl` runs every
requested site in one :class:`scrapy.crawler.CrawlerProcess` and may be called once per process
(the ``zhengce crawl`` command does exactly that; tests run the command in a subprocess).
The crawl's writer runs in a *spawned* process: a script that calls :func:`run_crawl` must do
so under ``if __name__ == "__main__":``, as with any multiprocessing code.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zhengce.common.errors import UserError

from .settings import crawl_settings
from .sitespec import shipped_specs, spec_path
from .spiders import BUILTIN_SPIDERS, SpecSpider
from .summary import site_lines

DEFAULT_SITES = ",".join(BUILTIN_SPIDERS)


@dataclass
class CrawlTarget:
    name: str
    spider: type
    kwargs: dict[str, Any] = field(default_factory=dict)


def available_sites() -> list[str]:
    return list(BUILTIN_SPIDERS) + shipped_specs()


def resolve_sites(sites: str | list[str] | None) -> list[CrawlTarget]:
    """``govcn,ndrc,zhejiang,path/to/spec.yaml`` (or ``all``) -> crawl targets."""
    if sites is None or sites == "":
        sites = DEFAULT_SITES
    names = [s.strip() for s in (sites.split(",") if isinstance(sites, str) else sites) if s.strip()]
    if names == ["all"]:
        names = available_sites()
    targets: list[CrawlTarget] = []
    seen: set[str] = set()
    for name in names:
        if name in BUILTIN_SPIDERS:
            target = CrawlTarget(name, BUILTIN_SPIDERS[name])
        else:
            try:
                path = spec_path(name)
            except UserError as exc:
                raise UserError(f"unknown site {name!r}: the sites are {', '.join(available_sites())} "
                                "(or a path to a YAML site spec)") from exc
            target = CrawlTarget(Path(path).stem, SpecSpider, {"spec": str(path)})
        if target.name in seen:
            continue
        seen.add(target.name)
        targets.append(target)
    if not targets:
        raise UserError("no sites to crawl: give --sites, e.g. --sites govcn,ndrc")
    return targets


@dataclass
class CrawlSummary:
    """What a crawl run did, read back from its ``runs`` row."""

    run_id: str
    status: str
    data: dict[str, Any]

    @property
    def totals(self) -> dict[str, int]:
        return self.data.get("totals", {})

    def misses(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for site, stats in (self.data.get("crawl") or {}).items():
            for label, n in (stats.get("misses") or {}).items():
                out[f"{site} {label}"] = n
        return out

    def line(self) -> str:
        t = self.totals
        crawl = self.data.get("crawl") or {}
        pages = sum(s.get("responses", 0) for s in crawl.values())
        seconds = self.data.get("seconds") or 0.0
        rate = pages / seconds if seconds else 0.0
        skipped = sum(s.get("skipped_stored", 0) for s in crawl.values())
        misses = sum(self.misses().values())
        return (f"crawl {self.run_id}: {len(crawl)} sites, {pages:,} pages in {seconds:.1f}s "
                f"({rate:,.1f}/s) — stored {t.get('stored', 0):,} new, "
                f"{t.get('duplicates', 0):,} duplicates, {t.get('updated', 0):,} updated, "
                f"{t.get('unchanged', 0):,} unchanged; rejected {t.get('rejected', 0):,}, "
                f"failed {t.get('failed', 0):,}; {t.get('attachments', 0):,} attachments; "
                f"{skipped:,} already stored; {t.get('not_chinese', 0):,} not-Chinese warnings; "
                f"{misses:,} selector misses" + _memory_suffix(self.data.get("peak_memory")))

    def details(self) -> list[str]:
        lines = site_lines(self.data)
        lines += [f"  miss  {label} ×{n}" for label, n in sorted(self.misses().items())]
        lines += [f"  reject  {reason} ×{n}"
                  for reason, n in (self.data.get("reject_reasons") or {}).items()]
        return lines


def _memory_suffix(peak_memory: dict | None) -> str:
    if not peak_memory:
        return ""
    from zhengce.common.memory import MemoryReport

    return "; " + MemoryReport.from_dict(peak_memory).line()


def read_summary(db: str, run_id: str | None = None) -> CrawlSummary | None:
    from zhengce.corpus.store import Store

    if not Path(db).exists():
        return None
    with Store.open(db) as store:
        if run_id:
            rows = list(store.db.query("select * from runs where run_id = ?", [run_id]))
        else:
            rows = list(store.db.query("select * from runs where stage = 'crawl' "
                                       "order by started_at desc, rowid desc limit 1"))
    if not rows:
        return None
    row = rows[0]
    return CrawlSummary(row["run_id"], row["status"], json.loads(row["summary"] or "{}"))


def run_crawl(targets: list[CrawlTarget], db: str, *, base_url: str | None = None,
              refresh: bool = False, max_pages: int | None = None, throttle: bool = True,
              progress: bool | None = None, **overrides: Any) -> CrawlSummary | None:
    """Crawl ``targets`` into ``db``; returns the run's summary (None if nothing ran)."""
    from scrapy.crawler import CrawlerProcess

    if not throttle and not base_url:
        raise UserError("throttling can only be switched off for a local mirror (--base-url): "
                        "the real sites get the polite defaults")
    settings = crawl_settings(db, base_url=base_url, refresh=refresh, max_pages=max_pages,
                              throttle=throttle, progress=progress,
                              ZHENGCE_SITES=[t.name for t in targets], **overrides)
    process = CrawlerProcess(settings)
    # Scrapy filters log records in its handler; setting the level on the root logger too
    # spares creating a record for every DEBUG line (thousands per crawl).
    logging.getLogger().setLevel(settings.get("LOG_LEVEL", "INFO"))
    for target in targets:
        process.crawl(target.spider, **target.kwargs)
    process.start()
    return read_summary(db)
