"""zhengce.corpus: the SQLite corpus store, metadata tagging, loaders and exports."""

from .errors import RecordError, UserError
from .store import Store, resolve_db_path

__all__ = ["Store", "UserError", "RecordError", "resolve_db_path"]
