"""The bundled demo corpus: Chinese industrial-policy documents with planted strategy mixtures.

``make demo`` runs offline, so the project ships a generator of realistic documents instead of a
crawl. Documents are composed from hand-written clause banks (``corpus/data/demo/*.yaml``): one bank
per strategy of the coding scheme (Tan 2021: *directive* = market-substituting, *developmental* =
market-shaping, *regulatory* = market-enhancing), plus neutral boilerplate (addressee lines,
印发/转发 wrappers, 抄送 lines, 附则 articles ...) that later boilerplate removal has to strip.

The ground truth that later stages must recover is planted per document:

* ``μ(level, year)`` — the planted mean mixture over (directive, developmental, regulatory), a
  logistic blend between a pre-WTO and a post-WTO mean, centred between 2001 and 2002::

      s(year)        = 1 / (1 + exp(-(year - 2001.5) / 0.7))
      μ(level, year) = (1 - s(year)) · MEAN_BEFORE[level] + s(year) · MEAN_AFTER[level]

  Before 2001 every level is mostly directive; afterwards central documents become more regulatory,
  provincial ones more developmental, and local ones more directive (Tan's account).
* ``θ_d ~ Dirichlet(α · μ(level_d, year_d))`` with α = ``CONCENTRATION`` — the document's mixture.
* each substantive clause draws its strategy from θ_d and is filled from that strategy's bank;
  the realised clause shares (clauses per strategy / substantive clauses) are stored beside θ_d.

The truth is written to a separate file (``truth.csv`` + ``truth.json``) and never appears in the
document text or in the metadata the pipeline sees (:class:`DemoDocument`).

Generation streams: :meth:`DemoCorpus.iter_documents` is a generator and
:func:`write_demo_corpus` writes line by line, so memory does not grow with ``n_documents``
(43,000 documents for benchmarks). All randomness comes from ``random_state`` through one
:class:`random.Random`, whose algorithms are stable across Python versions, so a seed gives
byte-identical output.

The package: :mod:`.model` (the planted truth and corpus shape), :mod:`.bank` (clause banks,
issuer tables, Chinese number and date forms), :mod:`.generator` (:class:`DemoCorpus` and the
composer), :mod:`.text` (one document's slots and body), :mod:`.files` (writing the corpus and
its truth). It is a leaf: only the CLI, the demo site and tests import it.
"""

from __future__ import annotations

from .model import (CONCENTRATION, DATA_DIR, DemoDocument, DemoTruth, FIRST_YEAR, FLOOR_PER_600,
                    FLOOR_YEAR, FORWARD_MAX_LENGTH, FORWARD_RATE, GROWTH_RATE,
                    LABEL_WORDS, LAST_YEAR, LENGTH_MEDIAN, LENGTH_RANGE,
                    LENGTH_SIGMA, LEVELS, LEVEL_SHARES, MEAN_AFTER,
                    MEAN_BEFORE, OPEN_GOV_BOOST, OPEN_GOV_YEAR, REPOST_RATE,
                    SHIFT_CENTER, SHIFT_SCALE, SITE_KINDS, SLOTS, STRATEGIES,
                    planted_mean, shift_weight, truth_description)
from .bank import (cn_date, cn_number, format_date, load_demo_data)
from .generator import DemoCorpus
from .files import (TRUTH_COLUMNS, document_json, truth_row, write_demo_corpus)

__all__ = ["CONCENTRATION", "DATA_DIR", "DemoCorpus", "DemoDocument", "DemoTruth", "FIRST_YEAR",
           "FLOOR_PER_600", "FLOOR_YEAR", "FORWARD_MAX_LENGTH", "FORWARD_RATE",
           "GROWTH_RATE", "LABEL_WORDS", "LAST_YEAR", "LENGTH_MEDIAN", "LENGTH_RANGE",
           "LENGTH_SIGMA", "LEVELS", "LEVEL_SHARES", "MEAN_AFTER", "MEAN_BEFORE",
           "OPEN_GOV_BOOST", "OPEN_GOV_YEAR", "REPOST_RATE", "SHIFT_CENTER",
           "SHIFT_SCALE", "SITE_KINDS", "SLOTS", "STRATEGIES", "TRUTH_COLUMNS",
           "cn_date", "cn_number", "document_json", "format_date", "load_demo_data",
           "planted_mean", "shift_weight", "truth_description", "truth_row",
           "write_demo_corpus"]
