"""Benchmark: training time of each topic model at K = 50, against a naive baseline.

Usage (a script, not a test; prints one table)::

    python tests/bench/bench_topics.py                       # ../shared LawRefBook corpus
    python tests/bench/bench_topics.py --texts docs.jsonl.gz # any JSONL(.gz) with a "text" field
    python tests/bench/bench_topics.py --db data/zhengce.db  # the store's documents table
    python tests/bench/bench_topics.py --limit 500 --models lda,dmr --k 20

Project pipeline: nlp.text.segment.Segmenter() (rjieba, stopwords, min length 2), a gensim Dictionary
with filter_extremes(no_below=5, no_above=0.5, keep_n=100000), then each model of nlp.topics.models
(seeded models use the Tan scheme's seeds from nlp/schemes/tan.yaml; DMR covariates are level ×
period: for LawRefBook, level = central if region is 全国 else local and period = the source
folder; for the store, level and pre/post-2001 from year).

Naive baseline: the global jieba.lcut on raw text, a Dictionary with no filtering, and
gensim LdaModel with passes=10 and gensim's other defaults, same K.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

DEFAULT_TEXTS = REPO.parent / "shared" / "corpora" / "lawrefbook.jsonl.gz"
ALL_MODELS = ["lda", "lda_fast", "seeded_lda", "dmr", "seeded_dmr", "naive"]


def load_texts(args):
    """(texts, covariates DataFrame) from a JSONL(.gz) file or the store."""
    import pandas as pd

    if args.db:
        from zhengce.corpus.store import Store

        store = Store.open(args.db, create=False)
        sql = "select text, level, year from documents where text is not null order by doc_id"
        if args.limit:
            sql += f" limit {int(args.limit)}"
        rows = list(store.db.query(sql))
        store.close()
        texts = [r["text"] for r in rows]
        cov = pd.DataFrame({"level": [r["level"] or "unknown" for r in rows],
                            "period": ["unknown" if r["year"] is None else
                                       ("pre" if r["year"] <= 2001 else "post") for r in rows]})
        return texts, cov
    path = Path(args.texts)
    if not path.is_file():
        sys.exit(f"no corpus at {path}: pass --texts FILE.jsonl(.gz) or --db FILE.db")
    opener = gzip.open if path.suffix == ".gz" else open
    texts, levels, periods = [], [], []
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            texts.append(record["text"])
            levels.append("central" if record.get("region") in (None, "全国") else "local")
            periods.append(str(record.get("folder") or record.get("period") or "all"))
            if args.limit and len(texts) >= args.limit:
                break
    return texts, pd.DataFrame({"level": levels, "period": periods})


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", default=str(DEFAULT_TEXTS))
    parser.add_argument("--db")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N documents")
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--passes", type=int, default=10)
    parser.add_argument("--iterations", type=int, default=100, help="gensim E-step iterations")
    parser.add_argument("--dmr-iterations", type=int, default=300, help="tomotopy Gibbs sweeps")
    parser.add_argument("--jobs", type=int, default=None, help="LdaMulticore worker processes")
    parser.add_argument("--models", default=",".join(ALL_MODELS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the table as JSON here")
    args = parser.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in models if m not in ALL_MODELS]
    if unknown:
        sys.exit(f"unknown model(s) {unknown}; choose from {ALL_MODELS}")

    import numpy as np
    import pandas as pd
    from gensim.corpora import Dictionary

    from zhengce.nlp.topics.models import LdaTopicModel, SeededDmrModel, SeededLdaModel, TopicModelWarning

    texts, cov = load_texts(args)
    n_chars = sum(len(t) for t in texts)
    print(f"{len(texts)} documents, {n_chars / 1e6:.1f} M characters, K = {args.k}", flush=True)
    results = []

    if set(models) - {"naive"}:
        from zhengce.nlp.scheme import load_scheme
        from zhengce.nlp.text.segment import Segmenter

        started = time.perf_counter()
        segmenter = Segmenter()
        tokens = [segmenter.tokens(t) for t in texts]
        seg_seconds = time.perf_counter() - started
        dictionary = Dictionary(tokens)
        v_before = len(dictionary)
        dictionary.filter_extremes(no_below=5, no_above=0.5, keep_n=100000)
        corpus = [dictionary.doc2bow(t) for t in tokens]
        n_tokens = int(sum(c for d in corpus for _, c in d))
        print(f"pipeline: segmentation {seg_seconds:.1f}s; vocabulary {v_before} -> "
              f"{len(dictionary)}; {n_tokens / 1e6:.2f} M tokens", flush=True)
        scheme = load_scheme()
        n_categories = len(scheme.categories)
        free = max(args.k - n_categories, 1)
        factories = {
            "lda": lambda: LdaTopicModel(args.k, passes=args.passes, iterations=args.iterations,
                                         random_state=args.seed),
            "lda_fast": lambda: LdaTopicModel(args.k, passes=args.passes,
                                              iterations=args.iterations, random_state=args.seed,
                                              mode="fast", n_jobs=args.jobs),
            "seeded_lda": lambda: SeededLdaModel(scheme, free, passes=args.passes,
                                                 iterations=args.iterations,
                                                 random_state=args.seed),
            "dmr": lambda: SeededDmrModel(None, args.k, iterations=args.dmr_iterations,
                                          random_state=args.seed),
            "seeded_dmr": lambda: SeededDmrModel(scheme, free, iterations=args.dmr_iterations,
                                                 random_state=args.seed),
        }
        for name in models:
            if name == "naive":
                continue
            model = factories[name]()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                started = time.perf_counter()
                model.fit(corpus, dictionary, cov if isinstance(model, SeededDmrModel) else None)
                seconds = time.perf_counter() - started
            info = model.manifest_info()
            steps = args.passes if isinstance(model, LdaTopicModel) else args.dmr_iterations
            results.append({"model": name, "library": info["library"], "K": info["n_topics"],
                            "docs": len(corpus), "tokens": n_tokens,
                            "vocabulary": len(dictionary), "steps": steps,
                            "fit_s": round(seconds, 1), "s_per_step": round(seconds / steps, 3),
                            "deterministic": info["deterministic"],
                            "fit_warnings": sum(issubclass(w.category, TopicModelWarning)
                                                for w in caught)})
            print(results[-1], flush=True)

    if "naive" in models:
        import jieba
        from gensim.models import LdaModel

        jieba.setLogLevel(60)
        started = time.perf_counter()
        naive_tokens = [[w for w in jieba.lcut(t) if w.strip()] for t in texts]
        seg_seconds = time.perf_counter() - started
        naive_dict = Dictionary(naive_tokens)
        naive_corpus = [naive_dict.doc2bow(t) for t in naive_tokens]
        n_naive = int(sum(c for d in naive_corpus for _, c in d))
        started = time.perf_counter()
        LdaModel(naive_corpus, id2word=naive_dict, num_topics=args.k, passes=10,
                 random_state=args.seed)
        seconds = time.perf_counter() - started
        results.append({"model": "naive", "library": "global jieba + gensim LdaModel",
                        "K": args.k, "docs": len(naive_corpus), "tokens": n_naive,
                        "vocabulary": len(naive_dict), "steps": 10, "fit_s": round(seconds, 1),
                        "s_per_step": round(seconds / 10, 3), "deterministic": True,
                        "fit_warnings": 0})
        print(f"naive segmentation (global jieba): {seg_seconds:.1f}s", flush=True)

    table = pd.DataFrame(results)
    print()
    print(table.to_string(index=False))
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1,
                                              default=lambda o: o.item() if isinstance(o, np.generic) else str(o)),
                                   encoding="utf-8")


if __name__ == "__main__":
    main()
