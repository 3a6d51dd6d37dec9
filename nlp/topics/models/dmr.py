"""Dirichlet-multinomial regression (tomotopy DMR / GDMR), optionally seeded."""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Callable

import numpy as np

from zhengce.common.errors import UserError

from zhengce.common.parallel import resolve_jobs

from .base import BaseTopicModel
from .dmr_covariates import encode_covariates
from .dmr_inference import fit_progress, infer_into
from .seeds import _report_seeds, build_seed_layout
from .validation import TopicModelWarning, check_restartable, normalize_rows, scan_corpus




class SeededDmrModel(BaseTopicModel):
    """Dirichlet-multinomial regression topic model (tomotopy ``DMRModel``; ``GDMRModel`` when
    ``numeric_columns`` are given), optionally seeded.

    Document covariates x_d enter the prior on θ_d: α_dk = exp(λ_k · x_d) + ε, so differences in
    topic prevalence between covariate cells (e.g. central vs local, before vs after WTO entry) are
    estimated inside the model, with uncertainty handled by the model rather than by averaging
    θ after the fact (the STM/keyATM approach; Mimno & McCallum 2008).

    Covariates (a DataFrame aligned with the corpus):

    - ``cell_columns`` (default ``('level', 'period')``): their values are combined into one
      categorical cell per document ("level=central|period=post"); each cell gets its own λ
      intercept vector (a full interaction, like STM's ``~ level * period``).
    - ``feature_columns``: extra categorical features added to x_d as indicator variables
      (tomotopy ``multi_metadata``); a list-valued entry (e.g. several sectors) sets several.
    - ``numeric_columns`` (e.g. ``('year',)``): continuous covariates, modelled by Legendre
      polynomials of degree ``degrees`` (tomotopy ``GDMRModel``).

    Seeds (optional, as in :class:`SeededLdaModel`): with ``seed_words`` the first
    C · ``topics_per_category`` topics are seeded through tomotopy word priors
    (``set_word_prior``): η_kv = ``seed_weight`` on the category's topics, ``other_topic_seed_eta``
    (if set) on the others; every other word has η = ``base_eta``. Without seeds, K =
    ``n_free_topics``.

    Determinism: with ``train_n_jobs=1`` (sampler threads) and a fixed ``random_state``
    tomotopy's Gibbs sampler gives identical ``doc_topic_`` and ``topic_word_`` (tested with
    ``np.array_equal``); with more threads tomotopy itself warns the result may differ, and ``manifest_info`` records
    ``deterministic: False``. ``transform`` (tomotopy ``infer``) returns the same output for the
    same input and model.

    Attributes
    ----------
    model_ : tomotopy DMRModel / GDMRModel
    topic_word_ : (K, V) β_k — (n_kv + η_kv) / Σ_v (n_kv + η_kv) over the dictionary (words of the
        dictionary absent from the training corpus keep their prior pseudo-count η_kv).
    doc_topic_ : (D, K) θ_d from the final Gibbs state, (n_dk + α_dk) / (n_d + Σ α_dk); empty
        documents get the prior mean for their covariates.
    lambda_ : ndarray (K, n_cells, 1 + n_features) for DMR — λ: entry [k, c, 0] is the log prior
        weight of topic k in cell c, entry [k, c, 1 + j] the effect of feature j in that cell
        (tomotopy ``lambda_``). For GDMR the last axis holds Legendre-polynomial coefficients.
    covariate_cells_ : list of cell names, the order of ``lambda_``'s second axis.
    covariate_features_ : list of feature names ("sector=C26"), the order of its third axis.
    numeric_range_ : list of (min, max) of each numeric covariate in the training data (GDMR).
    per_word_bound_ : tomotopy ``ll_per_word`` of the final Gibbs state (``bound_kind_`` says so).
    n_iter_ : Gibbs iterations run.
    ll_trace_ : [(sweep, ll_per_word)] read every ``check_every`` sweeps (with ``tol``), else the
        final state only; ``converged_`` True when ``tol`` stopped sampling early, False when it
        ran all ``iterations``, None without ``tol``.
    n_train_docs_, n_inferred_docs_ : documents the sampler trained on, and documents whose θ_d
        was inferred afterwards (``max_train_docs``).
    infer_worker_peaks_ : peak memory of each inference worker process of the last fit or
        transform (``infer_batch`` > 1 with ``n_jobs`` > 1), empty otherwise.

    Large corpora: ``max_train_docs`` trains on a random sample of that many documents,
    stratified by covariate cell (``random_state``), and infers θ_d of the others with the fitted
    model (tomotopy ``infer``, ``infer_iterations`` sweeps on ``n_jobs`` threads or
    processes; the result is the same on any number of them — tested). λ and β are then estimated
    from the sample; θ of every document is on the same scale.

    ``infer_batch``: with 1 (the default) each document is inferred on its own, so its θ depends
    on nothing else. tomotopy then copies the whole sampler state (K × V topic-word counts) for
    every document, whatever the number of sweeps. With ``infer_batch`` = B > 1, runs of B
    consecutive documents are sampled jointly (tomotopy ``together=True``): the state is copied
    once per run, and the run's own tokens join the topic-word counts while it is sampled (100
    documents are ~2 % of 6,000 training documents' tokens). Joint runs are about three times
    faster, and the run changes θ as much as the sampler's own noise does, no more (measured by
    tests/bench/bench_dmr_infer.py; figures in docs/scaling.md). Runs are fixed by corpus order, so the same corpus gives the same θ; they are
    independent of each other, so worker processes (forked, ``n_jobs``) do not change θ.

    ``tol`` stops sampling once the per-word log-likelihood changes by less than
    ``tol`` (relative) over ``check_every`` sweeps — the Gibbs analogue of STM's ``emtol``; the
    trace is kept in ``ll_trace_`` and the manifest.
    """

    _RENAMED_PARAMS = {"workers": "train_n_jobs", "infer_workers": "n_jobs"}

    def __init__(self, seed_words: Mapping[str, Sequence[str]] | None = None,
                 n_free_topics: int = 10, *, topics_per_category: int = 1,
                 seed_weight: float = 5.0, base_eta: float = 0.01,
                 other_topic_seed_eta: float | None = None,
                 cell_columns: Sequence[str] = ("level", "period"),
                 feature_columns: Sequence[str] = (), numeric_columns: Sequence[str] = (),
                 degrees: int | Sequence[int] = 3, alpha: float = 0.1, sigma: float = 1.0,
                 sigma0: float = 3.0, alpha_epsilon: float = 1e-10, iterations: int = 1000,
                 burn_in: int = 0, optim_interval: int = 10, infer_iterations: int = 100,
                 train_n_jobs: int = 1, max_train_docs: int | None = None,
                 tol: float | None = None, check_every: int = 25, n_jobs: int | None = 1,
                 infer_batch: int = 1,
                 random_state: int = 0):
        self.seed_words = seed_words
        self.n_free_topics = n_free_topics
        self.topics_per_category = topics_per_category
        self.seed_weight = seed_weight
        self.base_eta = base_eta
        self.other_topic_seed_eta = other_topic_seed_eta
        self.cell_columns = cell_columns
        self.feature_columns = feature_columns
        self.numeric_columns = numeric_columns
        self.degrees = degrees
        self.alpha = alpha
        self.sigma = sigma
        self.sigma0 = sigma0
        self.alpha_epsilon = alpha_epsilon
        self.iterations = iterations
        self.burn_in = burn_in
        self.optim_interval = optim_interval
        self.infer_iterations = infer_iterations
        self.train_n_jobs = train_n_jobs
        self.max_train_docs = max_train_docs
        self.tol = tol
        self.check_every = check_every
        self.n_jobs = n_jobs
        self.infer_batch = infer_batch
        self.random_state = random_state

    # -- validation ----------------------------------------------------------------------------
    def _check_params(self) -> None:
        for name in ("iterations", "infer_iterations", "optim_interval", "train_n_jobs", "check_every"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise UserError(f"{name} must be a positive integer (got {value!r})")
        if not isinstance(self.burn_in, (int, np.integer)) or self.burn_in < 0:
            raise UserError(f"burn_in must be an integer >= 0 (got {self.burn_in!r})")
        if self.max_train_docs is not None and (
                not isinstance(self.max_train_docs, (int, np.integer)) or self.max_train_docs < 1):
            raise UserError(f"max_train_docs must be None (all documents) or a positive integer "
                            f"(got {self.max_train_docs!r})")
        if self.tol is not None and not (isinstance(self.tol, (int, float, np.number))
                                         and 0 < self.tol < 1):
            raise UserError(f"tol must be None (run every iteration) or a number in (0, 1), e.g. "
                            f"1e-3 (got {self.tol!r})")
        if not isinstance(self.infer_batch, (int, np.integer)) or self.infer_batch < 1:
            raise UserError(f"infer_batch must be a positive integer (1: each document inferred "
                            f"on its own) (got {self.infer_batch!r})")
        if self.n_jobs is not None and (
                not isinstance(self.n_jobs, (int, np.integer)) or self.n_jobs < 1):
            raise UserError(f"n_jobs must be None (all cores) or a positive integer "
                            f"(got {self.n_jobs!r})")
        if not isinstance(self.random_state, (int, np.integer)) or isinstance(self.random_state, bool) \
                or self.random_state < 0:
            raise UserError(f"random_state must be a non-negative integer seed "
                            f"(got {self.random_state!r})")
        for name in ("alpha", "sigma", "sigma0", "alpha_epsilon", "base_eta", "seed_weight"):
            value = getattr(self, name)
            if not isinstance(value, (int, float, np.number)) or not value > 0:
                raise UserError(f"{name} must be a positive number (got {value!r})")
        if self.other_topic_seed_eta is not None and not (
                isinstance(self.other_topic_seed_eta, (int, float, np.number))
                and self.other_topic_seed_eta > 0):
            raise UserError(f"other_topic_seed_eta must be None or a positive number "
                            f"(got {self.other_topic_seed_eta!r})")
        for name in ("cell_columns", "feature_columns", "numeric_columns"):
            cols = getattr(self, name)
            if isinstance(cols, str):
                raise UserError(f"{name} must be a list of column names, not the string "
                                f"{cols!r}: write {name}=[{cols!r}]")
            if not all(isinstance(c, str) for c in cols):
                raise UserError(f"{name} must be a list of column names (got {cols!r})")
        all_cols = [*self.cell_columns, *self.feature_columns, *self.numeric_columns]
        if len(set(all_cols)) != len(all_cols):
            raise UserError(f"a covariate column is listed twice across cell_columns, "
                            f"feature_columns and numeric_columns: {all_cols}")

    def _degrees(self) -> list[int]:
        n = len(self.numeric_columns)
        degrees = [self.degrees] * n if isinstance(self.degrees, (int, np.integer)) else list(self.degrees)
        if len(degrees) != n or not all(isinstance(d, (int, np.integer)) and d >= 0 for d in degrees):
            raise UserError(f"degrees must be one integer >= 0 or one per numeric column "
                            f"({n}: {list(self.numeric_columns)}); got {self.degrees!r}")
        return [int(d) for d in degrees]

    @property
    def _uses_covariates(self) -> bool:
        return bool(self.cell_columns or self.feature_columns or self.numeric_columns)

    # -- covariate encoding --------------------------------------------------------------------
    def _encode_covariates(self, covariates, n_docs: int, what: str = "covariates"):
        """Per document: (cell string, feature list, numeric list)."""
        return encode_covariates(self, covariates, n_docs, what)

    # -- fit -----------------------------------------------------------------------------------
    def _make_tomotopy(self, n_topics: int):
        import tomotopy as tp

        if self.numeric_columns:
            # metadata_range is left to tomotopy (taken from the data): passing it segfaults
            # tomotopy 0.14.0's GDMRModel constructor.
            return tp.GDMRModel(k=n_topics, degrees=self._degrees(), alpha=float(self.alpha),
                                eta=float(self.base_eta), sigma=float(self.sigma),
                                sigma0=float(self.sigma0), alpha_epsilon=float(self.alpha_epsilon),
                                seed=int(self.random_state))
        return tp.DMRModel(k=n_topics, alpha=float(self.alpha), eta=float(self.base_eta),
                           sigma=float(self.sigma), alpha_epsilon=float(self.alpha_epsilon),
                           seed=int(self.random_state))

    @staticmethod
    def _words(doc, vocabulary: list[str]) -> list[str]:
        words: list[str] = []
        for word_id, count in doc:
            n = int(round(count))
            if n != count:
                raise UserError(f"count {count} is not a whole number: tomotopy samples one topic "
                                "per token, so pass raw term counts (not tf-idf)")
            words.extend([vocabulary[word_id]] * n)
        return words

    def fit(self, corpus, dictionary, covariates=None, *,
            progress: Callable[[str], None] | None = None,
            infer_held_out: bool = True) -> "SeededDmrModel":
        """Fit on a restartable BoW corpus with its covariates (DataFrame aligned with it).

        ``progress``: called with a line of text every few seconds while the sampler trains
        (sweeps, rate, time left — ``tol`` may stop it sooner — and the per-word
        log-likelihood) and while held-out documents are inferred, and with a one-line summary
        at the end. It does not change the result: sweeps in blocks give exactly the state of one
        call (tested).

        ``infer_held_out=False`` (the shard path, :mod:`zhengce.nlp.shard_dmr`): documents left
        out of training are not kept in memory nor inferred here; their rows of ``doc_topic_``
        hold the prior mean for their covariates until their θ is inferred in the same joint
        runs (:func:`held_out_documents`, ``infer_batch``) shard by shard. ``trained_rows_``
        says which rows come from the sampler."""
        started = time.perf_counter()
        self._check_params()
        n_terms = self._start_fit(dictionary)
        if self.numeric_columns:
            self._degrees()
        layout, n_topics = self._seed_layout(dictionary)
        n_declared = check_restartable(corpus)
        cells, features, numerics = self._encode_covariates(covariates, n_declared)
        vocabulary = [dictionary[i] for i in range(n_terms)]
        model = self._make_tomotopy(n_topics)
        self._set_priors(model, layout, dictionary, n_topics, n_terms)
        # drawn by covariate cell before reading the corpus, so it is read once (a drawn empty
        # document is simply not added)
        reader = _CorpusReader(self, model, vocabulary, self._training_sample(
            cells, np.ones(n_declared)), (cells, features, numerics),
            keep_held_out=infer_held_out)
        stats = scan_corpus(corpus, n_terms, on_doc=reader.take)
        if self.burn_in:
            model.burn_in = int(self.burn_in)
        model.optim_interval = int(self.optim_interval)
        self._train_collecting_warnings(model, progress)
        self.model_ = model
        self._read_model(dictionary.token2id, n_terms)
        theta = reader.trained_theta(stats.n_docs, n_topics)
        self.infer_worker_peaks_ = []
        inferred = self._infer_held_out(reader.held_out, vocabulary, cells, features, numerics,
                                        theta, progress)
        for d in np.flatnonzero(reader.doc_index < 0):
            if d not in inferred:
                theta[d] = self._prior_mean(cells[d], features[d], numerics[d])
        self.doc_topic_ = normalize_rows(theta, "doc_topic_")
        self.trained_rows_ = reader.doc_index >= 0
        self.n_train_docs_ = int(reader.n_added)
        self.n_inferred_docs_ = len(inferred)
        self.n_iter_ = int(model.global_step)
        self.per_word_bound_ = float(model.ll_per_word)
        self.bound_kind_ = "gibbs_log_likelihood_per_word"
        self._set_seed_attributes(layout)
        self._finish_fit(stats, dictionary, started)
        if progress is not None:
            stop = {True: "converged", False: "did not converge", None: "no tol"}[self.converged_]
            progress(f"DMR fit: {self.n_iter_:,} sweeps on {self.n_train_docs_:,} documents "
                     f"({stop}, log-likelihood per word {self.per_word_bound_:.4f}), "
                     f"{self.n_inferred_docs_:,} documents inferred, "
                     f"{time.perf_counter() - started:,.0f} s")
        return self

    def _seed_layout(self, dictionary):
        """(seed layout or None, K): seeded topics plus free ones, or ``n_free_topics`` alone."""
        if self.seed_words is not None:
            layout = build_seed_layout(self.seed_words, dictionary.token2id,
                                       self.topics_per_category, self.n_free_topics)
            _report_seeds(self, layout)
            return layout, layout.n_topics
        if not isinstance(self.n_free_topics, (int, np.integer)) or self.n_free_topics < 1:
            raise UserError(f"without seed_words, n_free_topics is K and must be >= 1 "
                            f"(got {self.n_free_topics!r})")
        return None, int(self.n_free_topics)

    def _set_priors(self, model, layout, dictionary, n_topics: int, n_terms: int) -> None:
        """η (``eta_``), and the seed words' priors on the tomotopy sampler."""
        if layout is None:
            self.eta_ = np.full((n_topics, n_terms), float(self.base_eta))
            return
        self.eta_ = layout.prior_matrix(dictionary.token2id, n_terms, self.base_eta,
                                        self.seed_weight, self.other_topic_seed_eta)
        seeded_ids = sorted({dictionary.token2id[w] for ws in layout.seeds_in_vocab.values()
                             for w in ws})
        for word_id in seeded_ids:
            model.set_word_prior(dictionary[word_id], self.eta_[:, word_id].tolist())

    def _train_collecting_warnings(self, model, progress) -> None:
        """:meth:`_train`, with tomotopy's warnings kept in ``fit_warnings_``."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self._train(model, progress)
        for w in caught:
            if issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning)):
                # library housekeeping, not about this fit: pass it on unchanged
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
                continue
            msg = f"tomotopy: {w.message}"
            self.fit_warnings_.append(msg)
            warnings.warn(msg, TopicModelWarning, stacklevel=3)

    def _set_seed_attributes(self, layout) -> None:
        if layout is not None:
            self.topic_labels_ = layout.topic_labels()
            self.seed_words_ = layout.seeds_in_vocab
            self.missing_seeds_ = layout.missing
            self.shared_seeds_ = layout.shared
        else:
            self.topic_labels_ = None
            self.seed_words_ = {}
            self.missing_seeds_ = {}
            self.shared_seeds_ = {}

    def _doc_kwargs(self, d: int, cells, features, numerics) -> dict:
        kwargs = {"metadata": cells[d], "multi_metadata": features[d]}
        if self.numeric_columns:
            kwargs["numeric_metadata"] = numerics[d]
        return kwargs

    def _training_sample(self, cells, doc_lengths) -> np.ndarray:
        """Which documents the sampler trains on: all, or ``max_train_docs`` of them drawn with
        ``random_state``, stratified by covariate cell (each cell keeps its share of the corpus and
        at least min(its size, 20) documents, so λ is estimated for every cell and every held-out
        document's cell was seen in training). Empty documents are never drawn."""
        usable = np.asarray(doc_lengths) > 0
        mask = usable.copy()
        budget = self.max_train_docs
        if budget is None or int(usable.sum()) <= budget:
            return mask
        rng = np.random.default_rng(self.random_state)
        cell_of = np.asarray([str(c) for c in cells], dtype=object)
        names = sorted(set(cell_of[usable]))
        members = {c: np.flatnonzero(usable & (cell_of == c)) for c in names}
        total = int(usable.sum())
        mask[:] = False
        for c in names:
            pool = members[c]
            take = max(min(len(pool), 20), int(round(budget * len(pool) / total)))
            take = min(take, len(pool))
            mask[rng.choice(pool, size=take, replace=False)] = True
        return mask

    def _train(self, model, progress: Callable[[str], None] | None = None) -> None:
        """``iterations`` Gibbs sweeps, or fewer with ``tol``: every ``check_every`` sweeps the
        per-word log-likelihood is read and sampling stops once it changed by less than ``tol``
        (relative) over the last block. Sweeping in blocks gives exactly the state of one
        ``train`` call of the same length (tomotopy keeps its generator in the model)."""
        self.ll_trace_: list[tuple[int, float]] = []
        self.converged_ = None
        total = int(self.iterations)
        threads = int(self.train_n_jobs)
        with fit_progress(progress, "DMR sampler", "sweep", total) as meter:
            if self.tol is None:
                if progress is None:
                    model.train(total, workers=threads)
                else:   # in blocks only to report: the same final state
                    while model.global_step < total:
                        model.train(min(int(self.check_every), total - int(model.global_step)),
                                    workers=threads)
                        meter.set_done(int(model.global_step), **{
                            "log-likelihood per word": f"{float(model.ll_per_word):.4f}"})
                self.ll_trace_.append((int(model.global_step), float(model.ll_per_word)))
                return
            previous = None
            self.converged_ = False
            while model.global_step < total:
                step = min(int(self.check_every), total - int(model.global_step))
                model.train(step, workers=threads)
                ll = float(model.ll_per_word)
                self.ll_trace_.append((int(model.global_step), ll))
                meter.set_done(int(model.global_step), **{
                    "log-likelihood per word": f"{ll:.4f}", "tol": f"{self.tol:g} (may stop sooner)"})
                if previous is not None and abs(ll - previous) <= float(self.tol) * abs(previous):
                    self.converged_ = True
                    break
                previous = ll

    def _infer_held_out(self, held_out, vocabulary, cells, features, numerics,
                        theta: np.ndarray,
                        progress: Callable[[str], None] | None = None) -> set[int]:
        """θ of the documents left out of training (``held_out``: (d, word ids)), on ``n_jobs``
        threads or processes (None: the cores this process may use)."""
        if not held_out:
            return set()
        items = ((d, [vocabulary[i] for i in ids.tolist()]) for d, ids in held_out)
        with fit_progress(progress, "DMR inference", "document", len(held_out)) as meter:
            return infer_into(self, theta, items, cells, features, numerics,
                              resolve_jobs(self.n_jobs), progress=meter)

    def _read_model(self, token2id: Mapping[str, int], n_terms: int) -> None:
        """β over the full dictionary, λ and the covariate levels from the tomotopy model."""
        model = self.model_
        n_topics = model.k
        used = list(model.used_vocabs)
        ids = np.fromiter((token2id[w] for w in used), dtype=np.int64, count=len(used))
        raw = self.eta_.copy()  # prior pseudo-counts for words the model never saw
        for k in range(n_topics):
            raw[k, ids] = np.asarray(model.get_topic_word_dist(k, normalize=False), dtype=np.float64)
        self.topic_word_ = normalize_rows(raw, "topic_word_")
        self.lambda_ = np.asarray(model.lambda_, dtype=np.float64)
        self.covariate_cells_ = list(model.metadata_dict)
        self.covariate_features_ = list(model.multi_metadata_dict)
        self.numeric_range_ = ([list(map(float, r)) for r in model.metadata_range]
                               if self.numeric_columns else [])

    # -- prevalence ----------------------------------------------------------------------------
    def _check_levels(self, cell: str, feats: list[str], what: str) -> None:
        if cell not in self.covariate_cells_:
            raise UserError(f"{what}: covariate cell {cell!r} did not occur in the training data "
                            f"(known: {', '.join(self.covariate_cells_)}): use a known cell or "
                            "refit with documents from it")
        unknown = [f for f in feats if f not in self.covariate_features_]
        if unknown:
            raise UserError(f"{what}: feature(s) {unknown} did not occur in the training data: "
                            "drop them or refit with documents that have them")

    def _prior_mean(self, cell: str, feats: list[str], nums: list[float]) -> np.ndarray:
        """E[θ | x] = α(x) / Σ_k α_k(x) with α_k(x) = exp(λ_k · x) + ε."""
        model = self.model_
        if self.numeric_columns:
            return np.asarray(model.tdf(nums, metadata=cell, multi_metadata=feats, normalize=True),
                              dtype=np.float64)
        alpha = np.asarray(model.get_topic_prior(cell, feats, raw=False), dtype=np.float64)
        alpha = alpha + float(self.alpha_epsilon)
        return alpha / alpha.sum()

    def prevalence(self, covariate_values) -> np.ndarray:
        """Expected topic proportions E[θ | x] for a covariate cell.

        ``covariate_values``: a mapping column → value for every cell, feature and numeric column
        (a feature may be a list or absent/empty), e.g. ``{'level': 'central', 'period': 'post'}``;
        or a DataFrame with those columns, giving one row of K proportions per row (returned as a
        DataFrame with the same index and columns ``topic_0 .. topic_{K-1}``).
        """
        import pandas as pd

        self._check_fitted()
        if isinstance(covariate_values, pd.DataFrame):
            frame = covariate_values.copy()
            for col in self.feature_columns:
                if col not in frame.columns:
                    frame[col] = [[] for _ in range(len(frame))]
            cells, feats, nums = self._encode_covariates(
                frame if self._uses_covariates else None, len(frame), what="covariate_values")
            rows = []
            for cell, f, n in zip(cells, feats, nums):
                self._check_levels(cell, f, "prevalence")
                rows.append(self._prior_mean(cell, f, n))
            return pd.DataFrame(np.vstack(rows) if rows else np.zeros((0, self.n_topics_)),
                                index=frame.index,
                                columns=[f"topic_{k}" for k in range(self.n_topics_)])
        if not isinstance(covariate_values, Mapping):
            raise UserError("covariate_values must be a mapping column -> value or a DataFrame "
                            "(e.g. {'level': 'central', 'period': 'post'})")
        values = dict(covariate_values)
        for col in self.feature_columns:
            values.setdefault(col, [])
        # one row; wrapping each value in a list keeps a list-valued feature inside one cell
        frame = pd.DataFrame({col: [value] for col, value in values.items()})
        return self.prevalence(frame).iloc[0].to_numpy()

    def lambda_frame(self):
        """λ as a long DataFrame: topic, cell, term ('(intercept)' or a feature), value (DMR)."""
        import pandas as pd

        self._check_fitted()
        if self.numeric_columns:
            terms = [f"legendre_{j}" for j in range(self.lambda_.shape[2])]
        else:
            terms = ["(intercept)", *self.covariate_features_]
        rows = [{"topic": k, "cell": cell, "term": terms[j], "value": float(self.lambda_[k, c, j])}
                for k in range(self.lambda_.shape[0])
                for c, cell in enumerate(self.covariate_cells_)
                for j in range(self.lambda_.shape[2])]
        return pd.DataFrame(rows, columns=["topic", "cell", "term", "value"])

    # -- transform -----------------------------------------------------------------------------
    def transform(self, corpus, covariates=None) -> np.ndarray:
        """θ_d for new documents (tomotopy ``infer`` with ``infer_iterations``); their covariate
        cells and features must have occurred in training. Empty documents (or documents with
        only unknown words) get the prior mean for their covariates."""
        self._check_fitted()
        stats = scan_corpus(corpus, len(self.vocabulary_), what="transform corpus")
        cells, features, numerics = self._encode_covariates(covariates, stats.n_docs)
        theta = np.empty((stats.n_docs, self.n_topics_), dtype=np.float64)

        def items():
            for d, doc in enumerate(corpus):
                self._check_levels(cells[d], features[d], f"transform document {d}")
                yield d, self._words(doc, self.vocabulary_)

        self.infer_worker_peaks_ = []
        done = infer_into(self, theta, items(), cells, features, numerics,
                          resolve_jobs(self.n_jobs))
        for d in range(stats.n_docs):
            if d not in done:
                theta[d] = self._prior_mean(cells[d], features[d], numerics[d])
        return normalize_rows(theta, "transform")

    # -- manifest / persistence ----------------------------------------------------------------
    def _library_name(self) -> str:
        return "tomotopy.GDMRModel" if self.numeric_columns else "tomotopy.DMRModel"

    def _determinism(self) -> tuple[bool, str]:
        if int(self.train_n_jobs) == 1:
            return True, ("tomotopy Gibbs sampling with train_n_jobs=1 and a fixed seed gives "
                          "identical results; infer returns the same θ for the same input")
        return False, (f"train_n_jobs={self.train_n_jobs}: tomotopy warns results may differ "
                       "between runs with the same seed; use train_n_jobs=1 for replication")

    def _extra_manifest(self) -> dict[str, Any]:
        out: dict[str, Any] = {"covariates": {"cell_columns": list(self.cell_columns),
                                              "feature_columns": list(self.feature_columns),
                                              "numeric_columns": list(self.numeric_columns)}}
        if hasattr(self, "ll_trace_"):
            out.update({"ll_trace": [list(t) for t in self.ll_trace_],
                        "converged": self.converged_,
                        "n_train_docs": getattr(self, "n_train_docs_", None),
                        "n_inferred_docs": getattr(self, "n_inferred_docs_", None)})
        if hasattr(self, "topic_word_"):
            out.update({"covariate_cells": self.covariate_cells_,
                        "covariate_features": self.covariate_features_,
                        "numeric_range": self.numeric_range_,
                        "topic_labels": self.topic_labels_,
                        "seed_words_in_vocabulary": self.seed_words_,
                        "missing_seeds": self.missing_seeds_, "shared_seeds": self.shared_seeds_})
        return out

    _SAVED_ATTRS = BaseTopicModel._SAVED_ATTRS + (
        "topic_labels_", "seed_words_", "missing_seeds_", "shared_seeds_", "covariate_cells_",
        "covariate_features_", "numeric_range_")
    _SAVED_ARRAYS = BaseTopicModel._SAVED_ARRAYS + ("eta_", "lambda_", "trained_rows_")

    def _attributes_from_json(self, attrs: dict) -> None:
        if attrs.get("topic_labels_") is not None:
            self.topic_labels_ = {int(k): v for k, v in attrs["topic_labels_"].items()}

    def _native_save(self, folder: Path) -> None:
        # DMR: full=False keeps the topic parameters only (enough for infer; θ of the training
        # documents is in arrays.npz). GDMR must be saved in full: loading a GDMRModel saved
        # with full=False segfaults in tomotopy 0.14.0.
        self.model_.save(str(folder / "tomotopy.bin"), full=bool(self.numeric_columns))

    def _native_load(self, folder: Path) -> None:
        import tomotopy as tp

        cls = tp.GDMRModel if self.numeric_columns else tp.DMRModel
        self.model_ = cls.load(str(folder / "tomotopy.bin"))



class _CorpusReader:
    """The one pass over the corpus in :meth:`SeededDmrModel.fit`: training documents go into
    the sampler, held-out ones are kept as word ids for inference after training."""

    def __init__(self, owner: SeededDmrModel, model, vocabulary: list[str],
                 in_training: np.ndarray, covariates: tuple, keep_held_out: bool = True):
        self.owner, self.model, self.vocabulary = owner, model, vocabulary
        self.keep_held_out = keep_held_out
        self.in_training = in_training
        self.cells, self.features, self.numerics = covariates
        self.doc_index = np.full(len(in_training), -1, dtype=np.int64)  # in model.docs or -1
        self.held_out: list[tuple[int, np.ndarray]] = []   # (d, word ids) inferred after training
        self.n_added = 0

    def take(self, d: int, doc, n_tokens: float) -> None:
        if n_tokens == 0:
            return
        if self.in_training[d]:
            self.model.add_doc(self.owner._words(doc, self.vocabulary),
                               **self.owner._doc_kwargs(d, self.cells, self.features,
                                                        self.numerics))
            self.doc_index[d] = self.n_added
            self.n_added += 1
            return
        if not self.keep_held_out:
            return
        ids = np.fromiter((w for w, _ in doc), dtype=np.int32, count=len(doc))
        counts = np.fromiter((c for _, c in doc), dtype=np.float64, count=len(doc))
        if not np.array_equal(counts, np.round(counts)):
            raise UserError(f"document {d}: counts are not whole numbers: tomotopy samples "
                            "one topic per token, so pass raw term counts (not tf-idf)")
        self.held_out.append((d, np.repeat(ids, counts.astype(np.int64))))

    def trained_theta(self, n_docs: int, n_topics: int) -> np.ndarray:
        """θ (D × K) with the rows of the training documents filled from the sampler."""
        theta = np.empty((n_docs, n_topics), dtype=np.float64)
        trained = np.flatnonzero(self.doc_index >= 0)
        if len(trained):
            # iterate, never index: model.docs[i] raises IndexError for i > 0 in tomotopy 0.14.0
            trained_docs = list(self.model.docs)
            theta[trained] = np.array([trained_docs[int(self.doc_index[d])].get_topic_dist()
                                       for d in trained], dtype=np.float64)
        return theta
