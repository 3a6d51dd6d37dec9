"""Topic models behind one sklearn-style interface.

Three estimators share one interface (``fit`` / ``transform`` / ``save`` / ``load`` /
``manifest_info``) and the same learned attributes, so labelling, model selection, pyLDAvis and
the store never need to know which library fitted a model:

- :class:`LdaTopicModel` — plain LDA with gensim (``LdaModel``, deterministic; or ``LdaMulticore``,
  fast but not reproducible).
- :class:`SeededLdaModel` — LDA whose topic-word prior η is built by hand so that one (or more)
  topics per coding-scheme category start from, and are pulled towards, that category's seed words.
- :class:`SeededDmrModel` — Dirichlet-multinomial regression (Mimno & McCallum 2008) with tomotopy:
  document covariates (level × period cell, optional sector/agency features, optional year via
  ``GDMRModel``) shift topic prevalence inside the model, as STM/keyATM do, with optional seeds.

Notation (Blei, Ng & Jordan 2003; Mimno & McCallum 2008; Tan 2021 uses LDA-family models):

==================  ===========================================================================
paper               here
==================  ===========================================================================
K                   number of topics (``n_topics``; seeded: categories × topics_per_category +
                    ``n_free_topics``)
θ_d                 topic proportions of document d: row d of ``doc_topic_`` (D × K)
β_k (φ_k)           word distribution of topic k: row k of ``topic_word_`` (K × V)
α                   Dirichlet prior on θ_d (``alpha``); in DMR α_dk = exp(λ_k · x_d) + ε
η                   Dirichlet prior on β_k (``eta`` / ``base_eta``; seeded: a K × V matrix ``eta_``)
x_d                 covariates of document d (DMR): a level × period cell plus optional features
λ                   DMR regression coefficients of topic prevalence on x_d (``lambda_``)
==================  ===========================================================================

Learned attributes common to every model: ``topic_word_`` (K × V, float64, rows sum to 1, columns
in the gensim ``Dictionary`` id order), ``doc_topic_`` (D × K, float64, rows sum to 1 within 1e-9),
``vocabulary_`` (tokens by dictionary id), ``word_counts_`` (corpus frequency of each word),
``n_iter_``, ``per_word_bound_`` with ``bound_kind_`` (what the number is: the variational bound
for gensim, the Gibbs-state log-likelihood per word for tomotopy; the two are not comparable),
``n_docs_``, ``n_words_``, ``n_empty_docs_``, ``fit_warnings_``, ``fit_seconds_``. Seeded models add
``topic_labels_`` (topic id → category or ``'free'``), ``seed_words_`` (seeds found in the
vocabulary), ``missing_seeds_`` (seeds not in the vocabulary, never silently ignored) and ``eta_``.

Inputs are standard types: a gensim ``Dictionary`` with contiguous ids, and a corpus that is a
restartable iterable with ``__len__`` of bag-of-words lists ``[(word_id, count), ...]``; covariates
are a pandas DataFrame aligned with the corpus order. Empty documents are kept (their θ_d is the
prior mean) and counted in ``n_empty_docs_``; nothing is dropped.
"""

from __future__ import annotations

from .base import FORMAT_VERSION, BaseTopicModel, ModelNotFittedError, load_model
from .dmr import SeededDmrModel
from .lda import LdaTopicModel
from .seeded import SeededLdaModel
from .seeds import (RESERVED_LABELS, SeedLayout, build_seed_layout, normalize_seed_words,
                    scheme_seed_words)
from .validation import (MIN_PROBABILITY_FLOOR, CorpusStats, TopicModelWarning, check_dictionary,
                         check_restartable, normalize_rows, scan_corpus)

MODEL_CLASSES = {cls.__name__: cls for cls in (LdaTopicModel, SeededLdaModel, SeededDmrModel)}

__all__ = ["FORMAT_VERSION", "MIN_PROBABILITY_FLOOR", "MODEL_CLASSES", "RESERVED_LABELS",
           "BaseTopicModel", "CorpusStats", "ModelNotFittedError", "LdaTopicModel", "SeedLayout", "SeededDmrModel",
           "SeededLdaModel", "TopicModelWarning", "build_seed_layout", "check_dictionary",
           "check_restartable", "load_model", "normalize_rows", "normalize_seed_words",
           "scan_corpus", "scheme_seed_words"]
