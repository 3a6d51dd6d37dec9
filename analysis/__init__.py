"""zhengce.analysis: trajectories, effect estimates, figures and the report.

- :mod:`analysis.data` — the strategy measures of a store (topic-run ``strategy_shares``, pooled
  over restarts, or the ``dictionary_scores`` measure) as one analysis frame;
- :mod:`analysis.trajectories` — yearly prevalence by level with bootstrap intervals, smoothing,
  pre/post-2001 contrasts, thin cells;
- :mod:`analysis.effects` — fractional logit / OLS with issuer-clustered SEs, and STM-style
  ``estimate_effect`` (method of composition);
- :mod:`analysis.agencies` — industrial-policy documents of the NDRC, MIIT and SASAC lineages;
- :mod:`analysis.sector_compare` — strategy mix of two sectors (automotive vs semiconductors);
- :mod:`analysis.coding` — hand-coding sheets and agreement / validation scores;
- :mod:`analysis.figures`, :mod:`analysis.report` — the figures and the offline HTML report;
- :mod:`analysis.browse` — Datasette views, metadata and a server handle;
- :mod:`zhengce.common.outputs` — tables, figures and manifests written the same way everywhere.
"""

if __name__ != "zhengce.analysis":  # imported as a top-level "analysis" from a source checkout
    raise ImportError(f"import zhengce.analysis, not {__name__}: the layers install under the zhengce "
                      "package (pip install -e . or make install)")
