"""The report, the pyLDAvis page and a Datasette facet page in a real headless Chromium.

Uses Playwright's Python package with the system Chromium (never ``playwright install``). Skips
with the reason when Playwright or Chromium is missing, except under CI=true, where it fails.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _unavailable(msg: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg + " — and CI=true, where browser tests must run")
    pytest.skip(msg)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install playwright)")
    exe = os.environ.get("ZHENGCE_CHROMIUM") or next(
        (p for p in CHROMIUM_CANDIDATES if Path(p).exists()), None) or shutil.which("chromium")
    if not exe:
        _unavailable("no Chromium found (apt-get install chromium, or set ZHENGCE_CHROMIUM)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open(browser, url: str):
    """Open ``url``; return (page, console errors, page errors, failed requests)."""
    page = browser.new_page()
    errors, page_errors, failed = [], [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(url, wait_until="load")
    return page, errors, page_errors, failed


def test_report_and_ldavis_render_offline(browser, tmp_path, real_topic_run, insert_documents,
                                          add_sectors):
    from zhengce.analysis.report import build_report
    from zhengce.corpus.store import Store

    store = Store.open(tmp_path / "corpus.db")
    run_id, ldavis = real_topic_run(store, tmp_path / "topics")
    ids = [r[0] for r in store.db.execute("select doc_id from documents")]
    add_sectors(store, [(d, "36" if i % 2 else "3973") for i, d in enumerate(ids)])
    path = build_report(store, tmp_path / "report", n_boot=20, n_draws=5, chinese=True, dpi=60)
    store.close()
    page, errors, page_errors, failed = _open(browser, path.resolve().as_uri())
    widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
    assert len(widths) == 4 and all(w > 0 for w in widths)   # no agency documents: 4 figures
    rows = page.eval_on_selector_all("table.tbl", "ts => ts.map(t => t.querySelectorAll('tbody tr').length)")
    assert len(rows) >= 5 and all(n > 0 for n in rows)
    assert page.locator("h2", has_text="2. Strategy trajectories by level").is_visible()
    assert not errors and not page_errors and not failed
    # the link to the topic stage's pyLDAvis page resolves and the page draws its topic circles
    href = page.get_attribute("a[href$='ldavis.html']", "href")
    assert href == "ldavis.html" and (path.parent / href).read_bytes() == ldavis.read_bytes()
    vis, errors, page_errors, failed = _open(browser, (path.parent / href).resolve().as_uri())
    vis.wait_for_selector("svg circle", timeout=10_000)
    assert vis.locator("svg circle").count() >= 3
    assert not errors and not page_errors and not failed
    assert run_id


def test_datasette_facet_page(browser, tmp_path, insert_documents):
    try:
        import datasette  # noqa: F401
    except ImportError:
        _unavailable("datasette is not installed (pip install datasette)")
    from zhengce.analysis.browse import prepare_browse, start_datasette
    from zhengce.corpus.store import Store

    store = Store.open(tmp_path / "corpus.db")
    insert_documents(store, [{"doc_id": f"d{i}", "level": ("central", "provincial", "local")[i % 3],
                              "year": 2000 + i % 4} for i in range(9)])
    meta = prepare_browse(store, tmp_path / "browse")
    store.close()
    with start_datasette(tmp_path / "corpus.db", meta) as server:
        page, errors, page_errors, _ = _open(browser, f"{server.url}/corpus/documents?_facet=level")
        facet = page.locator(".facet-results")
        assert facet.is_visible()
        text = facet.inner_text()
        assert "level" in text and "central" in text and "provincial" in text and "local" in text
        assert page.locator("table.rows-and-columns tbody tr").count() == 9
        assert not page_errors and not errors
