"""The text part of the NLP layer: documents to tokens to bags of words.

- :mod:`.normalize` — Unicode, script, whitespace and boilerplate normalization;
- :mod:`.segment` — word segmentation, token filtering and the token cache in the store
  (:mod:`.segment_backends`: jieba / rjieba and their dictionary files);
- :mod:`.bow` — token corpora, the filtered dictionary, bags of words, collocations;
- :mod:`.entities` — agency and place names found in the normalized text.
"""
