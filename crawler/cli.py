"""``zhengce crawl`` and ``zhengce demo-site`` (registered lazily by :mod:`corpus.cli`).

::

    zhengce crawl --sites govcn,ndrc,zhejiang --db data/zhengce.db [--refresh] [--max-pages N]
    zhengce crawl --sites all --db data/mirror.db --base-url http://127.0.0.1:8000
    zhengce crawl check zhejiang --page saved.html [--kind list|detail]
    zhengce crawl check --spider ndrc --url URL --page saved.html [--json]
    zhengce crawl check --spider govcn --api-response answer.json [--json]
    zhengce crawl demo --db data/demo.db [-n 600]
    zhengce crawl --sites govcn --gaps out/coverage/gaps.csv --db data/zhengce.db
    zhengce crawl verify --db data/zhengce.db [--sites govcn] [--older-than 30d]
    zhengce crawl seed|worker|writer ...      # distributed crawls, see crawler/README.md
    zhengce demo-site [--port 8000] [-n 600]
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from zhengce.common.errors import UserError
from zhengce.corpus.store import resolve_db_path


@click.group(invoke_without_command=True)
@click.option("--sites", default=None,
              help="Comma-separated sites: govcn, ndrc, miit, sasac, mofcom, a shipped spec "
                   "(zhejiang, guangdong, ...), a path to a YAML spec, or 'all'. "
                   "Default: the five national sites.")
@click.option("--db", default=None, help="Corpus database (default $ZHENGCE_DB or data/zhengce.db).")
@click.option("--base-url", default=None,
              help="Fetch every page from a mirror laid out as BASE/<host>/<path> "
                   "(the demo site, a wget --mirror copy).")
@click.option("--refresh", is_flag=True, help="Fetch stored documents again.")
@click.option("--max-pages", type=int, default=None,
              help="At most N list/API pages per site (a quick sample).")
@click.option("--no-throttle", is_flag=True,
              help="Full speed; only allowed with --base-url (a local mirror).")
@click.option("--start-urls", default=None,
              help='JSON {"site": [urls]}: start elsewhere (e.g. other hosts of the same CMS).')
@click.option("--defaults", default=None,
              help='JSON {"site": {"level": ..., "province": ...}}: issuer defaults per site.')
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="A Scrapy/zhengce setting (value read as JSON when it parses).")
@click.option("--gaps", "gaps_path", default=None, type=click.Path(dir_okay=False),
              help="With --sites govcn: search the policy library for the missing 发文字号 of "
                   "this gaps.csv (from zhengce coverage) instead of listing; outcomes go to "
                   "the gap_fills table.")
@click.option("--progress/--no-progress", default=None,
              help="Live progress line (default: when stderr is a terminal).")
@click.option("-v", "--verbose", count=True, help="Scrapy log: -v INFO, -vv DEBUG.")
@click.pass_context
def crawl(ctx, sites, db, base_url, refresh, max_pages, no_throttle, start_urls, defaults,
          gaps_path, settings, progress, verbose):
    """Crawl policy documents into the corpus (polite: robots.txt, throttled, resumable).

    \b
    Examples:
      zhengce crawl --sites govcn,ndrc,zhejiang --db data/zhengce.db
      zhengce crawl --sites govcn --gaps out/coverage/gaps.csv --db data/zhengce.db
    """
    if ctx.invoked_subcommand is not None:
        return
    from .runner import resolve_sites, run_crawl

    targets = resolve_sites(sites)
    starts = _json_option("--start-urls", start_urls)
    site_defaults = _json_option("--defaults", defaults)
    for target in targets:
        if target.name in starts:
            target.kwargs["start_urls"] = list(starts[target.name])
        if target.name in site_defaults:
            target.kwargs["defaults"] = dict(site_defaults[target.name])
    if gaps_path:
        _gap_targets(targets, gaps_path)
    unknown = sorted((set(starts) | set(site_defaults)) - {t.name for t in targets})
    if unknown:
        raise UserError(f"--start-urls/--defaults name sites not in --sites: {', '.join(unknown)}")
    db_path = resolve_db_path(db)
    overrides = {"LOG_LEVEL": _log_level(verbose), **_settings_option(settings)}
    summary = run_crawl(targets, db_path, base_url=base_url, refresh=refresh,
                        max_pages=max_pages, throttle=not no_throttle, progress=progress,
                        **overrides)
    _print_summary(summary)


def _gap_targets(targets, gaps_path: str) -> None:
    """--gaps: only the gov.cn spider searches by document number."""
    from .gaps import read_gaps

    names = [t.name for t in targets]
    if names != ["govcn"]:
        raise UserError("--gaps searches the gov.cn policy library: give --sites govcn "
                        f"(not {','.join(names)})")
    read_gaps(gaps_path)  # a wrong file is a one-line error here, not a spider crash
    targets[0].kwargs["gaps"] = str(gaps_path)


def _json_option(name: str, value: str | None) -> dict:
    if not value:
        return {}
    try:
        data = json.loads(value)
    except ValueError as exc:
        raise UserError(f"{name}: not JSON ({exc}); give e.g. '{{\"wuxi\": [\"http://...\"]}}'") from exc
    if not isinstance(data, dict):
        raise UserError(f"{name}: give a JSON object keyed by site name")
    return data


def _settings_option(pairs: tuple[str, ...]) -> dict:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UserError(f"--set {pair!r}: write NAME=VALUE, e.g. --set DOWNLOAD_DELAY=2")
        try:
            out[name.strip()] = json.loads(value)
        except ValueError:
            out[name.strip()] = value
    return out


def _log_level(verbose: int) -> str:
    return {0: "WARNING", 1: "INFO"}.get(verbose, "DEBUG")


def _print_summary(summary) -> None:
    if summary is None:
        raise UserError("the crawl stored nothing and recorded no run: see the log above")
    click.echo(summary.line())
    for line in summary.details():
        click.echo(line)


@crawl.command("check")
@click.argument("spec", required=False)
@click.option("--spider", "spider_name", default=None,
              help="Run this spider's own parser (govcn, ndrc, miit, sasac, mofcom, or a spec "
                   "name) on the saved page instead of checking a spec's selectors.")
@click.option("--page", "page_path", default=None, type=click.Path(dir_okay=False),
              help="A saved HTML page of the site.")
@click.option("--api-response", "api_path", default=None, type=click.Path(dir_okay=False),
              help="With --spider govcn|miit: a saved answer of the site's search API.")
@click.option("--kind", type=click.Choice(["auto", "list", "detail"]), default="auto",
              show_default=True, help="Which page type the file is (spec check).")
@click.option("--url", default=None, help="The page's URL (to resolve relative links); for "
                                          "--api-response, the API request it answers.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object (with --spider).")
def check(spec, spider_name, page_path, api_path, kind, url, as_json):
    """Check a saved page: a spec's selectors (SPEC), or a spider's own parser (--spider).

    \b
    Examples:
      zhengce crawl check crawler/specs/zhejiang.yaml --page saved_list.html --kind list
      zhengce crawl check --spider ndrc --url https://www.ndrc.gov.cn/…/t2026…html --page doc.html
      zhengce crawl check --spider govcn --api-response answer.json --json
    """
    if spider_name is not None:
        _check_spider(spider_name, page_path, api_path, url, as_json)
        return
    if spec is None:
        raise UserError("crawl check: give a SPEC (a site spec name or YAML file) or --spider NAME")
    if page_path is None:
        raise UserError("crawl check SPEC: give --page FILE (a saved page of the site)")
    from .check import check_page

    with _unreadable("--page", page_path):
        report = check_page(spec, _read_saved("--page", page_path), kind=kind, url=url)
    for line in report.lines:
        click.echo(line)
    if report.problems:
        click.echo(f"{len(report.problems)} problem(s): "
                   + "; ".join(report.problems), err=True)
        sys.exit(1)


def _read_saved(option: str, path: str) -> bytes:
    target = Path(path)
    if not target.exists():
        raise UserError(f"{option} {target}: no such file; save the page first (browser: Save "
                        "As, or curl -o page.html URL)")
    return target.read_bytes()


@contextmanager
def _unreadable(option: str, path: str):
    """A saved file that is not a page (binary, another encoding) or not JSON: one line."""
    try:
        yield
    except ValueError as exc:   # undecodable bytes, invalid JSON (JSONDecodeError is one)
        raise UserError(f"{option} {path}: cannot be read as a saved "
                        f"{'API answer' if option == '--api-response' else 'HTML page'} ({exc}); "
                        "check it is the right file, saved as the site served it") from None


def _check_spider(name: str, page_path: str | None, api_path: str | None, url: str | None,
                  as_json: bool) -> None:
    from .spider_check import check_api, check_detail, report_json

    if (page_path is None) == (api_path is None):
        raise UserError("crawl check --spider: give either --page FILE or --api-response FILE")
    if api_path is not None:
        with _unreadable("--api-response", api_path):
            result = check_api(name, _read_saved("--api-response", api_path), url=url)
    else:
        with _unreadable("--page", page_path):
            result = check_detail(name, _read_saved("--page", page_path), url=url)
    if as_json:
        click.echo(report_json(result))
        return
    for line in result.lines():
        click.echo(line)


@crawl.command("demo")
@click.option("--db", default="data/demo-crawl.db", show_default=True)
@click.option("-n", "--n-documents", type=int, default=600, show_default=True)
@click.option("--random-state", type=int, default=0, show_default=True)
@click.option("--sites", default=None, help="Only these sites (default: every site of the demo).")
@click.option("--refresh", is_flag=True)
@click.option("--progress/--no-progress", default=None)
@click.option("-v", "--verbose", count=True)
def demo(db, n_documents, random_state, sites, refresh, progress, verbose):
    """Start the offline demo site, crawl it with the real spiders, stop it, summarise.

    \b
    Example:
      zhengce crawl demo --db data/demo.db -n 600
    """
    from .demo_site import DemoSite
    from .runner import run_crawl
    from .demo_crawl import demo_targets, DEMO_OVERRIDES

    site = DemoSite(n_documents, random_state).start()
    try:
        targets = demo_targets(site.content, sites)
        summary = run_crawl(targets, db, base_url=site.base_url, refresh=refresh, throttle=False,
                            progress=progress, LOG_LEVEL=_log_level(verbose), **DEMO_OVERRIDES)
    finally:
        site.stop()
    _print_summary(summary)


@crawl.command("verify")
@click.option("--db", default=None, help="Corpus database (default $ZHENGCE_DB or data/zhengce.db).")
@click.option("--sites", default=None, help="Comma-separated sites (default: every crawled site).")
@click.option("--older-than", default=None,
              help="Only pages not checked (or seen) for this long: 30d, 12h, 2w.")
@click.option("--base-url", default=None, help="Check against a mirror (BASE/<host>/<path>).")
@click.option("--no-throttle", is_flag=True, help="Full speed; only with --base-url.")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="A Scrapy/zhengce setting (value read as JSON when it parses).")
@click.option("-v", "--verbose", count=True)
def verify(db, sites, older_than, base_url, no_throttle, settings, verbose):
    """Request stored documents again and record the gone ones (404/410, redirect to an index,
    "页面不存在" pages, changed bodies) with the date; nothing is deleted.

    \b
    Example:
      zhengce crawl verify --db data/zhengce.db --sites govcn --older-than 30d
    """
    from .verify import parse_age, run_verify

    site_list = [s.strip() for s in sites.split(",") if s.strip()] if sites else None
    summary = run_verify(resolve_db_path(db), sites=site_list, older_than=parse_age(older_than),
                         base_url=base_url, throttle=not no_throttle,
                         LOG_LEVEL=_log_level(verbose), **_settings_option(settings))
    click.echo(summary.line())


@crawl.command("seed")
@click.option("--redis", "redis_url", required=True, help="redis://HOST:PORT/DB")
@click.option("--sites", default=None)
@click.option("--db", default=None, help="The corpus database: stored pages are not fetched again.")
@click.option("--refresh", is_flag=True)
@click.option("--start-urls", default=None,
              help='JSON {"site": [urls]} overriding start URLs (e.g. sites sharing a CMS).')
def seed(redis_url, sites, db, refresh, start_urls):
    """Distributed crawl, step 1: clear the crawl's Redis keys and push the start requests.

    \b
    Example:
      zhengce crawl seed --redis redis://127.0.0.1:6379/0 --sites govcn,ndrc --db data/zhengce.db
    """
    from .distributed import seed_crawl

    counts = seed_crawl(redis_url, sites, db=resolve_db_path(db) if db else None, refresh=refresh,
                        start_urls=json.loads(start_urls) if start_urls else None)
    click.echo("seeded: " + ", ".join(f"{site} {n} start URLs, {k} stored URLs marked seen"
                                      for site, (n, k) in counts.items()))


@crawl.command("worker")
@click.option("--redis", "redis_url", required=True)
@click.option("--sites", default=None)
@click.option("--base-url", default=None)
@click.option("--no-throttle", is_flag=True)
@click.option("--max-idle", type=int, default=30, show_default=True,
              help="Seconds with nothing to do before the worker stops.")
@click.option("--defaults", default=None, help='JSON {"site": {level: ...}} issuer defaults.')
@click.option("-v", "--verbose", count=True)
def worker(redis_url, sites, base_url, no_throttle, max_idle, defaults, verbose):
    """Distributed crawl, step 2 (any number of machines): fetch and parse; items go to Redis.

    \b
    Example:
      zhengce crawl worker --redis redis://10.0.0.5:6379/0 --sites govcn,ndrc
    """
    from .distributed import run_worker

    run_worker(redis_url, sites, base_url=base_url, throttle=not no_throttle, max_idle=max_idle,
               defaults=json.loads(defaults) if defaults else None,
               LOG_LEVEL=_log_level(verbose))


@crawl.command("writer")
@click.option("--redis", "redis_url", required=True)
@click.option("--db", default=None)
@click.option("--idle-exit", type=float, default=60.0, show_default=True,
              help="Stop after this many seconds with no items and no active workers.")
@click.option("--tag-jobs", type=int, default=1, show_default=True,
              help="Processes that tag documents (0: tag inline in the writer).")
def writer(redis_url, db, idle_exit, tag_jobs):
    """Distributed crawl, step 3 (one machine, next to the database): store the items.

    \b
    Example:
      zhengce crawl writer --redis redis://127.0.0.1:6379/0 --db data/zhengce.db
    """
    from .distributed import run_writer
    from .runner import read_summary

    run_id = run_writer(redis_url, resolve_db_path(db), idle_exit=idle_exit, tag_jobs=tag_jobs)
    _print_summary(read_summary(resolve_db_path(db), run_id))


@click.command("demo-site")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("-n", "--n-documents", type=int, default=600, show_default=True)
@click.option("--random-state", type=int, default=0, show_default=True)
@click.option("--log", default=None, help="Append one 'STATUS PATH' line per request to this file.")
def demo_site(port, n_documents, random_state, log):
    """Serve the offline demo site on 127.0.0.1 until Ctrl-C.

    \b
    Example:
      zhengce demo-site --port 8000 -n 600
    """
    import time

    from .demo_site import DemoSite

    site = DemoSite(n_documents, random_state, port=port, log_path=log).start()
    click.echo(f"demo site: {site.base_url}  (crawl it: zhengce crawl --sites govcn,ndrc,zhejiang "
               f"--base-url {site.base_url} --no-throttle --db data/demo-crawl.db)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        site.stop()
