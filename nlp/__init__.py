"""zhengce.nlp: text preparation, segmentation, bag of words, coding schemes and topic models.

Modules: :mod:`nlp.normalize` (Unicode/boilerplate clean-up), :mod:`nlp.segment` (jieba / rjieba
segmentation and the token cache), :mod:`nlp.bow` (streamed gensim dictionary and corpora),
:mod:`nlp.scheme` (coding schemes and the dictionary measure), :mod:`nlp.entities` (spaCy
agency / place / 转发 mentions). Import from the submodules; this package imports nothing heavy.
"""

if __name__ != "zhengce.nlp":  # imported as a top-level "nlp" from a source checkout
    raise ImportError(f"import zhengce.nlp, not {__name__}: the layers install under the zhengce "
                      "package (pip install -e . or make install)")
