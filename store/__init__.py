"""The store: runs, gathered facts and findings, in a SQLite file or a PostgreSQL database.

``Store(location)`` opens either (see :mod:`store.db`); every SQL statement of the project
lives in this package.
"""

from store.db import Store, StoreError, Superseded

__all__ = ["Store", "StoreError", "Superseded"]
