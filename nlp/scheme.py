"""Coding schemes: categories of state strategy with seed terms, and the dictionary measure.

A scheme is a YAML file (default ``nlp/schemes/tan.yaml``: Tan's directive / developmental /
regulatory strategies). Each category has a definition, a source, seed terms and notes; a seed is a
plain term (weight 1) or a mapping ``{term, ambiguous, weight, note}``. ``domain_stopwords`` lists
boilerplate common to all documents.

* :func:`load_scheme` reads and validates a scheme (``yaml.SafeLoader`` plus a duplicate-key check),
  raising :class:`zhengce.common.errors.UserError` that names the file and the key.
* :func:`scheme_check` reports, per seed, its document frequency in a token corpus, whether the
  topic-model dictionary and the segmenter's vocabulary know it, and whether the segmenter cuts it
  into pieces (a split seed can never be counted, which is why seeds go into the user dictionary).
* :func:`dictionary_scores` is the transparent dictionary measure: for each document and category,
  the number of seed-term tokens ``n_terms`` and their share of the document's tokens,
  ``share = n_terms / n_tokens``; also the weighted count (ambiguous seeds count ``weight``) and the
  category's share of all seed hits in the document. Streamed, stored in ``dictionary_scores``.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import yaml

from zhengce.common.errors import UserError
from zhengce.common.manifest import config_hash

SCHEMES = Path(__file__).resolve().parent / "schemes"
DEFAULT_SCHEME = SCHEMES / "tan.yaml"

TOP_KEYS = {"scheme", "title", "version", "sources", "caveat", "notes", "categories",
            "domain_stopwords"}
REQUIRED_TOP_KEYS = {"scheme", "categories"}
CATEGORY_KEYS = {"label", "definition", "source", "seeds", "notes"}
REQUIRED_CATEGORY_KEYS = {"definition", "seeds"}
SEED_KEYS = {"term", "weight", "ambiguous", "note"}
AMBIGUOUS_DEFAULT_WEIGHT = 0.5


@dataclass(frozen=True)
class Seed:
    term: str
    category: str
    weight: float = 1.0
    ambiguous: bool = False
    note: str | None = None


@dataclass
class Category:
    name: str
    definition: str
    seeds: list[Seed]
    label: str | None = None
    source: str | None = None
    notes: str | None = None

    @property
    def terms(self) -> list[str]:
        return [s.term for s in self.seeds]


@dataclass
class Scheme:
    name: str
    categories: dict[str, Category]
    title: str | None = None
    version: str | None = None
    sources: list[str] = field(default_factory=list)
    caveat: str | None = None
    notes: str | None = None
    domain_stopwords: list[str] = field(default_factory=list)
    path: str | None = None

    @property
    def category_names(self) -> list[str]:
        return list(self.categories)

    def seeds(self) -> list[Seed]:
        return [s for c in self.categories.values() for s in c.seeds]

    def term_index(self) -> dict[str, Seed]:
        """term → its seed (terms are unique across categories)."""
        return {s.term: s for s in self.seeds()}

    def terms(self, min_chars: int = 1) -> list[str]:
        return [s.term for s in self.seeds() if len(s.term) >= min_chars]

    def as_dict(self) -> dict:
        return {"scheme": self.name, "title": self.title, "version": self.version,
                "sources": self.sources, "caveat": self.caveat, "notes": self.notes,
                "categories": {n: {"label": c.label, "definition": c.definition,
                                   "source": c.source, "notes": c.notes,
                                   "seeds": [{"term": s.term, "weight": s.weight,
                                              "ambiguous": s.ambiguous, "note": s.note}
                                             for s in c.seeds]}
                               for n, c in self.categories.items()},
                "domain_stopwords": self.domain_stopwords}

    @property
    def hash(self) -> str:
        return config_hash(self.as_dict())


# ---------------------------------------------------------------------------------------------
# Loading and validation
# ---------------------------------------------------------------------------------------------

class _StrictSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (plain safe_load keeps the last silently)."""


def _construct_mapping(loader: _StrictSafeLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {seen[key] + 1})",
                key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_StrictSafeLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _check_term(term, where: str, path: Path) -> str:
    if not isinstance(term, str) or not term.strip():
        raise UserError(f"{path}: {where}: a term must be a non-empty string, got {term!r}")
    term = term.strip()
    if any(ch.isspace() for ch in term):
        raise UserError(f"{path}: {where}: term {term!r} contains a space; terms are single words")
    if unicodedata.normalize("NFKC", term) != term:
        raise UserError(f"{path}: {where}: term {term!r} is not in NFKC form (the normalizer makes "
                        f"text NFKC, so it would never match); write "
                        f"{unicodedata.normalize('NFKC', term)!r}")
    return term


def load_scheme(path: str | Path | None = None) -> Scheme:
    """Read and validate a scheme YAML file (default ``nlp/schemes/tan.yaml``).

    Checks: YAML syntax and duplicate keys; required and unknown keys at the top, in each category
    and in each seed mapping; categories with a definition and at least one seed; seed weights in
    (0, 1]; ``ambiguous`` a boolean; no term twice (within or across categories); no term that is
    also a domain stopword. Every error is a :class:`UserError` naming the file and the key.
    """
    path = Path(path) if path is not None else DEFAULT_SCHEME
    data = _read_scheme_yaml(path)
    categories: dict[str, Category] = {}
    first_seen: dict[str, str] = {}   # term -> where it was first listed
    for name, body in data["categories"].items():
        categories[name] = _read_category(path, name, body, first_seen)
    stop_raw = data.get("domain_stopwords") or []
    if not isinstance(stop_raw, list):
        raise UserError(f"{path}: domain_stopwords must be a list of words")
    domain_stopwords = [_check_term(w, f"domain_stopwords[{i}]", path) for i, w in enumerate(stop_raw)]
    clash = [w for w in domain_stopwords if w in first_seen]
    if clash:
        raise UserError(f"{path}: domain_stopwords {clash} are also seeds (at "
                        f"{', '.join(first_seen[w] for w in clash)}); a stopword is never counted")
    sources = data.get("sources") or []
    if isinstance(sources, str):
        sources = [sources]
    return Scheme(name=str(data["scheme"]), categories=categories, title=data.get("title"),
                  version=str(data["version"]) if data.get("version") is not None else None,
                  sources=[str(s) for s in sources], caveat=data.get("caveat"),
                  notes=data.get("notes"), domain_stopwords=domain_stopwords, path=str(path))


def _read_scheme_yaml(path: Path) -> dict:
    """The scheme file parsed (strictly), with its top-level keys checked."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UserError(f"cannot read scheme file {path}: {exc.strerror}; check the path") from None
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8; save the scheme as UTF-8") from None
    try:
        data = yaml.load(text, Loader=_StrictSafeLoader)  # SafeLoader subclass: no object tags
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise UserError(f"{path}: {where}{problem}; fix the YAML") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: the top level must be a mapping with keys "
                        f"{sorted(REQUIRED_TOP_KEYS)}, got {type(data).__name__}")
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise UserError(f"{path}: unknown top-level key(s) {sorted(map(str, unknown))}; "
                        f"allowed: {sorted(TOP_KEYS)}")
    missing = REQUIRED_TOP_KEYS - set(data)
    if missing:
        raise UserError(f"{path}: missing top-level key(s) {sorted(missing)}")
    cats = data["categories"]
    if not isinstance(cats, dict) or not cats:
        raise UserError(f"{path}: 'categories' must be a non-empty mapping of category name -> "
                        "{definition, seeds, ...}")
    return data


def _read_category(path: Path, name, body, first_seen: dict[str, str]) -> Category:
    """One category of the scheme; its seeds are added to ``first_seen`` (term -> where)."""
    key = f"categories.{name}"
    if not isinstance(name, str) or not name.strip():
        raise UserError(f"{path}: category names must be non-empty strings, got {name!r}")
    if not isinstance(body, dict):
        raise UserError(f"{path}: {key} must be a mapping with 'definition' and 'seeds', "
                        f"got {type(body).__name__}")
    unknown = set(body) - CATEGORY_KEYS
    if unknown:
        raise UserError(f"{path}: {key}: unknown key(s) {sorted(map(str, unknown))}; "
                        f"allowed: {sorted(CATEGORY_KEYS)}")
    missing = REQUIRED_CATEGORY_KEYS - set(body)
    if missing:
        raise UserError(f"{path}: {key}: missing key(s) {sorted(missing)}")
    definition = body["definition"]
    if not isinstance(definition, str) or not definition.strip():
        raise UserError(f"{path}: {key}.definition must be a non-empty text")
    raw_seeds = body["seeds"]
    if not isinstance(raw_seeds, list) or not raw_seeds:
        raise UserError(f"{path}: {key}.seeds is empty; a category needs at least one seed term")
    seeds: list[Seed] = []
    for i, item in enumerate(raw_seeds):
        where = f"{key}.seeds[{i}]"
        seed = _read_seed(path, name, where, item)
        if seed.term in first_seen:
            raise UserError(f"{path}: {where}: seed {seed.term!r} is already listed at "
                            f"{first_seen[seed.term]}; a term belongs to one category only")
        first_seen[seed.term] = where
        seeds.append(seed)
    return Category(name=name, definition=definition.strip(), seeds=seeds,
                    label=body.get("label"), source=body.get("source"), notes=body.get("notes"))


def _read_seed(path: Path, category: str, where: str, item) -> Seed:
    """A seed: a plain term, or a mapping with ``term`` and optional weight/ambiguous/note."""
    if not isinstance(item, dict):
        return Seed(term=_check_term(item, where, path), category=category)
    unknown = set(item) - SEED_KEYS
    if unknown:
        raise UserError(f"{path}: {where}: unknown key(s) {sorted(map(str, unknown))}; "
                        f"allowed: {sorted(SEED_KEYS)}")
    if "term" not in item:
        raise UserError(f"{path}: {where}: a seed mapping needs 'term'")
    term = _check_term(item["term"], where, path)
    ambiguous = item.get("ambiguous", False)
    if not isinstance(ambiguous, bool):
        raise UserError(f"{path}: {where}.ambiguous must be true or false, got {ambiguous!r}")
    weight = item.get("weight", AMBIGUOUS_DEFAULT_WEIGHT if ambiguous else 1.0)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= 1:
        raise UserError(f"{path}: {where}.weight must be a number in (0, 1], got {weight!r}")
    note = item.get("note")
    if note is not None and not isinstance(note, str):
        raise UserError(f"{path}: {where}.note must be text")
    return Seed(term=term, category=category, weight=float(weight), ambiguous=ambiguous, note=note)


# ---------------------------------------------------------------------------------------------
# Seed check
# ---------------------------------------------------------------------------------------------

def _token_corpus(store, corpus):
    from .text.bow import TokenCorpus

    if isinstance(corpus, str):
        return TokenCorpus(store, corpus)
    return corpus


def scheme_check(store, scheme: Scheme, corpus, dictionary=None, segmenter=None,
                 normalizer=None, *, min_doc_freq: int = 5, progress=None):
    """One row per seed: how the corpus, the dictionary and the segmenter see it.

    Parameters
    ----------
    store : corpus.store.Store
    scheme : Scheme
    corpus : TokenCorpus or a token config hash
    dictionary : gensim Dictionary, optional (the topic model's vocabulary after filtering)
    segmenter, normalizer : optional; by default rebuilt from the store's ``segmenter_configs``
        (the pair that made the cached tokens)
    min_doc_freq : seeds in fewer documents are flagged ``rare``
    progress : optional :class:`zhengce.common.progress.Progress`, counted once per document of
        each of the two passes over the corpus

    Columns:

    * ``doc_freq``: documents where the term is a token; ``term_freq``: its token occurrences;
      ``doc_share = doc_freq / n_documents``;
    * ``text_doc_freq``: documents whose normalized text contains the string;
      ``n_docs_lost``: documents that contain the string but neither as a token nor inside a longer
      token (淘汰 inside 淘汰落后产能 is inside a longer token; 产能过剩 cut into 产能 / 过剩 by its
      context is lost);
    * ``in_dictionary``: in the topic-model dictionary (None without one);
      ``in_segmenter_vocab``: in the segmenter's dictionary; ``segmenter_pieces``: how the
      segmenter cuts the term on its own (' '-joined; more than one piece = it can never be
      counted: add it to the user dictionary); ``is_stopword``;
    * ``issues``: rare / split / not_in_dictionary / stopword / lost_in_context, ';'-joined.
    """
    import pandas as pd

    token_corpus = _token_corpus(store, corpus)
    normalizer, segmenter = _check_pipeline(store, token_corpus, normalizer, segmenter)
    seeds = scheme.seeds()
    terms = [s.term for s in seeds]
    doc_freq, term_freq, n_docs, vocabulary = _token_statistics(token_corpus, set(terms), progress)
    text_doc_freq, lost = _text_occurrences(token_corpus, terms, vocabulary, normalizer, progress)
    rows = []
    for s in seeds:
        pieces = segmenter.split(s.term)
        in_dict = (s.term in dictionary.token2id) if dictionary is not None else None
        is_stop = s.term in segmenter.stopwords
        flags = []
        if doc_freq[s.term] < min_doc_freq:
            flags.append("rare")
        if len(pieces) > 1:
            flags.append("split")
        if dictionary is not None and not in_dict:
            flags.append("not_in_dictionary")
        if is_stop:
            flags.append("stopword")
        if lost[s.term]:
            flags.append("lost_in_context")
        rows.append({"category": s.category, "term": s.term, "weight": s.weight,
                     "ambiguous": s.ambiguous, "doc_freq": doc_freq[s.term],
                     "term_freq": term_freq[s.term],
                     "doc_share": doc_freq[s.term] / n_docs if n_docs else 0.0,
                     "text_doc_freq": text_doc_freq[s.term], "n_docs_lost": lost[s.term],
                     "in_dictionary": in_dict,
                     "in_segmenter_vocab": segmenter.has_word(s.term),
                     "segmenter_pieces": " ".join(pieces), "is_stopword": is_stop,
                     "issues": ";".join(flags)})
    return pd.DataFrame(rows, columns=[
        "category", "term", "weight", "ambiguous", "doc_freq", "term_freq", "doc_share",
        "text_doc_freq", "n_docs_lost", "in_dictionary", "in_segmenter_vocab",
        "segmenter_pieces", "is_stopword", "issues"])


def _check_pipeline(store, token_corpus, normalizer, segmenter):
    """The normalizer and segmenter to check seeds with: given, else those behind the tokens."""
    from .text.segment import load_pipeline

    if segmenter is None or normalizer is None:
        try:
            stored_normalizer, stored_segmenter = load_pipeline(store, token_corpus.config_hash)
        except UserError:
            if segmenter is None:
                raise
            stored_normalizer, stored_segmenter = None, segmenter
        segmenter = segmenter if segmenter is not None else stored_segmenter
        normalizer = normalizer if normalizer is not None else stored_normalizer
    return normalizer, segmenter


def _token_statistics(token_corpus, term_set: set[str], progress=None):
    """Pass 1: document and token frequency of each term, documents, and the vocabulary."""
    doc_freq: Counter = Counter()
    term_freq: Counter = Counter()
    vocabulary: set[str] = set()
    n_docs = 0
    for tokens in token_corpus:
        n_docs += 1
        if progress is not None:
            progress.update(1)
        vocabulary.update(tokens)
        counts = Counter(t for t in tokens if t in term_set)
        term_freq.update(counts)
        doc_freq.update(counts.keys())
    return doc_freq, term_freq, n_docs, vocabulary


def _text_occurrences(token_corpus, terms: list[str], vocabulary: set[str], normalizer,
                      progress=None):
    """Pass 2: where the string occurs in the text the segmenter saw, and whether it survived
    (as a token, or inside a longer one)."""
    longer = {t: {v for v in vocabulary if t in v and v != t} for t in terms}
    text_doc_freq: Counter = Counter()
    lost: Counter = Counter()
    for _, tokens, text in token_corpus.iter_tokens_and_texts():
        if progress is not None:
            progress.update(1)
        text = normalizer.normalize(text or "") if normalizer is not None else \
            unicodedata.normalize("NFKC", text or "")
        present = set(tokens)
        for t in terms:
            if t in text:
                text_doc_freq[t] += 1
                if t not in present and present.isdisjoint(longer[t]):
                    lost[t] += 1
    return text_doc_freq, lost


# ---------------------------------------------------------------------------------------------
# Dictionary measure
# ---------------------------------------------------------------------------------------------

def score_tokens(tokens: Iterable[str], scheme: Scheme) -> dict[str, dict]:
    """Per category: ``n_terms`` (seed tokens), ``weighted_terms`` (sum of seed weights),
    ``n_tokens`` (all tokens), ``share = n_terms / n_tokens`` and ``share_of_scheme``
    (``n_terms`` over all categories' seed tokens; 0 when the document has none)."""
    index = scheme.term_index()
    n_tokens = 0
    n_terms: Counter = Counter()
    weighted: Counter = Counter()
    for token in tokens:
        n_tokens += 1
        seed = index.get(token)
        if seed is not None:
            n_terms[seed.category] += 1
            weighted[seed.category] += seed.weight
    all_hits = sum(n_terms.values())
    return {c: {"n_terms": n_terms[c], "weighted_terms": float(weighted[c]), "n_tokens": n_tokens,
                "share": n_terms[c] / n_tokens if n_tokens else 0.0,
                "share_of_scheme": n_terms[c] / all_hits if all_hits else 0.0}
            for c in scheme.category_names}


@dataclass
class DictionaryScoresResult:
    run_id: str
    n_documents: int
    summary: "object"  # pandas DataFrame: per category mean share, documents with any term


def dictionary_scores(token_corpus, scheme: Scheme, *, batch_size: int = 2000) -> DictionaryScoresResult:
    """Score every document of ``token_corpus`` by category and store the rows in
    ``dictionary_scores`` under a new run id (stage ``dictionary_scores``).

    Streamed: rows are written ``batch_size`` documents at a time. Returns the run id, the number
    of documents and a per-category summary (mean share, documents with at least one seed term).
    """
    import pandas as pd

    from .text.bow import corpus_hash

    store = token_corpus.store
    params = {"scheme": scheme.name, "scheme_hash": scheme.hash,
              "config_hash": token_corpus.config_hash, "where": token_corpus.where,
              "where_params": token_corpus.params, "min_tokens": token_corpus.min_tokens}
    inputs = {"scheme_file": scheme.path} if scheme.path else {}
    inputs["corpus"] = corpus_hash(token_corpus)
    totals = {c: {"share_sum": 0.0, "docs_with_terms": 0, "n_terms": 0} for c in scheme.category_names}
    n_docs = 0
    with store.run("dictionary_scores", params, inputs=inputs) as run:
        batch: list[dict] = []
        for doc_id, tokens in token_corpus.iter_with_ids():
            n_docs += 1
            for category, score in score_tokens(tokens, scheme).items():
                batch.append({"doc_id": doc_id, "run_id": run.run_id, "category": category, **score})
                totals[category]["share_sum"] += score["share"]
                totals[category]["n_terms"] += score["n_terms"]
                totals[category]["docs_with_terms"] += score["n_terms"] > 0
            if len(batch) >= batch_size * len(scheme.categories):
                with store.db.conn:
                    store.db["dictionary_scores"].insert_all(batch)
                batch = []
        if batch:
            with store.db.conn:
                store.db["dictionary_scores"].insert_all(batch)
        summary = pd.DataFrame([
            {"category": c, "mean_share": t["share_sum"] / n_docs if n_docs else 0.0,
             "n_terms": t["n_terms"], "docs_with_terms": t["docs_with_terms"]}
            for c, t in totals.items()])
        run.summary.update({"n_documents": n_docs,
                            "categories": summary.to_dict(orient="records")})
    return DictionaryScoresResult(run_id=run.run_id, n_documents=n_docs, summary=summary)


def load_dictionary_scores(store, run_id: str, *, wide: bool = False):
    """The stored scores of one run as a DataFrame (long; ``wide=True``: one row per document with
    ``share_<category>`` and ``n_terms_<category>`` columns, categories in sorted order, then
    ``n_tokens``), in ``doc_id`` order.

    Read column by column (``read_sql_query``), the wide form pivoted by SQLite: no Python dict
    per row (a million documents' scores as dicts took about 2 GB)."""
    import pandas as pd

    categories = [row[0] for row in store.db.execute(
        "select distinct category from dictionary_scores where run_id = ? order by category",
        [run_id])]
    if not categories:
        raise UserError(f"no dictionary scores for run {run_id!r}; run dictionary_scores first "
                        "(see table runs, stage dictionary_scores)")
    if not wide:
        return pd.read_sql_query(
            "select doc_id, category, n_terms, weighted_terms, n_tokens, share, share_of_scheme "
            "from dictionary_scores where run_id = ? order by doc_id, category", store.db.conn,
            params=[run_id])
    quoted = lambda name: '"' + name.replace('"', '""') + '"'  # noqa: E731
    columns = [f"max(case when category = ? then share end) as {quoted('share_' + c)}"
               for c in categories]
    columns += [f"max(case when category = ? then n_terms end) as {quoted('n_terms_' + c)}"
                for c in categories]
    frame = pd.read_sql_query(
        f"select doc_id, {', '.join(columns)}, max(n_tokens) as n_tokens from dictionary_scores "
        "where run_id = ? group by doc_id order by doc_id", store.db.conn,
        params=[*categories, *categories, run_id])
    counts = [f"n_terms_{c}" for c in categories] + ["n_tokens"]
    frame[counts] = frame[counts].astype("int64")
    return frame
