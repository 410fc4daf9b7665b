"""Opening DuckDB on the panel's database: shared by the app's process (PostgreSQL) and the
child process that reads SQLite (`reports/duckdb_isolated.py`), so it imports neither Flask nor
SQLAlchemy.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

LEDGER = "ledger"
"""The name the live database is attached under in DuckDB."""
MEMORY_LIMIT = "256MB"
"""DuckDB's own ceiling; past it, it spills to a temporary folder where it can (by manager the
command peaks near 275 MB; 128 MB ran out of memory by account, with 100,000 accounts)."""


def open_duckdb(attach: str, extension_directory: Path) -> Any | None:
    """A DuckDB connection with the database of `attach` attached read-only; None if it fails."""
    import duckdb

    connection = duckdb.connect(
        config={
            "extension_directory": str(extension_directory),
            "autoinstall_known_extensions": False,  # never download: the wheels hold them
            "autoload_known_extensions": False,
            "memory_limit": MEMORY_LIMIT,
            "temp_directory": str(Path(tempfile.gettempdir()) / "accounts-desk-duckdb"),
            "preserve_insertion_order": False,  # every statement says its order, if it has one
        }
    )
    try:
        connection.execute("LOAD sqlite" if "TYPE sqlite" in attach else "LOAD postgres")
        connection.execute(attach)
    except duckdb.Error:
        connection.close()
        return None
    return connection
