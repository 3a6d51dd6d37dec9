"""zhengce.companions: smaller analyses that reuse the corpus store and the analysis outputs."""

if __name__ != "zhengce.companions":  # imported as a top-level "companions" from a source checkout
    raise ImportError(f"import zhengce.companions, not {__name__}: the layers install under the zhengce "
                      "package (pip install -e . or make install)")
