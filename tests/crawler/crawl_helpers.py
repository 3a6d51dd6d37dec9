"""Helpers of the crawler tests: crawls in subprocesses, database queries, free ports.

Crawls run as ``python -m zhengce crawl ...`` subprocesses: Scrapy's reactor cannot be
restarted inside one process, and the resume test has to SIGKILL a crawl.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LOCAL_SPECS = ("wuxi", "jiangyin")
FAST_RETRY = ["-s", "ZHENGCE_RETRY_BACKOFF_BASE=0.2", "-s", "ZHENGCE_RETRY_BACKOFF_MAX=1"]


def zhengce_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "zhengce", *args]


def run_zhengce(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    result = subprocess.run(zhengce_command(*args), cwd=REPO, capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"zhengce {' '.join(args[:3])} failed ({result.returncode}):\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result


def demo_crawl_args(site, sites: list[str], db: Path, *extra: str) -> list[str]:
    """``crawl`` arguments for the demo site: mirror, no throttling, demo start URLs."""
    starts = {s: site.content.start_urls[s] for s in sites if s in LOCAL_SPECS}
    args = ["crawl", "--sites", ",".join(sites), "--db", str(db), "--base-url", site.base_url,
            "--no-throttle", "--no-progress", *FAST_RETRY]
    if starts:
        args += ["--start-urls", json.dumps(starts),
                 "--defaults", json.dumps({s: {"level": "local"} for s in starts})]
    return args + list(extra)


def query(db: Path, sql: str, params: list | tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql, list(params)).fetchall()
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


