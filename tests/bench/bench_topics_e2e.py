"""End-to-end ``make topics`` on the 43,000-document real-text corpus, beside a naive baseline.

    python tests/bench/bench_topics_e2e.py [--n 43000] [--k 50] [--quick] [--skip-naive]

Corpus: the real-text benchmark corpus (LawRefBook texts cut to policy-document length, median
about 2,500 characters; tests/bench/corpora.py), loaded into a fresh store first (setup, timed
separately: that is the load benchmark's figure).

Measured, each in a fresh process (tests/bench/common.py: wall time, each process's own peak
memory, VmHWM):

1. ``make topics``: what the Makefile's ``topics`` target runs, through the same library calls as
   the CLI: ``run_topics`` with the Makefile's model (seeded DMR, covariates level × period, the
   stage's defaults: rjieba segmentation into the token cache in worker processes, dictionary
   filtering, 500 Gibbs sweeps, labels, strategy shares, pyLDAvis page, dictionary measure) with
   K = ``--k`` topics (3 seeded + K - 3 free), then ``build_report``.
2. Naive baseline, same K: the global ``jieba.lcut`` on every raw text, a gensim ``Dictionary``
   with no filtering, ``LdaModel(passes=10)`` with gensim's other defaults, everything in memory
   — what a hand-rolled script does. It writes nothing back and builds no report.

Coherence, the same yardstick for both: document-level NPMI of each topic's 10 top words
(mean over word pairs, then over topics; gensim's ``c_npmi`` with a boolean-document window),
where a word "occurs" in a document when its raw text contains it. Counting on raw text rather
than on either side's tokens keeps the measure independent of both tokenisers (the baseline's
stopwords such as 的 occur almost everywhere and score about 0). Also reported: the share of
top words that are stopwords (stopwordsiso's Chinese list) or single characters.

Targets (issue #4/#7, 2 cores): ``make topics`` < 10 min and < 4 GB (the sum of every process's
peak), at least 3x faster than the baseline at equal or better coherence. Rows go to
out/bench/topics_e2e.json and results.jsonl.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, REPO, measure, memory_columns, print_table, record  # noqa: E402
from bench_load import STEP as LOAD  # noqa: E402  (the load benchmark's step: same load)
from corpora import real_text_corpus  # noqa: E402

sys.path.insert(0, str(REPO))

MAKE_TOPICS = """
import json, shutil, time, warnings
from pathlib import Path
from zhengce.corpus.store import Store
from zhengce.nlp.topics.stage import TopicsConfig, run_topics
from zhengce.analysis.report import build_report
out = Path({out!r})
shutil.rmtree(out, ignore_errors=True)
store = Store.open({db!r})
config = TopicsConfig(model="dmr", n_free_topics={k} - 3, out_dir=str(out / "topics"),
                      {extra})
t0 = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    topics = run_topics(store, config, progress=lambda m: print(m, flush=True))
result["topics_s"] = time.perf_counter() - t0
print(topics.line(), flush=True)
t1 = time.perf_counter()
path = build_report(store, out / "report")
result["report_s"] = time.perf_counter() - t1
run_id = topics.run_ids[0]
summary = json.loads(store.db.execute("select summary from runs where run_id = ?", [run_id]).fetchone()[0])
result.update(run_id=run_id, documents=topics.n_documents, vocabulary=topics.vocabulary,
              segmented=topics.segmented, report=str(path), model=summary.get("model"),
              peak_memory=topics.memory.as_dict(),
              top_words=[json.loads(r[0]) for r in store.db.execute(
                  "select top_words from topics where run_id = ? order by topic", [run_id])])
store.close()
"""

NAIVE = """
import time, warnings
import jieba
from gensim.corpora import Dictionary
from gensim.models import LdaModel
from zhengce.corpus.store import Store
jieba.setLogLevel(60)
store = Store.open({db!r})
texts = [r[0] for r in store.db.execute("select text from documents order by doc_id")]
store.close()
t0 = time.perf_counter()
tokens = [[w for w in jieba.lcut(t) if w.strip()] for t in texts]
result["segment_s"] = time.perf_counter() - t0
t1 = time.perf_counter()
dictionary = Dictionary(tokens)
corpus = [dictionary.doc2bow(t) for t in tokens]
result["bow_s"] = time.perf_counter() - t1
t2 = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    lda = LdaModel(corpus, id2word=dictionary, num_topics={k}, passes={passes}, random_state=0)
result["fit_s"] = time.perf_counter() - t2
result.update(documents=len(texts), vocabulary=len(dictionary),
              tokens=sum(len(t) for t in tokens),
              top_words=[[w for w, _ in lda.show_topic(k, topn=10)] for k in range({k})])
"""


def raw_texts(db: Path) -> list[str]:
    from zhengce.corpus.store import Store

    store = Store.open(db, create=False)
    try:
        return [r[0] or "" for r in store.db.execute("select text from documents order by doc_id")]
    finally:
        store.close()


def npmi_coherence(topics: list[list[str]], texts: list[str], eps: float = 1e-12) -> dict:
    """Mean document-level NPMI of each topic's top words, occurrence = substring of the raw text.

    NPMI(a, b) = log(P(a, b) / (P(a) P(b))) / -log P(a, b), with P the share of documents; a pair
    that never co-occurs scores -1 (gensim's convention with its epsilon).
    """
    import numpy as np

    words = sorted({w for topic in topics for w in topic if w})
    n = len(texts)
    occurs = {}
    for w in words:
        occurs[w] = np.fromiter((w in t for t in texts), dtype=bool, count=n)
    per_topic = []
    for topic in topics:
        scores = []
        for a, b in combinations([w for w in topic if w in occurs], 2):
            p_a, p_b = occurs[a].mean(), occurs[b].mean()
            p_ab = (occurs[a] & occurs[b]).mean()
            if p_ab == 0:
                scores.append(-1.0)
                continue
            pmi = math.log((p_ab + eps) / (p_a * p_b))
            denominator = -math.log(p_ab + eps)
            scores.append(pmi / denominator if denominator > 0 else 1.0)
        per_topic.append(float(np.mean(scores)) if scores else float("nan"))
    return {"npmi": float(np.nanmean(per_topic)), "npmi_per_topic": per_topic}


def junk_share(topics: list[list[str]]) -> float:
    """Share of top words that are stopwords or a single character (punctuation included)."""
    import stopwordsiso

    stop = set(stopwordsiso.stopwords("zh"))
    words = [w for topic in topics for w in topic]
    return sum(w in stop or len(w) == 1 for w in words) / max(len(words), 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=43_000, help="documents")
    parser.add_argument("--k", type=int, default=50, help="topics (both sides)")
    parser.add_argument("--passes", type=int, default=10, help="the baseline's LdaModel passes")
    parser.add_argument("--quick", action="store_true",
                        help="1,500 documents, K = 10, 50 sweeps / 2 passes: a smoke test")
    parser.add_argument("--skip-naive", action="store_true", help="reuse no baseline: run ours only")
    args = parser.parse_args(argv)
    extra = ""
    if args.quick:
        args.n, args.k, args.passes = 1500, 10, 2
        extra = "dmr_iterations=50, "
    name = "topics_e2e_quick" if args.quick else "topics_e2e"
    path = real_text_corpus(args.n)
    db = OUT / f"{name}.db"
    setup = measure(LOAD.format(db=str(db), path=str(path), jobs=None))
    print(f"setup: loaded {setup['result']['stored']:,} documents in {setup['wall_s']:.1f} s "
          f"(not part of the figures below)", flush=True)

    ours = measure(MAKE_TOPICS.format(db=str(db), out=str(OUT / f"{name}_out"), k=args.k,
                                      extra=extra), timeout=4 * 3600)
    r = ours["result"]
    r["top_words"] = [words[:10] for words in r["top_words"]]   # the stage stores 20
    texts = raw_texts(db)
    started = time.perf_counter()
    coherence = npmi_coherence(r["top_words"], texts)
    print(f"coherence of ours computed in {time.perf_counter() - started:.0f} s", flush=True)
    rows = [{"step": "make topics (seeded DMR + report)", "documents": r["documents"],
             "K": args.k, "vocabulary": r["vocabulary"], "wall_s": ours["wall_s"],
             "topics_s": r["topics_s"], "report_s": r["report_s"], **memory_columns(ours),
             "workers": ours["workers"], "npmi": coherence["npmi"],
             "junk_top_words": junk_share(r["top_words"]), "top_words": r["top_words"],
             "npmi_per_topic": coherence["npmi_per_topic"], "model": r["model"],
             "target": "< 600 s, < 4096 MB, >= 3x baseline at >= its NPMI"}]
    if not args.skip_naive:
        naive = measure(NAIVE.format(db=str(db), k=args.k, passes=args.passes),
                        timeout=4 * 3600)
        b = naive["result"]
        base_coherence = npmi_coherence(b["top_words"], texts)
        rows.append({"step": f"baseline: global jieba + LdaModel({args.passes} passes)",
                     "documents": b["documents"], "K": args.k, "vocabulary": b["vocabulary"],
                     "wall_s": naive["wall_s"], "segment_s": b["segment_s"], "bow_s": b["bow_s"],
                     "fit_s": b["fit_s"], **memory_columns(naive), "workers": naive["workers"],
                     "npmi": base_coherence["npmi"], "junk_top_words": junk_share(b["top_words"]),
                     "top_words": b["top_words"],
                     "npmi_per_topic": base_coherence["npmi_per_topic"]})
        rows[0]["speedup"] = naive["wall_s"] / ours["wall_s"]
        rows[1]["speedup"] = 1.0
    print_table(f"make topics end to end, {r['documents']:,} real-text documents, K = {args.k}, "
                f"{os.cpu_count()} cores (memory: each process's VmHWM)", rows,
                ["step", "documents", "vocabulary", "wall_s", "speedup", "main_mb", "workers_mb",
                 "all_processes_mb", "npmi", "junk_top_words", "target"])
    for row in rows:
        print(f"\n{row['step']}: first topics' top words")
        for k, words in enumerate(row["top_words"][:5]):
            print(f"  {k:>2}  {' '.join(words)}")
    print(f"results: {record(name, rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
