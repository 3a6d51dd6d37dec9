"""Distributed crawl with a real redis-server: two worker processes share scrapy-redis's
scheduler and dupefilter, one writer process stores; every page is fetched exactly once."""

from __future__ import annotations

import json
import subprocess
from collections import Counter

import pytest

from zhengce.crawler.demo_site import DemoSite
from zhengce.crawler.demo_site.pages import key_of
from crawl_helpers import REPO, query, run_zhengce, zhengce_command

SITES = ["govcn", "ndrc", "zhejiang", "jiangyin"]

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def test_two_workers_fetch_every_page_once_and_one_writer_stores_all(redis_url, tmp_path):
    import redis

    site = DemoSite(120, 0).start()
    db = tmp_path / "distributed.db"
    try:
        jiangyin = site.content.start_urls["jiangyin"]
        seeded = run_zhengce("crawl", "seed", "--redis", redis_url, "--sites", ",".join(SITES),
                             "--db", str(db), "--start-urls", json.dumps({"jiangyin": jiangyin}))
        assert "govcn 2 start URLs" in seeded.stdout and "ndrc 4 start URLs" in seeded.stdout
        assert f"jiangyin {len(jiangyin)} start URLs" in seeded.stdout
        writer = subprocess.Popen(
            zhengce_command("crawl", "writer", "--redis", redis_url, "--db", str(db),
                            "--idle-exit", "2"),
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        worker_cmd = zhengce_command(
            "crawl", "worker", "--redis", redis_url, "--sites", ",".join(SITES),
            "--base-url", site.base_url, "--no-throttle", "--max-idle", "2",
            "--defaults", json.dumps({"jiangyin": {"level": "local"}}))
        workers = [subprocess.Popen(worker_cmd, cwd=REPO, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for _ in range(2)]
        for i, proc in enumerate(workers):
            out, err = proc.communicate(timeout=180)
            (tmp_path / f"worker{i}.log").write_text(err)
            assert proc.returncode == 0, err[-3000:]
            assert "Traceback" not in err, err[-3000:]
        out, err = writer.communicate(timeout=180)
        assert writer.returncode == 0, err[-3000:]
        log = list(site.access_log)
    finally:
        site.stop()

    # every page once: robots.txt is read by each worker, the flaky page answers 503 twice
    counts = Counter(key for _, key in log)
    flaky = key_of(site.content.specials["flaky"])
    assert counts[flaky] == 3
    assert all(n <= 2 for k, n in counts.items() if k.endswith("/robots.txt"))
    again = {k: n for k, n in counts.items()
             if n > 1 and k != flaky and not k.endswith("/robots.txt")}
    assert again == {}
    # both workers did part of the work
    stats = redis.Redis.from_url(redis_url).hgetall("zhengce:stats")
    per_worker = Counter()
    for key, value in stats.items():
        per_worker[key.decode().split("/")[0]] += json.loads(value)["responses"]
    assert len(per_worker) == 2 and all(n > 0 for n in per_worker.values())

    # the store holds exactly the documents of these sites, each once
    expected = {d.url for d in site.content.documents
                if d.site_kind in ("govcn", "ndrc", "county")
                or (d.site_kind == "province" and d.province == "浙江省")}
    assert len(expected) == 30 + 6 + 9 + 21
    stored = [u for (u,) in query(db, "select source_url from document_sources")]
    assert sorted(stored) == sorted(expected)
    assert query(db, "select count(*) from crawl_state where kind = 'detail' and status = 'stored'"
                 )[0][0] == len(expected) + 1          # + the 301 alias of a gov.cn page
    assert "stored 66 new, 0 duplicates" in out
    assert "miss  ndrc body: div.article_con ×1" in out
