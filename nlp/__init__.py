"""zhengce.nlp: text preparation, segmentation, bag of words, coding schemes and topic models.

Two parts and what joins them:

- :mod:`zhengce.nlp.text` — normalize, segment (jieba / rjieba and the token cache), bag of
  words, entity mentions;
- :mod:`zhengce.nlp.topics` — topic models (:mod:`~zhengce.nlp.topics.models`), choosing K,
  labels and strategy shares, pyLDAvis, the topics stage;
- :mod:`zhengce.nlp.scheme` (coding schemes and the dictionary measure, used by both),
  :mod:`zhengce.nlp.distributed` and :mod:`zhengce.nlp.shard_stages` (the parallel stages over
  Parquet shards), :mod:`zhengce.nlp.cli` (the commands).

Import from the submodules; this package imports nothing heavy.
"""

if __name__ != "zhengce.nlp":  # imported as a top-level "nlp" from a source checkout
    raise ImportError(f"import zhengce.nlp, not {__name__}: the layers install under the zhengce "
                      "package (pip install -e . or make install)")
