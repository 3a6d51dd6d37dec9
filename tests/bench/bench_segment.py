"""Benchmark and full-corpus parity check of the segmentation backends (not collected by pytest).

    python tests/bench/bench_segment.py [--texts PATH | --lawrefbook] [--hmm] [--limit N] [--json OUT]

On the 43,000-document real-text benchmark corpus (LawRefBook texts cut to policy-document length,
median about 2,500 characters, ~114 M characters; tests/bench/corpora.py) by default, or any
JSONL(.gz) with a ``text`` field (``--texts``; ``--lawrefbook`` for the 3,284 whole laws), it
measures

1. the token cache end to end: ``segment_corpus`` into a temporary store on all cores (normalizer
   + rjieba + filters), then a second call that must segment nothing, with each process's peak
   memory (VmHWM: the parent and every worker, as the stage reports it);
2. parity: the fraction of documents whose raw tokens (before filtering) are identical under jieba
   and rjieba with the same user dictionary (nlp/dictionaries/userdict.txt), HMM off unless
   ``--hmm``; the commonest differing spans are printed;
3. speed: MB/s of UTF-8 text for each backend, each alone in a fresh process over the whole
   corpus (streamed, so memory stays flat; only the segmenter call is timed), in the order
   rjieba, jieba, rjieba; the ratio is jieba's time over the slower rjieba pass.

Parity (2.) compares a digest of every document's tokens from those passes, so the full token
lists are never held; documents that differ are segmented again to print the differing spans.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import gzip
import json
import os
import sys
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

DEFAULT_CORPUS = Path(os.environ.get("ZHENGCE_SHARED", REPO.parent / "shared")) / "corpora" / "lawrefbook.jsonl.gz"


DIGEST_BYTES = 16


def timed_pass(texts: Path, backend: str, hmm: bool, limit: int | None, out: Path) -> None:
    """Segment every document with one backend in this (fresh) process, timing only the
    segmenter call; write a digest of each document's raw tokens (``out.bin``, DIGEST_BYTES
    each, in corpus order) and the totals (``out.json``). Streamed: memory stays flat."""
    from zhengce.common.memory import peak_rss_mb
    from zhengce.nlp.text.segment import Segmenter

    started = time.perf_counter()
    seg = Segmenter(backend=backend, hmm=hmm)
    seg.engine
    load_s = time.perf_counter() - started
    seconds = 0.0
    n_docs = n_chars = n_bytes = n_tokens = 0
    opener = gzip.open if texts.suffix == ".gz" else open
    with opener(texts, "rt", encoding="utf-8") as fh, open(out.with_suffix(".bin"), "wb") as dig:
        for i, line in enumerate(fh):
            if limit is not None and i >= limit:
                break
            text = json.loads(line)["text"]
            started = time.perf_counter()
            tokens = seg.raw_tokens(text)
            seconds += time.perf_counter() - started
            n_docs += 1
            n_chars += len(text)
            n_bytes += len(text.encode("utf-8"))
            n_tokens += len(tokens)
            dig.write(hashlib.blake2b("\x00".join(tokens).encode("utf-8"),
                                      digest_size=DIGEST_BYTES).digest())
    out.with_suffix(".json").write_text(json.dumps({
        "backend": backend, "load_s": round(load_s, 2), "seconds": seconds, "documents": n_docs,
        "characters": n_chars, "mb": n_bytes / 1e6, "tokens": n_tokens,
        "peak_rss_mb": round(peak_rss_mb(), 1)}))


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
    parser.add_argument("--timed-pass", choices=["rjieba", "jieba"], default=None,
                        help=argparse.SUPPRESS)   # internal: one backend's timed pass
    parser.add_argument("--pass-out", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.timed_pass:
        timed_pass(args.texts, args.timed_pass, args.hmm, args.limit, args.pass_out)
        return 0
    if args.lawrefbook:
        args.texts = DEFAULT_CORPUS
    elif args.texts is None:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from corpora import real_text_corpus

        args.texts = real_text_corpus(43_000)
    if not args.texts.exists():
        print(f"{args.texts} not found: pass --texts or set ZHENGCE_SHARED", file=sys.stderr)
        return 2

    from zhengce.corpus.store import Store
    from zhengce.nlp.text.normalize import Normalizer
    from zhengce.nlp.text.segment import Segmenter, segment_corpus

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
        first = segment_corpus(store, seg, norm, n_jobs=None)   # a progress bar on a terminal
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

    # 2. Speed: each backend alone in a fresh process over the whole corpus, rjieba before and
    #    after jieba (the slower rjieba pass counts). Timing the two backends document by document
    #    in one process (as this script once did) slows rjieba by ~40 %: jieba's Python objects
    #    evict rjieba's trie from the CPU caches between calls, which no real run does.
    passes = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, backend in enumerate(("rjieba", "jieba", "rjieba")):
            out = Path(tmp) / f"pass{i}"
            cmd = [sys.executable, __file__, "--texts", str(args.texts), "--timed-pass", backend,
                   "--pass-out", str(out)] + (["--hmm"] if args.hmm else []) + (
                   ["--limit", str(args.limit)] if args.limit is not None else [])
            subprocess.run(cmd, check=True)
            info = json.loads(out.with_suffix(".json").read_text())
            info["digests"] = out.with_suffix(".bin").read_bytes()
            passes.append(info)
            print(f"pass {i + 1}: {backend:>6} {info['seconds']:.1f} s, "
                  f"{info['mb'] / info['seconds']:.2f} MB/s, {info['tokens']:,} raw tokens, "
                  f"peak {info['peak_rss_mb']:.0f} MB", flush=True)
    n_docs, n_chars, n_mb = passes[0]["documents"], passes[0]["characters"], passes[0]["mb"]
    results.update({"documents": n_docs, "characters": n_chars, "mb": round(n_mb, 2)})
    print(f"corpus: {n_docs:,} documents, {n_chars:,} characters, {n_mb:.1f} MB UTF-8; "
          f"HMM {'on' if args.hmm else 'off'}")
    rj = [p for p in passes if p["backend"] == "rjieba"]
    jb = passes[1]
    slower = max(rj, key=lambda p: p["seconds"])
    for backend, info in (("rjieba", slower), ("jieba", jb)):
        results[backend] = {"load_s": info["load_s"], "seconds": round(info["seconds"], 2),
                            "mb_per_s": round(n_mb / info["seconds"], 2), "tokens": info["tokens"],
                            "peak_rss_mb": info["peak_rss_mb"]}
    results["rjieba"]["passes_s"] = [round(p["seconds"], 2) for p in rj]
    ratio = jb["seconds"] / slower["seconds"]
    results["speed_ratio"] = round(ratio, 1)
    results["speed_ratio_faster_rjieba_pass"] = round(
        jb["seconds"] / min(p["seconds"] for p in rj), 1)
    rj_times = ", ".join(f"{p['seconds']:.1f}" for p in rj)
    print(f"rjieba {rj_times} s vs jieba "
          f"{jb['seconds']:.1f} s: rjieba is {ratio:.1f}x faster (slower rjieba pass)")

    # 3. Parity: a digest of each document's raw tokens from every pass; documents whose
    #    digests differ are segmented again by both backends to show the differing spans.
    width = DIGEST_BYTES
    digests = [[p["digests"][i:i + width] for i in range(0, len(p["digests"]), width)]
               for p in passes]
    if digests[0] != digests[2]:
        raise SystemExit("rjieba gave different tokens in its two passes: not deterministic?")
    differing = [i for i, (a, b) in enumerate(zip(digests[0], digests[1])) if a != b]
    identical = n_docs - len(differing)
    diffs: Counter = Counter()
    if differing:
        segmenters = {b: Segmenter(backend=b, hmm=args.hmm) for b in ("jieba", "rjieba")}
        wanted = set(differing[:500])
        for i, record in enumerate(read_records()):
            if i not in wanted:
                continue
            a = segmenters["jieba"].raw_tokens(record["text"])
            b = segmenters["rjieba"].raw_tokens(record["text"])
            for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
                if op != "equal":
                    diffs[(" ".join(a[i1:i2]), " ".join(b[j1:j2]))] += 1
    results["parity"] = {"identical": identical, "fraction": identical / max(n_docs, 1),
                         "same_token_count": passes[0]["tokens"] == passes[1]["tokens"]}
    print(f"parity: {identical:,} / {n_docs:,} documents identical ({identical / max(n_docs, 1):.4f})")
    for (left, right), n in diffs.most_common(15):
        print(f"  {n:>4}x jieba [{left}]  rjieba [{right}]")
    results["top_differences"] = [[l, r, n] for (l, r), n in diffs.most_common(15)]
    results["peak_rss_mb_comparison"] = max(p["peak_rss_mb"] for p in passes)
    print(f"peak memory (VmHWM) of the largest timed pass: "
          f"{results['peak_rss_mb_comparison']:.0f} MB; cores {os.cpu_count()}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
