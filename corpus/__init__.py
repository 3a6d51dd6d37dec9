"""zhengce.corpus: the SQLite corpus store, metadata tagging, loaders and exports."""

if __name__ != "zhengce.corpus":  # imported as a top-level "corpus" from a source checkout
    raise ImportError(f"import zhengce.corpus, not {__name__}: the layers install under the zhengce "
                      "package (pip install -e . or make install)")

from zhengce.common.errors import RecordError, UserError
from .store import Store, resolve_db_path

__all__ = ["Store", "UserError", "RecordError", "resolve_db_path"]
