"""The store: one SQLite file holding runs, gathered facts and findings.

SQL is kept portable (no SQLite-only syntax beyond the connection pragmas)
so that a PostgreSQL backend can implement the same :class:`Store` later.
"""

from store.db import Store, StoreError

__all__ = ["Store", "StoreError"]
