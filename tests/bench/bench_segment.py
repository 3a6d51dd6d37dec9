"""Benchmark and full-corpus parity check of the segmentation backends (not collected by pytest).

    python tests/bench/bench_segment.py [--texts PATH | --lawrefbook] [--hmm] [--limit N] [--json OUT]

On the 43,000-document real-text benchmark corpus (LawRefBook texts cut to policy-document length,
median about 2,500 characters, ~114 M characters; tests/bench/corpora.py) by default, or any
JSONL(.gz) with a ``text`` field (``--texts``; ``--lawrefbook`` for the 3,284 whole laws), it
measures

1. the token cache end to end: ``segment_corpus`` into a temporary store on all cores (normaliser
   + rjieba + filters), then a second call that must segment nothing, with each process's peak
   memory (VmHWM: the parent and every worker, as the stage reports it);
2. parity: the fraction of documents whose raw tokens (before filtering) are identical under jieba
   and rjieba with the same user dictionary (nlp/dictionaries/userdict.txt), HMM off unless
   ``--hmm``; the commonest differing spans are printed;
3. speed: MB/s of UTF-8 text for each backend, one process, both timed on each document in turn
   (the same text, the same moment; streamed, so memory stays flat), and the rjieba/jieba ratio.
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
    parser.add_argument("--texts", type=Path, default=None,
                        help="JSONL(.gz) with a text field (default: the 43,000-document "
                             "real-text benchmark corpus, built on first use)")
    parser.add_argument("--lawrefbook", action="store_true",
                        help="the 3,284 whole LawRefBook laws instead")
    parser.add_argument("--hmm", action="store_true", help="compare with HMM on (default off)")
    parser.add_argument("--limit", type=int, default=None, help="first N documents only")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(argv)
    if args.lawrefbook:
        args.texts = DEFAULT_CORPUS
    elif args.texts is None:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from corpora import real_text_corpus

        args.texts = real_text_corpus(43_000)
    if not args.texts.exists():
        print(f"{args.texts} not found: pass --texts or set ZHENGCE_SHARED", file=sys.stderr)
        return 2

    from corpus.store import Store
    from nlp.normalize import Normalizer
    from nlp.segment import Segmenter, print_progress, segment_corpus

    def read_records():
        opener = gzip.open if args.texts.suffix == ".gz" else open
        with opener(args.texts, "rt", encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                if args.limit is not None and i >= args.limit:
                    return
                yield json.loads(line)

    results: dict = {"hmm": args.hmm, "cores": os.cpu_count(), "corpus": str(args.texts)}

    # 1. The token cache end to end, first, while this process is small (workers are forked from
    #    it, so their peak RSS is measured cleanly). Records stream into the store.
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "bench.db")
        with store.db.conn:
            store.db["documents"].insert_all(
                ({"doc_id": f"doc-{i:06d}", "source": "bench", "title": r.get("title"),
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

    # 2. Backends side by side, one process, streamed: each document through both in turn.
    segmenters = {backend: Segmenter(backend=backend, hmm=args.hmm) for backend in ("rjieba", "jieba")}
    for backend, seg in segmenters.items():
        started = time.perf_counter()
        seg.engine
        results[backend] = {"load_s": round(time.perf_counter() - started, 2)}
    seconds = {"rjieba": 0.0, "jieba": 0.0}
    n_tokens = {"rjieba": 0, "jieba": 0}
    n_docs = n_chars = n_bytes = identical = 0
    diffs: Counter = Counter()
    for record in read_records():
        text = record["text"]
        n_docs += 1
        n_chars += len(text)
        n_bytes += len(text.encode("utf-8"))
        tokens = {}
        for backend, seg in segmenters.items():
            started = time.perf_counter()
            tokens[backend] = seg.raw_tokens(text)
            seconds[backend] += time.perf_counter() - started
            n_tokens[backend] += len(tokens[backend])
        a, b = tokens["jieba"], tokens["rjieba"]
        if a == b:
            identical += 1
            continue
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
            if op != "equal":
                diffs[(" ".join(a[i1:i2]), " ".join(b[j1:j2]))] += 1
    n_mb = n_bytes / 1e6
    results.update({"documents": n_docs, "characters": n_chars, "mb": round(n_mb, 2)})
    print(f"corpus: {n_docs:,} documents, {n_chars:,} characters, {n_mb:.1f} MB UTF-8; "
          f"HMM {'on' if args.hmm else 'off'}")
    for backend in ("rjieba", "jieba"):
        results[backend].update(seconds=round(seconds[backend], 2),
                                mb_per_s=round(n_mb / seconds[backend], 2),
                                tokens=n_tokens[backend])
        print(f"{backend:>6}: dictionary load {results[backend]['load_s']:.2f} s, segmentation "
              f"{seconds[backend]:.1f} s, {n_mb / seconds[backend]:.2f} MB/s, "
              f"{n_tokens[backend]:,} raw tokens")
    ratio = seconds["jieba"] / seconds["rjieba"]
    results["speed_ratio"] = round(ratio, 1)
    print(f"rjieba is {ratio:.1f}x faster than jieba")
    results["parity"] = {"identical": identical, "fraction": identical / max(n_docs, 1)}
    print(f"parity: {identical:,} / {n_docs:,} documents identical ({identical / max(n_docs, 1):.4f})")
    for (left, right), n in diffs.most_common(15):
        print(f"  {n:>4}x jieba [{left}]  rjieba [{right}]")
    results["top_differences"] = [[l, r, n] for (l, r), n in diffs.most_common(15)]
    results["peak_rss_mb_comparison"] = round(_peak_rss_mb(), 1)
    print(f"peak memory (VmHWM) of this process after the comparison: "
          f"{results['peak_rss_mb_comparison']:.0f} MB; cores {os.cpu_count()}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
