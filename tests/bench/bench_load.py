"""Load + index benchmark: 43,000 real-text documents (LawRefBook cut to policy-document length).

Target (issue: corpus data layer): loaded and indexed in under 60 s on 2 cores, under 1 GB peak RSS
(the sum of every process's own peak, VmHWM: the loader and its tagging workers).
Baseline measured in the same run: the same load with one process (no worker pool).

    python tests/bench/bench_load.py [N_DOCUMENTS]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, measure, memory_columns, print_table, record  # noqa: E402
from corpora import lengths, real_text_corpus  # noqa: E402

STEP = """
from zhengce.corpus.store import Store
from zhengce.corpus.loaders import load_path
import os
db = {db!r}
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(db + suffix):
        os.remove(db + suffix)
store = Store.open(db)
report = load_path(store, {path!r}, progress=False, n_jobs={jobs})
result.update(report.as_dict())
result["fts_rows"] = store.count("search_index")
store.close()
result["db_mb"] = os.path.getsize(db) / 2**20
"""


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 43_000
    path = real_text_corpus(n)
    lens = lengths(path)
    print(f"corpus: {path} — {len(lens):,} documents, median {int(sorted(lens)[len(lens)//2]):,} chars, "
          f"{lens.sum() / 1e6:.1f} M chars")
    rows = []
    for label, jobs in (("zhengce load (all cores)", 0), ("baseline: one process", 1)):
        res = measure(STEP.format(db=str(OUT / f"load_{jobs}.db"), path=str(path), jobs=jobs or None))
        r = res["result"]
        rows.append({"step": label, "documents": r["seen"], "stored": r["stored"],
                     "near_dup_flags": r["near_duplicates"], "wall_s": res["wall_s"],
                     "docs_per_s": r["seen"] / res["wall_s"], **memory_columns(res),
                     "workers": res["workers"], "db_mb": r["db_mb"],
                     "target": "< 60 s, all processes < 1024 MB" if jobs == 0 else ""})
    print_table(f"load + index, {n:,} real-text documents (memory: each process's VmHWM)", rows,
                ["step", "documents", "stored", "near_dup_flags", "wall_s", "docs_per_s",
                 "main_mb", "workers_mb", "all_processes_mb", "db_mb", "target"])
    record("load", rows)


if __name__ == "__main__":
    main()
