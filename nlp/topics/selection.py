"""Choosing the number of topics K.

:func:`search_k` fits a model for every K in a grid and several seeds, and reports per K:

- ``heldout_ll`` — held-out log-likelihood per token by *document completion* (Wallach et al.
  2009, "estimating" half): a random ``holdout_fraction`` of documents is left out of training;
  each held-out document's tokens are split at random into two halves; θ_d is inferred from the
  first half with ``model.transform`` and the second half scored as
  Σ_w log Σ_k θ_dk β_kw, divided by the number of scored tokens. It only uses ``transform`` and
  ``topic_word_``, so it compares every model class on the same scale (unlike each library's own
  bound). ``heldout_perplexity`` = exp(−heldout_ll).
- ``c_npmi`` and ``c_v`` — topic coherence of each topic's ``top_n`` words (gensim
  ``CoherenceModel``, ``processes=1``, empty documents dropped first: it can hang on them). With
  ``texts`` (token lists in reading order) the standard sliding windows are used (10 tokens for
  c_npmi, 110 for c_v); without them, each document's set of words is one window
  (document co-occurrence), because a bag of words has no order.
- ``exclusivity`` — STM's ``exclusivity()`` (sum of FREX, weight 0.7 on exclusivity, over each
  topic's ``top_n`` most probable words; :func:`nlp.topics.labels.stm_exclusivity`), mean over topics.
- ``stability_cosine`` / ``stability_jaccard`` — agreement between seeds: for every pair of seed
  runs at the same K, topics are matched one-to-one by the Hungarian algorithm
  (``scipy.optimize.linear_sum_assignment``) on the cosine similarity of β rows; reported is the
  mean matched cosine, and the mean Jaccard similarity of the matched topics' ``top_n`` word sets;
  averaged over pairs (NaN with one seed).

Every metric except stability is computed per (K, seed) run, and the table gives the mean over
seeds and its standard error (``*_se``, SD / √n_seeds).

Recommended K (``recommended`` column, ``table.attrs['recommended_k']``), the rule in
``table.attrs['rule']``: among the Ks whose mean held-out log-likelihood is within one standard
error of the best K's (the best mean minus that K's SE), take the one with the highest mean
c_npmi; ties go to the smaller K. Held-out fit guards against too few topics, coherence against
many fine-grained, uninterpretable ones; the final choice remains the researcher's, read with the
topic tables.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from itertools import combinations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from zhengce.common.errors import UserError

from .labels import stm_exclusivity
from .models import check_dictionary, check_restartable, scan_corpus

logger = logging.getLogger(__name__)

RULE = ("among Ks whose mean held-out log-likelihood per token is within one standard error of "
        "the best K's (best mean minus its SE over seeds), the K with the highest mean c_npmi; "
        "ties go to the smaller K")

COLUMNS = ["k", "n_seeds", "heldout_ll", "heldout_ll_se", "heldout_perplexity", "c_npmi",
           "c_npmi_se", "c_v", "c_v_se", "exclusivity", "exclusivity_se", "stability_cosine",
           "stability_jaccard", "fit_seconds", "recommended"]


# ---------------------------------------------------------------------------------------------
# Held-out likelihood
# ---------------------------------------------------------------------------------------------


def split_documents(corpus, rng: np.random.Generator) -> tuple[list, list, int]:
    """Document completion split: for each document, (observed half, evaluated half) as BoW.

    Tokens are expanded, shuffled with ``rng`` and cut in two (the observed half gets the
    extra token of an odd length). Returns the two BoW lists and the number of documents with at
    least two tokens (the only ones that can be scored)."""
    observed, evaluated = [], []
    n_scored = 0
    for doc in corpus:
        tokens = np.repeat(np.fromiter((int(i) for i, _ in doc), dtype=np.int64, count=len(doc)),
                           np.fromiter((int(round(c)) for _, c in doc), dtype=np.int64, count=len(doc)))
        rng.shuffle(tokens)
        half = (len(tokens) + 1) // 2
        first, second = tokens[:half], tokens[half:]
        if len(second) > 0:
            n_scored += 1
        observed.append(_bow(first))
        evaluated.append(_bow(second))
    return observed, evaluated, n_scored


def _bow(tokens: np.ndarray) -> list[tuple[int, int]]:
    ids, counts = np.unique(tokens, return_counts=True)
    return [(int(i), int(c)) for i, c in zip(ids, counts)]


def heldout_log_likelihood(model, corpus, covariates=None, *, random_state: int = 0,
                           split=None) -> float:
    """Document-completion log-likelihood per evaluated token (natural log) of a fitted model.

    ``split`` (from :func:`split_documents`) reuses one split across models, so differences
    between Ks are not split noise."""
    if split is None:
        split = split_documents(corpus, np.random.default_rng(random_state))
    observed, evaluated, n_scored = split
    if n_scored == 0:
        raise UserError("no held-out document has two or more tokens: raise holdout_fraction "
                        "or check tokenisation")
    theta = model.transform(observed, covariates)
    phi = model.topic_word_
    total, n_tokens = 0.0, 0
    for d, doc in enumerate(evaluated):
        if not doc:
            continue
        ids = np.fromiter((i for i, _ in doc), dtype=np.int64, count=len(doc))
        cts = np.fromiter((c for _, c in doc), dtype=np.float64, count=len(doc))
        p = theta[d] @ phi[:, ids]
        total += float(cts @ np.log(p))
        n_tokens += int(cts.sum())
    return total / n_tokens


# ---------------------------------------------------------------------------------------------
# Coherence, stability
# ---------------------------------------------------------------------------------------------


def coherence_per_topic(topics: Sequence[Sequence[str]], dictionary, *, texts=None, corpus=None,
                        measure: str = "c_npmi", top_n: int = 10) -> np.ndarray:
    """gensim ``CoherenceModel`` scores for each word list in ``topics`` (``processes=1``).

    Reference documents: ``texts`` (token lists, standard sliding windows) or, if absent, the
    word sets of ``corpus`` documents with one window per document. Empty documents are dropped
    first (``CoherenceModel`` can hang on them)."""
    from gensim.models.coherencemodel import CoherenceModel

    kwargs = {}
    if texts is not None:
        reference = [list(t) for t in texts if len(t) > 0]
    elif corpus is not None:
        reference = [[dictionary[i] for i, _ in doc] for doc in corpus if len(doc) > 0]
        # one window per document: a bag of words has no order to slide over
        kwargs["window_size"] = max(len(doc) for doc in reference) if reference else 1
    else:
        raise UserError("coherence needs texts (token lists) or a BoW corpus")
    if not reference:
        raise UserError("every reference document is empty: coherence cannot be computed")
    model = CoherenceModel(topics=[list(t) for t in topics], texts=reference, dictionary=dictionary,
                           coherence=measure, topn=top_n, processes=1, **kwargs)
    return np.asarray(model.get_coherence_per_topic(), dtype=np.float64)


def match_topics(phi_a: np.ndarray, phi_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hungarian one-to-one matching of two K × V topic-word matrices by cosine similarity.
    Returns (index in b matched to each topic of a, cosine of each matched pair)."""
    a = phi_a / np.linalg.norm(phi_a, axis=1, keepdims=True)
    b = phi_b / np.linalg.norm(phi_b, axis=1, keepdims=True)
    sim = a @ b.T
    rows, cols = linear_sum_assignment(-sim)
    order = np.argsort(rows)
    return cols[order], sim[rows[order], cols[order]]


def topic_stability(topic_words: Sequence[np.ndarray], top_n: int = 10) -> tuple[float, float]:
    """Mean matched cosine and mean matched top-``top_n`` Jaccard over all pairs of runs."""
    if len(topic_words) < 2:
        return float("nan"), float("nan")
    cosines, jaccards = [], []
    for phi_a, phi_b in combinations(topic_words, 2):
        match, cos = match_topics(phi_a, phi_b)
        top_a = np.argsort(-phi_a, axis=1, kind="stable")[:, :top_n]
        top_b = np.argsort(-phi_b, axis=1, kind="stable")[:, :top_n]
        jac = [len(set(top_a[k]) & set(top_b[match[k]])) / len(set(top_a[k]) | set(top_b[match[k]]))
               for k in range(len(match))]
        cosines.append(float(np.mean(cos)))
        jaccards.append(float(np.mean(jac)))
    return float(np.mean(cosines)), float(np.mean(jaccards))


# ---------------------------------------------------------------------------------------------
# The search
# ---------------------------------------------------------------------------------------------


def _mean_se(values: Sequence[float]) -> tuple[float, float]:
    arr = np.asarray(values, dtype=np.float64)
    if len(arr) < 2:
        return float(arr.mean()), 0.0
    return float(arr.mean()), float(arr.std(ddof=1) / np.sqrt(len(arr)))


def recommend_k(table: pd.DataFrame) -> int:
    """Apply :data:`RULE` to a table with k, heldout_ll, heldout_ll_se and c_npmi columns."""
    best = table.loc[table["heldout_ll"].idxmax()]
    floor = best["heldout_ll"] - best["heldout_ll_se"]
    eligible = table[table["heldout_ll"] >= floor]
    top = eligible["c_npmi"].max()
    return int(eligible.loc[eligible["c_npmi"] == top, "k"].min())


def search_k(corpus, dictionary, ks: Sequence[int], model_factory: Callable[[int, int], object],
             *, n_seeds: int = 3, holdout_fraction: float = 0.1, random_state: int = 0,
             covariates: pd.DataFrame | None = None, texts=None, top_n: int = 10,
             progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Fit ``model_factory(k, seed)`` (an unfitted model from :mod:`nlp.topics.models`) for every K in
    ``ks`` and ``n_seeds`` seeds, and report held-out fit, coherence, exclusivity and stability.

    ``random_state`` fixes the held-out split, the completion split and the seeds passed to the
    factory (drawn once, the same for every K). ``covariates`` (aligned with ``corpus``) are split
    with it and passed to ``fit``/``transform`` (DMR). ``texts`` (token lists aligned with
    ``corpus``) enable windowed coherence. Returns one row per K (columns :data:`COLUMNS`);
    ``attrs`` holds ``recommended_k``, ``rule``, ``runs`` (one row per K and seed) and split sizes.
    The rule is in the module docstring. ``progress`` receives one line after each fit.
    """
    n_terms = check_dictionary(dictionary)
    n_docs = check_restartable(corpus)
    ks = [int(k) for k in ks]
    _check_search_args(ks, n_seeds, holdout_fraction, covariates, texts, n_docs)
    scan_corpus(corpus, n_terms)
    docs = list(corpus)
    rng = np.random.default_rng(random_state)
    train, held = _holdout_split(rng, n_docs, holdout_fraction)
    train_docs = [docs[i] for i in train]
    held_docs = [docs[i] for i in held]
    cov_train = covariates.iloc[train].reset_index(drop=True) if covariates is not None else None
    cov_held = covariates.iloc[held].reset_index(drop=True) if covariates is not None else None
    split = split_documents(held_docs, rng)
    if split[2] == 0:
        raise UserError("no held-out document has two or more tokens: raise holdout_fraction")
    seeds = [int(s) for s in rng.integers(0, 2**31 - 1, size=int(n_seeds))]
    reference_texts = [list(t) for t in texts] if texts is not None else None

    runs = []
    topic_lists: list[list[str]] = []
    betas: dict[int, list[np.ndarray]] = {}
    for k in ks:
        for seed in seeds:
            model = model_factory(k, seed)
            started = time.perf_counter()
            model.fit(train_docs, dictionary, cov_train)
            seconds = time.perf_counter() - started
            fitted_k = model.topic_word_.shape[0]
            ll = heldout_log_likelihood(model, held_docs, cov_held, split=split)
            words = model.top_words(top_n)
            runs.append({"k": k, "seed": seed, "n_topics": fitted_k, "heldout_ll": ll,
                         "exclusivity": float(np.mean(stm_exclusivity(model.topic_word_, top_n))),
                         "fit_seconds": seconds, "topic_slice": (len(topic_lists),
                                                                 len(topic_lists) + fitted_k)})
            topic_lists.extend(words)
            betas.setdefault(k, []).append(model.topic_word_)
            logger.info("search_k: K=%d seed=%d held-out ll %.4f (%.1fs)", k, seed, ll, seconds)
            if progress is not None:
                progress(f"search-k: fit {len(runs)}/{len(ks) * len(seeds)} (K={k}, seed {seed}): "
                         f"held-out ll per word {ll:.4f}, {seconds:.1f} s")
    _add_coherence(runs, topic_lists, dictionary, reference_texts, docs, top_n)
    runs_frame = pd.DataFrame([{key: v for key, v in r.items() if key != "topic_slice"} for r in runs])
    rows = [_k_row(k, runs_frame[runs_frame["k"] == k], betas[k], top_n) for k in ks]
    table = pd.DataFrame(rows, columns=COLUMNS)
    best_k = recommend_k(table)
    table["recommended"] = table["k"] == best_k
    table.attrs.update({"recommended_k": best_k, "rule": RULE, "runs": runs_frame,
                        "seeds": seeds, "n_train": len(train), "n_heldout": len(held),
                        "n_heldout_scored": split[2],
                        "coherence_windows": "sliding (texts)" if texts is not None
                        else "one window per document (bag of words)"})
    return table


def _check_search_args(ks: list[int], n_seeds, holdout_fraction, covariates, texts,
                       n_docs: int) -> None:
    if not ks or any(k < 1 for k in ks) or len(set(ks)) != len(ks):
        raise UserError(f"ks must be distinct positive integers (got {ks})")
    if not isinstance(n_seeds, (int, np.integer)) or n_seeds < 1:
        raise UserError(f"n_seeds must be a positive integer (got {n_seeds!r})")
    if not 0 < float(holdout_fraction) < 1:
        raise UserError(f"holdout_fraction must be between 0 and 1 (got {holdout_fraction!r})")
    if covariates is not None and len(covariates) != n_docs:
        raise UserError(f"covariates has {len(covariates)} rows but the corpus has {n_docs} "
                        "documents: align them")
    if texts is not None and check_restartable(texts, "texts") != n_docs:
        raise UserError(f"texts has {len(texts)} documents but the corpus has {n_docs}: align them")


def _holdout_split(rng, n_docs: int, holdout_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """(training, held-out) document positions, each sorted."""
    order = rng.permutation(n_docs)
    n_holdout = max(1, int(round(float(holdout_fraction) * n_docs)))
    if n_holdout >= n_docs:
        raise UserError(f"holdout_fraction {holdout_fraction} leaves no training documents "
                        f"out of {n_docs}: lower it")
    return np.sort(order[n_holdout:]), np.sort(order[:n_holdout])


def _add_coherence(runs: list[dict], topic_lists, dictionary, reference_texts, docs,
                   top_n: int) -> None:
    """c_npmi and c_v of every run. One CoherenceModel per measure over every run's topics: the
    reference statistics are accumulated once instead of once per run."""
    for measure in ("c_npmi", "c_v"):
        scores = coherence_per_topic(topic_lists, dictionary, texts=reference_texts,
                                     corpus=docs if reference_texts is None else None,
                                     measure=measure, top_n=top_n)
        for run in runs:
            lo, hi = run["topic_slice"]
            run[measure] = float(np.nanmean(scores[lo:hi]))


def _k_row(k: int, sub: pd.DataFrame, betas: list[np.ndarray], top_n: int) -> dict:
    """One row of the table: the runs of one K summarised (mean and standard error)."""
    ll, ll_se = _mean_se(sub["heldout_ll"])
    npmi, npmi_se = _mean_se(sub["c_npmi"])
    cv, cv_se = _mean_se(sub["c_v"])
    ex, ex_se = _mean_se(sub["exclusivity"])
    stab_cos, stab_jac = topic_stability(betas, top_n)
    return {"k": k, "n_seeds": len(sub), "heldout_ll": ll, "heldout_ll_se": ll_se,
            "heldout_perplexity": float(np.exp(-ll)), "c_npmi": npmi, "c_npmi_se": npmi_se,
            "c_v": cv, "c_v_se": cv_se, "exclusivity": ex, "exclusivity_se": ex_se,
            "stability_cosine": stab_cos, "stability_jaccard": stab_jac,
            "fit_seconds": float(sub["fit_seconds"].mean()), "recommended": False}
