"""The defaults every analysis command and function shares, defined once.

``zhengce report``, ``trajectories``, ``effects`` and ``estimate-effect`` (and the library
functions behind them) take these values unless told otherwise, so the same question gets the
same answer whichever command asks it.
"""

from __future__ import annotations

#: bootstrap resamples of documents within each level × year cell (trajectories, report)
DEFAULT_N_BOOT = 500
#: method-of-composition draws (estimate-effect, the report's effects section)
DEFAULT_N_DRAWS = 100
#: right-hand side of the effect regressions: level × post-2001 with a trend centred on 2001
DEFAULT_FORMULA = "~ level * post + year_c"
#: level × year cells with fewer documents are thin (flagged, drawn open)
DEFAULT_MIN_DOCS = 10
