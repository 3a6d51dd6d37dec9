"""zhengce.companions: smaller analyses that reuse the corpus store and the analysis outputs."""
