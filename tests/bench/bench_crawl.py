"""Crawl throughput against the offline demo site, throttling off.

Target (crawler issue): >= 150 documents/s parsed, tagged and stored on 2 cores. The demo site
runs in its own process; the crawl in another, with its one writer (tagging + SQLite) either in a
writer process (the default, ``ZHENGCE_WRITER=process``) or in the crawl process (``inline``),
tagging there in a worker process (``ZHENGCE_TAG_JOBS=1``) or not (0). All processes are
pinned to at most 2 cores. Rates count documents stored (new + duplicate)
per second of the crawl run (from the writer opening to its closing: Scrapy start-up excluded,
pool start-up included), and per second of the whole ``run_crawl`` call (start-up included).
The machine this runs on may be shared: CPU seconds of the crawl process, the writer process(es)
and the site are reported too, and ``cpu_bound_docs_per_s`` is the rate two uncontended cores
would allow (bounded by the busiest process and by all CPU time over two cores).

    python tests/bench/bench_crawl.py [N_DOCUMENTS]
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, REPO, measure, memory_columns, print_table, record  # noqa: E402

STEP = """
import os, resource, time
from zhengce.crawler.demo_site.render import SiteContent
from zhengce.crawler.demo_crawl import demo_targets, DEMO_OVERRIDES
from zhengce.crawler.runner import run_crawl
db = {db!r}
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(db + suffix):
        os.remove(db + suffix)
content = SiteContent({n}, 0)          # only for the start URLs of the prefecture/county layouts
t0 = time.perf_counter()
c0 = time.process_time()
summary = run_crawl(demo_targets(content), db, base_url={base!r}, throttle=False, progress=False,
                    LOG_LEVEL="ERROR", ZHENGCE_WRITER={writer!r}, ZHENGCE_TAG_JOBS={workers},
                    **DEMO_OVERRIDES)
result["process_s"] = time.perf_counter() - t0
result["crawl_cpu_s"] = time.process_time() - c0
t = summary.totals
result["stored"] = t["stored"] + t["duplicates"]
result["pages"] = sum(s["responses"] for s in summary.data["crawl"].values())
result["run_s"] = summary.data["seconds"]
result["line"] = summary.line()
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
result["writer_cpu_s"] = kids.ru_utime + kids.ru_stime   # the writer / tag worker processes
"""


def two_cores() -> list[int]:
    cores = sorted(os.sched_getaffinity(0))
    return cores[:2]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    cores = two_cores()
    os.sched_setaffinity(0, cores)          # children inherit: site, crawl, tag workers
    OUT.mkdir(parents=True, exist_ok=True)
    site = subprocess.Popen([sys.executable, "-m", "zhengce.crawler.demo_site", "--n-documents", str(n)],
                            cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        base = site.stdout.readline().strip()
        if not base.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the demo site did not start: {base!r}")
        import psutil

        server = psutil.Process(site.pid)
        rows = []
        for writer, workers in (("process", 0), ("inline", 1), ("inline", 0)):
            server_before = sum(server.cpu_times()[:2])
            out = measure(STEP.format(db=str(OUT / f"crawl-{writer}-{workers}.db"), n=n,
                                      base=base, writer=writer, workers=workers))
            r = out["result"]
            server_cpu = sum(server.cpu_times()[:2]) - server_before
            busiest = max(r["crawl_cpu_s"], r["writer_cpu_s"])
            rows.append({"writer": writer, "tag_workers": workers, "documents": r["stored"], "pages": r["pages"],
                         "run_s": r["run_s"], "docs_per_s": r["stored"] / r["run_s"],
                         "pages_per_s": r["pages"] / r["run_s"],
                         "docs_per_s_incl_startup": r["stored"] / r["process_s"],
                         "process_s": r["process_s"], "crawl_cpu_s": r["crawl_cpu_s"],
                         "writer_cpu_s": r["writer_cpu_s"], "site_cpu_s": server_cpu,
                         # what 2 uncontended cores would allow: the busiest process's CPU
                         # time per document bounds the rate; all CPU over 2 cores too
                         "cpu_bound_docs_per_s": r["stored"] / max(
                             busiest, (r["crawl_cpu_s"] + r["writer_cpu_s"] + server_cpu) / 2),
                         **memory_columns(out), "cores": len(cores)})
            print(r["line"])
    finally:
        site.terminate()
        site.wait(timeout=10)
    print_table(f"crawl of the demo site ({n} documents, throttling off, {len(cores)} cores; "
                "target >= 150 documents/s)", rows,
                ["writer", "tag_workers", "documents", "pages", "run_s", "docs_per_s", "pages_per_s",
                 "docs_per_s_incl_startup", "crawl_cpu_s", "writer_cpu_s", "site_cpu_s",
                 "cpu_bound_docs_per_s", "main_mb", "workers_mb", "all_processes_mb"])
    print(f"results: {record('crawl', rows)}")


if __name__ == "__main__":
    main()
