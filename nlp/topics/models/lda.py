"""Plain LDA with gensim (``LdaModel``, deterministic; or ``LdaMulticore``)."""

from __future__ import annotations

import logging
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from zhengce.common.errors import UserError

from .base import BaseTopicModel
# the progress lines of every model's fit share one throttle (dmr_inference.PROGRESS_EVERY_S)
from .dmr_inference import fit_progress
from .validation import MIN_PROBABILITY_FLOOR, TopicModelWarning, batched, normalize_rows, scan_corpus

logger = logging.getLogger(__name__)



class _GensimLogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _capture_gensim_warnings() -> Iterator[_GensimLogCapture]:
    """Collect gensim's logged warnings (e.g. "too few updates") so fit can surface them."""
    handler = _GensimLogCapture()
    gensim_logger = logging.getLogger("gensim")
    old_level = gensim_logger.level
    # gensim warns through logging, which an application may have silenced; make sure the
    # records are created while fitting, without changing what the application shows.
    if gensim_logger.getEffectiveLevel() > logging.WARNING:
        gensim_logger.setLevel(logging.WARNING)
    gensim_logger.addHandler(handler)
    try:
        yield handler
    finally:
        gensim_logger.removeHandler(handler)
        gensim_logger.setLevel(old_level)


def _dirichlet_expectation(alpha: np.ndarray) -> np.ndarray:
    from scipy.special import psi

    if alpha.ndim == 1:
        return psi(alpha) - psi(np.sum(alpha))
    return psi(alpha) - psi(np.sum(alpha, axis=1))[:, np.newaxis]


class LdaTopicModel(BaseTopicModel):
    """Latent Dirichlet allocation (Blei, Ng & Jordan 2003) by online variational Bayes (gensim).

    Parameters
    ----------
    n_topics : int
        K, the number of topics.
    passes, iterations : int
        Passes over the corpus, and the per-document E-step iteration cap. Both explicit: gensim's
        defaults (1, 50) warn "too few updates"; that warning is collected in ``fit_warnings_``
        and re-issued as a :class:`TopicModelWarning`.
    alpha : 'symmetric' | 'asymmetric' | 'auto' | float | sequence of K floats
        α, the Dirichlet prior on θ_d ('auto' learns it; not available in ``mode='fast'``).
    eta : None | 'auto' | float | sequence of V floats
        η, the Dirichlet prior on β_k (None: symmetric 1/K).
    random_state : int
        Seed. In ``mode='deterministic'`` the same seed, corpus order and chunksize give
        identical ``topic_word_`` and ``doc_topic_`` (tested with ``np.array_equal``).
    mode : 'deterministic' | 'fast'
        ``LdaModel`` (reproducible) or ``LdaMulticore`` (parallel E-step; NOT reproducible even
        with ``random_state`` — recorded in :meth:`manifest_info`).
    chunksize : int
        Documents per online update (also the batch size of ``transform``).
    n_jobs : int | None
        Worker processes for ``mode='fast'`` (None: CPUs - 1). Ignored in deterministic mode.
    eval_every : int | None
        Log perplexity every that many updates (None: never; it costs a pass each time).
    minimum_probability : float
        Passed to gensim for its own ``model_[bow]`` calls, floored at 1e-8 as gensim does.
        ``doc_topic_`` and ``transform`` do not use it: they normalize the full variational γ_d, so
        no topic is ever dropped (gensim's ``get_document_topics`` drops topics below the
        threshold, and rows then do not sum to 1).

    Attributes
    ----------
    model_ : gensim LdaModel or LdaMulticore
    topic_word_ : ndarray (K, V) — β_k, λ_k normalized (gensim ``get_topics``), float64.
    doc_topic_ : ndarray (D, K) — θ_d = γ_d / Σ_k γ_dk from a final E-step with the fitted β.
    per_word_bound_ : float — the variational lower bound on log p(corpus) divided by the number
        of tokens (natural log; gensim's ``log_perplexity`` on the training corpus).
    n_iter_ : int — passes made.
    """

    _RENAMED_PARAMS = {"workers": "n_jobs"}

    def __init__(self, n_topics: int = 20, *, passes: int = 10, iterations: int = 100,
                 alpha="symmetric", eta=None, random_state: int = 0,
                 mode: str = "deterministic", chunksize: int = 2000, n_jobs: int | None = None,
                 eval_every: int | None = None, minimum_probability: float = 1e-8):
        self.n_topics = n_topics
        self.passes = passes
        self.iterations = iterations
        self.alpha = alpha
        self.eta = eta
        self.random_state = random_state
        self.mode = mode
        self.chunksize = chunksize
        self.n_jobs = n_jobs
        self.eval_every = eval_every
        self.minimum_probability = minimum_probability

    # -- validation ----------------------------------------------------------------------------
    def _check_common_params(self) -> None:
        for name in ("passes", "iterations", "chunksize"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise UserError(f"{name} must be a positive integer (got {value!r})")
        if self.mode not in ("deterministic", "fast"):
            raise UserError(f"mode must be 'deterministic' (gensim LdaModel, reproducible) or "
                            f"'fast' (LdaMulticore, not reproducible); got {self.mode!r}")
        if not isinstance(self.random_state, (int, np.integer)) or isinstance(self.random_state, bool):
            raise UserError(f"random_state must be an integer seed (got {self.random_state!r}): "
                            "results must be reproducible")
        if self.mode == "fast" and isinstance(self.alpha, str) and self.alpha == "auto":
            raise UserError("alpha='auto' is not available with mode='fast' (LdaMulticore): use "
                            "mode='deterministic' or a fixed alpha")
        if self.n_jobs is not None and (not isinstance(self.n_jobs, (int, np.integer))
                                        or self.n_jobs < 1):
            raise UserError(f"n_jobs must be a positive integer or None (got {self.n_jobs!r})")
        if self.eval_every is not None and (not isinstance(self.eval_every, (int, np.integer))
                                            or self.eval_every < 1):
            raise UserError(f"eval_every must be a positive integer or None (got {self.eval_every!r})")

    def _check_alpha(self, n_topics: int) -> None:
        a = self.alpha
        if isinstance(a, str):
            if a not in ("symmetric", "asymmetric", "auto"):
                raise UserError(f"alpha must be 'symmetric', 'asymmetric', 'auto', a positive "
                                f"number or K positive numbers (got {a!r})")
        elif np.ndim(a) == 0:
            if not float(a) > 0:
                raise UserError(f"alpha must be positive (got {a!r})")
        elif np.shape(a) != (n_topics,) or np.any(np.asarray(a, dtype=float) <= 0):
            raise UserError(f"alpha as a sequence needs {n_topics} positive values (one per topic)")

    def _resolve_n_topics(self, dictionary) -> int:
        k = self.n_topics
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise UserError(f"n_topics must be a positive integer (got {k!r})")
        return int(k)

    def _eta_prior(self, dictionary, n_topics: int):
        e = self.eta
        if e is None or (isinstance(e, str) and e in ("symmetric", "auto")):
            return e
        if isinstance(e, str):
            raise UserError(f"eta must be None, 'auto', a positive number or V positive "
                            f"numbers (got {e!r})")
        arr = np.asarray(e, dtype=np.float64)
        if arr.ndim == 0:
            if not float(arr) > 0:
                raise UserError(f"eta must be positive (got {e!r})")
            return float(arr)
        if arr.shape not in ((len(dictionary),), (n_topics, len(dictionary))) or np.any(arr <= 0):
            raise UserError(f"eta as an array must be positive with shape (V,)=({len(dictionary)},) "
                            f"or (K, V)=({n_topics}, {len(dictionary)})")
        return arr

    # -- fit -----------------------------------------------------------------------------------
    def fit(self, corpus, dictionary, covariates=None, *,
            progress: Callable[[str], None] | None = None) -> "LdaTopicModel":
        """Fit on a restartable BoW corpus; returns self.

        ``progress``: called with a line of text (documents done, rate, time left) every few
        seconds while gensim makes its passes; the documents it sees are the same either way."""
        from gensim.models import LdaModel, LdaMulticore

        started = time.perf_counter()
        if covariates is not None:
            raise UserError(f"{type(self).__name__} does not use covariates: use SeededDmrModel "
                            "to let covariates shift topic prevalence, or pass covariates=None")
        self._check_common_params()
        n_terms = self._start_fit(dictionary)
        n_topics = self._resolve_n_topics(dictionary)
        self._check_alpha(n_topics)
        eta = self._eta_prior(dictionary, n_topics)
        stats = scan_corpus(corpus, n_terms)
        kwargs = dict(id2word=dictionary, num_topics=n_topics,
                      passes=int(self.passes), iterations=int(self.iterations),
                      alpha=self.alpha if isinstance(self.alpha, str) or np.ndim(self.alpha) == 0
                      else np.asarray(self.alpha, dtype=np.float64),
                      eta=eta, random_state=int(self.random_state),
                      chunksize=int(self.chunksize), eval_every=self.eval_every,
                      minimum_probability=max(float(self.minimum_probability), MIN_PROBABILITY_FLOOR))
        with _capture_gensim_warnings() as captured:
            # Built without the corpus and then updated: what gensim's constructor does itself,
            # with room in between for a seeded start.
            if self.mode == "fast":
                model = LdaMulticore(workers=self.n_jobs, **kwargs)
            else:
                model = LdaModel(**kwargs)
            if self._start_from_prior:
                # gensim computes the first E-step's exp(E[log β]) from the random initial
                # statistics alone, ignoring η, so a seed prior could not steer the first topic
                # assignments and the topics would come out in arbitrary order. Use λ = η +
                # statistics, the same λ every later E-step uses.
                model.expElogbeta = np.exp(
                    _dirichlet_expectation(model.state.get_lambda().astype(np.float64))
                ).astype(model.dtype)
            if progress is None:
                model.update(corpus)
            else:
                with fit_progress(progress, f"{type(self).__name__} passes", "document",
                                  int(self.passes) * stats.n_docs) as meter:
                    model.update(_CountedCorpus(corpus, meter))
        for message in captured.messages:
            self.fit_warnings_.append(f"gensim: {message}")
            warnings.warn(f"gensim: {message}", TopicModelWarning, stacklevel=2)
        self.model_ = model
        self.n_iter_ = int(self.passes)
        self.topic_word_ = normalize_rows(model.get_topics(), "topic_word_")
        self.doc_topic_, self.per_word_bound_ = self._infer(corpus, with_bound=True,
                                                            n_words=stats.n_words)
        self.bound_kind_ = "variational_bound_per_word"
        self._after_gensim_fit(dictionary)
        self._finish_fit(stats, dictionary, started)
        return self

    #: Seeded subclasses start the first E-step from λ = η + noise (see ``fit``).
    _start_from_prior = False

    def _after_gensim_fit(self, dictionary) -> None:
        """Hook for subclasses (seeded labels)."""

    def _infer(self, corpus, *, with_bound: bool = False, n_words: float | None = None):
        """θ for every document by gensim's E-step, in chunks, with the inference RNG reset to
        ``random_state`` first (gensim initialises γ randomly; resetting makes ``transform``
        return the same matrix for the same input every time)."""
        from scipy.special import gammaln, logsumexp

        model = self.model_
        model.random_state = np.random.RandomState(int(self.random_state))
        rows: list[np.ndarray] = []
        score = 0.0
        if with_bound:
            lam = model.state.get_lambda().astype(np.float64)
            elog_beta = _dirichlet_expectation(lam)
            alpha = np.asarray(model.alpha, dtype=np.float64)
        for chunk in batched(corpus, int(self.chunksize)):
            gamma, _ = model.inference(chunk)
            rows.append(np.asarray(gamma, dtype=np.float64))
            if with_bound:
                for doc, gammad in zip(chunk, np.asarray(gamma, dtype=np.float64)):
                    elog_theta = _dirichlet_expectation(gammad)
                    if doc:
                        ids = np.fromiter((int(i) for i, _ in doc), dtype=np.int64, count=len(doc))
                        cts = np.fromiter((c for _, c in doc), dtype=np.float64, count=len(doc))
                        score += float(cts @ logsumexp(elog_theta[:, None] + elog_beta[:, ids], axis=0))
                    score += float(np.sum((alpha - gammad) * elog_theta))
                    score += float(np.sum(gammaln(gammad) - gammaln(alpha)))
                    score += float(gammaln(alpha.sum()) - gammaln(gammad.sum()))
        gamma_all = np.vstack(rows) if rows else np.zeros((0, model.num_topics))
        theta = normalize_rows(gamma_all, "doc_topic_") if len(gamma_all) else gamma_all
        if not with_bound:
            return theta
        # E[log p(β | η) - log q(β | λ)], as gensim's LdaModel.bound, with per-topic Σ_v η_kv so a
        # seeded (K × V) η is handled exactly.
        eta = np.broadcast_to(np.asarray(model.eta, dtype=np.float64), lam.shape)
        score += float(np.sum((eta - lam) * elog_beta))
        score += float(np.sum(gammaln(lam) - gammaln(eta)))
        score += float(np.sum(gammaln(eta.sum(axis=1)) - gammaln(lam.sum(axis=1))))
        return theta, score / float(n_words)

    def transform(self, corpus, covariates=None) -> np.ndarray:
        """θ_d (D × K, rows sum to 1) for documents of a BoW corpus built with the same dictionary."""
        self._check_fitted()
        if covariates is not None:
            raise UserError(f"{type(self).__name__} does not use covariates: pass covariates=None")
        scan_corpus(corpus, len(self.vocabulary_), what="transform corpus")
        return self._infer(corpus)

    # -- manifest / persistence ----------------------------------------------------------------
    def _library_name(self) -> str:
        return "gensim.models.LdaMulticore" if self.mode == "fast" else "gensim.models.LdaModel"

    def _determinism(self) -> tuple[bool, str]:
        if self.mode == "fast":
            return False, ("LdaMulticore: results differ between runs even with the same "
                           "random_state (worker scheduling changes update order); use "
                           "mode='deterministic' for replication")
        return True, ("LdaModel: same random_state, corpus order, chunksize and parameters give "
                      "identical topic_word_ and doc_topic_; transform resets the inference "
                      "RNG to random_state")

    def _native_save(self, folder: Path) -> None:
        native = folder / "gensim"
        native.mkdir(exist_ok=True)
        self.model_.save(str(native / "lda"))

    def _native_load(self, folder: Path) -> None:
        from gensim.models import LdaModel

        self.model_ = LdaModel.load(str(folder / "gensim" / "lda"))


class _CountedCorpus:
    """A restartable corpus that counts the documents gensim reads, for progress lines; it
    yields exactly the documents of ``corpus`` (the fit does not change)."""

    def __init__(self, corpus, meter):
        self.corpus = corpus
        self.meter = meter

    def __iter__(self):
        for doc in self.corpus:
            self.meter.update(1)
            yield doc

    def __len__(self) -> int:
        return len(self.corpus)
