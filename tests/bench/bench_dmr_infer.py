"""How jointly inferring runs of documents (SeededDmrModel ``infer_batch``) changes θ, and how fast.

    python tests/bench/bench_dmr_infer.py [--n 8000] [--train 6000] [--k 50]

On the first ``--n`` documents of the real-text benchmark corpus (tests/bench/corpora.py), loaded
and segmented as ``make topics`` does (load_path, segment_corpus, the stage's dictionary filter),
it fits the seeded DMR of ``make topics`` on ``--train`` documents (stratified by level × period,
``infer_batch`` = 1), then infers θ of the held-out documents (about 2,000) in several ways with
the same fitted sampler, one thread each:

- each alone, 200 sweeps: the reference;
- each alone, 20 sweeps (the stage's ``dmr_infer_iterations``): the sampler's own noise;
- runs of B documents sampled jointly (tomotopy ``together=True``), 20 sweeps, B = 25, 100, 400;
- runs of 100 shifted by 50 documents: how much a document's θ depends on its run-mates.

For each: the correlation of all θ entries with the reference (and, for the shifted runs, with
the unshifted ones), the share of documents with the same top topic, and milliseconds per
document. The claim checked: the batch changes θ no more than the sampler's noise does.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, print_table, record  # noqa: E402
from corpora import real_text_corpus  # noqa: E402

sys.path.insert(0, str(REPO))


def compare(theta: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    r = float(np.corrcoef(theta.ravel(), reference.ravel())[0, 1])
    return r, float(np.mean(theta.argmax(axis=1) == reference.argmax(axis=1)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8000, help="documents (default 8000)")
    parser.add_argument("--train", type=int, default=6000, help="training documents (default 6000)")
    parser.add_argument("--k", type=int, default=50, help="topics (3 seeded + K - 3 free)")
    args = parser.parse_args(argv)

    from zhengce.corpus.loaders import load_path
    from zhengce.corpus.store import Store
    from zhengce.nlp.text.bow import BowCorpus, TokenCorpus, build_dictionary
    from zhengce.nlp.text.normalize import Normalizer
    from zhengce.nlp.scheme import load_scheme
    from zhengce.nlp.text.segment import Segmenter, segment_corpus
    from zhengce.nlp.topics.stage import TopicsConfig, _covariates, _make_model

    path = real_text_corpus(args.n)
    config = TopicsConfig(model="dmr", n_free_topics=args.k - 3, dmr_max_train_docs=args.train,
                          dmr_infer_batch=1, n_jobs=1)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "infer.db")
        load_path(store, str(path), progress=False)
        seg = segment_corpus(store, Segmenter(), Normalizer())
        corpus = TokenCorpus(store, seg["config_hash"], min_tokens=1)
        scheme = load_scheme(config.scheme)
        seeds = {name: [s.term for s in cat.seeds] for name, cat in scheme.categories.items()}
        dictionary, _ = build_dictionary(corpus, no_below=config.no_below,
                                         no_above=config.no_above, keep_n=config.keep_n,
                                         keep_tokens=scheme.terms())
        bow = BowCorpus(corpus, dictionary)
        covariates = _covariates(store, corpus.doc_ids())
        model = _make_model(config, seeds, config.random_state)
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(bow, dictionary, covariates=covariates)
        fit_s = time.perf_counter() - started
        cells, features, numerics = model._encode_covariates(covariates, len(corpus.doc_ids()))
        trained = model._training_sample(cells, np.ones(len(cells)))
        known = set(model.model_.used_vocabs)
        vocabulary = model.vocabulary_
        held = []
        for d, doc in enumerate(bow):
            if trained[d]:
                continue
            words = [w for w in model._words(doc, vocabulary) if w in known]
            if words:
                held.append((words, model._doc_kwargs(d, cells, features, numerics)))
        store.close()
    tm = model.model_
    print(f"fitted on {model.n_train_docs_:,} documents in {fit_s:.0f} s; K = {tm.k}, "
          f"V = {len(tm.used_vocabs):,}; {len(held):,} held-out documents", flush=True)

    def infer(iterations: int, batch: int | None, offset: int = 0) -> tuple[np.ndarray, float]:
        docs = [tm.make_doc(words, **kwargs) for words, kwargs in held]
        started = time.perf_counter()
        if batch is None:
            result, _ = tm.infer(docs, iterations=iterations, workers=1)
        else:
            bounds = [0, *range(offset or batch, len(docs), batch), len(docs)]
            result = []
            for a, b in zip(bounds[:-1], bounds[1:]):
                part, _ = tm.infer(docs[a:b], iterations=iterations, workers=1, together=True)
                result.extend(part)
        return np.asarray(result, dtype=np.float64), time.perf_counter() - started

    reference, ref_s = infer(200, None)
    rows = [{"inference": "each alone, 200 sweeps (reference)", "r": 1.0, "same_top_topic": 1.0,
             "ms_per_doc": 1000 * ref_s / len(held)}]
    thetas = {}
    for label, iterations, batch, offset in (
            ("each alone, 20 sweeps", 20, None, 0),
            ("runs of 25, 20 sweeps", 20, 25, 0),
            ("runs of 100, 20 sweeps", 20, 100, 0),
            ("runs of 400, 20 sweeps", 20, 400, 0),
            ("runs of 100 shifted by 50, 20 sweeps", 20, 100, 50)):
        theta, seconds = infer(iterations, batch, offset)
        thetas[label] = theta
        r, top = compare(theta, reference)
        rows.append({"inference": label, "r": r, "same_top_topic": top,
                     "ms_per_doc": 1000 * seconds / len(held)})
    r, top = compare(thetas["runs of 100 shifted by 50, 20 sweeps"], thetas["runs of 100, 20 sweeps"])
    rows.append({"inference": "runs of 100: shifted vs unshifted", "r": r, "same_top_topic": top,
                 "ms_per_doc": None})
    shown = [{**row, "r": f"{row['r']:.4f}", "same_top_topic": f"{row['same_top_topic']:.1%}"}
             for row in rows]
    print_table(f"DMR inference of {len(held):,} held-out documents (K = {tm.k}, "
                f"V = {len(tm.used_vocabs):,}, one thread)", shown,
                ["inference", "r", "same_top_topic", "ms_per_doc"])
    noise = rows[1]
    shift = rows[-1]
    verdict = shift["r"] >= noise["r"] - 0.002 and shift["same_top_topic"] >= noise["same_top_topic"] - 0.01
    print(f"runs of 100 moved θ by r = {shift['r']:.4f} (top topic {shift['same_top_topic']:.1%}); "
          f"the sampler's own noise r = {noise['r']:.4f} ({noise['same_top_topic']:.1%}): "
          f"{'within' if verdict else 'BEYOND'} the noise")
    for row in rows:
        row.update(documents=args.n, train=model.n_train_docs_, held_out=len(held), K=int(tm.k),
                   V=len(tm.used_vocabs), within_noise=bool(verdict))
    record("dmr_infer", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
