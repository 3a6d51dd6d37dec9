"""The topics part of the NLP layer: models, choosing K, labels and shares, pyLDAvis, the stage.

- :mod:`.models` — LDA, seeded LDA and seeded DMR behind one scikit-learn interface;
- :mod:`.selection` — held-out fit, coherence, exclusivity and stability over K;
- :mod:`.labels` — topics labelled with the coding scheme's categories, strategy shares;
- :mod:`.ldavis` — the pyLDAvis page of a fitted model;
- :mod:`.stage` — ``zhengce topics run``: segment, dictionary, fit, label, store.
"""
