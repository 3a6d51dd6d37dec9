"""Benchmark and full-corpus parity check of the segmentation backends (not collected by pytest).

    python tests/bench/bench_segment.py [--lawrefbook PATH] [--hmm] [--limit N] [--json OUT]

On the whole LawRefBook corpus (3,284 laws, ~18.9 M characters) it measures

1. the token cache end to end: ``segment_corpus`` into a temporary store on all cores (normaliser
   + rjieba + filters), then a second call that must segment nothing, with peak resident memory of
   the parent and the largest worker;
2. parity: the fraction of documents whose raw tokens (before filtering) are identical under jieba
   and rjieba with the same user dictionary (nlp/dictionaries/userdict.txt), HMM off unless
   ``--hmm``; the first differing spans are printed;
3. speed: MB/s of UTF-8 text for each backend, single process, and the rjieba/jieba ratio.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

DEFAULT_CORPUS = Path(os.environ.get("ZHENGCE_SHARED", REPO.parent / "shared")) / "corpora" / "lawrefbook.jsonl.gz"


def _peak_rss_mb() -> float:
    from corpus.memory import peak_rss_mb

    return peak_rss_mb()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lawrefbook", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--hmm", action="store_true", help="compare with HMM on (default off)")
    parser.add_argument("--limit", type=int, default=None, help="first N documents only")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(argv)
    if not args.lawrefbook.exists():
        print(f"{args.lawrefbook} not found: pass --lawrefbook or set ZHENGCE_SHARED", file=sys.stderr)
        return 2

    from corpus.store import Store
    from nlp.normalize import Normalizer
    from nlp.segment import Segmenter, print_progress, segment_corpus

    def read_records():
        with gzip.open(args.lawrefbook, "rt", encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                if args.limit is not None and i >= args.limit:
                    return
                yield json.loads(line)

    results: dict = {"hmm": args.hmm, "cores": os.cpu_count()}

    # 1. The token cache end to end, first, while this process is small (workers are forked from
    #    it, so their peak RSS is measured cleanly). Records stream into the store.
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "bench.db")
        with store.db.conn:
            store.db["documents"].insert_all(
                ({"doc_id": f"lawref-{i:05d}", "source": "lawrefbook", "title": r["title"],
                  "text": r["text"]} for i, r in enumerate(read_records())),
                pk="doc_id", batch_size=500)
        seg, norm = Segmenter(hmm=args.hmm), Normalizer()
        first = segment_corpus(store, seg, norm, n_jobs=None, progress=print_progress)
        print(first["line"])
        second = segment_corpus(store, seg, norm, n_jobs=None)
        print(second["line"])
        results["segment_corpus"] = {k: first[k] for k in ("n_segmented", "seconds", "docs_per_s",
                                                           "mb_per_s", "n_jobs", "removed")}
        results["segment_corpus_second_call"] = {"n_segmented": second["n_segmented"],
                                                 "seconds": second["seconds"]}
        store.close()
    memory = first["peak_memory"]   # each process's own VmHWM, reported by the stage
    results["peak_rss_mb_segment_corpus"] = {
        "parent": memory["main_peak_mb"], "largest_worker": memory["max_worker_peak_mb"],
        "workers": [p["peak_mb"] for p in memory["processes"][1:]],
        "all_processes": memory["sum_of_peaks_mb"]}
    print(f"segment_corpus peak RSS (VmHWM): parent {memory['main_peak_mb']:.0f} MB, "
          f"workers {[round(p['peak_mb']) for p in memory['processes'][1:]]} MB, "
          f"all processes {memory['sum_of_peaks_mb']:.0f} MB")

    # 2. Backends side by side, single process, whole corpus in memory.
    texts = [r["text"] for r in read_records()]
    n_mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    n_chars = sum(len(t) for t in texts)
    results.update({"documents": len(texts), "characters": n_chars, "mb": round(n_mb, 2)})
    print(f"corpus: {len(texts):,} documents, {n_chars:,} characters, {n_mb:.1f} MB UTF-8; "
          f"HMM {'on' if args.hmm else 'off'}")
    tokens: dict[str, list] = {}
    for backend in ("rjieba", "jieba"):
        seg = Segmenter(backend=backend, hmm=args.hmm)
        started = time.perf_counter()
        seg.engine
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        tokens[backend] = [seg.raw_tokens(t) for t in texts]
        seconds = time.perf_counter() - started
        results[backend] = {"load_s": round(load_s, 2), "seconds": round(seconds, 2),
                            "mb_per_s": round(n_mb / seconds, 2),
                            "tokens": sum(map(len, tokens[backend]))}
        print(f"{backend:>6}: dictionary load {load_s:.2f} s, segmentation {seconds:.1f} s, "
              f"{n_mb / seconds:.2f} MB/s, {results[backend]['tokens']:,} raw tokens")
    ratio = results["jieba"]["seconds"] / results["rjieba"]["seconds"]
    results["speed_ratio"] = round(ratio, 1)
    print(f"rjieba is {ratio:.1f}x faster than jieba")

    identical = sum(a == b for a, b in zip(tokens["jieba"], tokens["rjieba"]))
    results["parity"] = {"identical": identical, "fraction": identical / len(texts)}
    print(f"parity: {identical:,} / {len(texts):,} documents identical ({identical / len(texts):.4f})")
    diffs: Counter = Counter()
    for a, b in zip(tokens["jieba"], tokens["rjieba"]):
        if a == b:
            continue
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
            if op != "equal":
                diffs[(" ".join(a[i1:i2]), " ".join(b[j1:j2]))] += 1
    for (left, right), n in diffs.most_common(15):
        print(f"  {n:>4}x jieba [{left}]  rjieba [{right}]")
    results["top_differences"] = [[l, r, n] for (l, r), n in diffs.most_common(15)]
    results["peak_rss_mb_comparison"] = round(_peak_rss_mb(), 1)
    print(f"peak RSS with both backends' tokens of the whole corpus in memory: "
          f"{results['peak_rss_mb_comparison']:.0f} MB; cores {os.cpu_count()}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
