"""The writers' transaction: begin, commit at the end, roll back on any error."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import TYPE_CHECKING

import duckdb

from mixpanel_data.store._errors import storage_error

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["transaction"]

log = logging.getLogger(__name__)


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK").fetchall()
    except duckdb.Error as exc:
        # A failed statement may already have aborted the transaction.
        log.debug("rollback: %s", exc)


@contextmanager
def transaction(
    con: duckdb.DuckDBPyConnection, *, doing: str = ""
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run a block in one transaction on ``con`` (which must have none open).

    Commits at the end; any exception rolls everything back and propagates, DuckDB's as
    :class:`~mixpanel_data.exceptions.StorageError` (``doing`` says what was being done).
    """
    try:
        con.execute("BEGIN TRANSACTION").fetchall()
    except duckdb.Error as exc:
        raise storage_error(exc, doing=doing or "cannot start a transaction") from exc
    try:
        yield con
    except duckdb.Error as exc:
        _rollback(con)
        raise storage_error(exc, doing=doing) from exc
    except BaseException:
        _rollback(con)
        raise
    try:
        con.execute("COMMIT").fetchall()
    except duckdb.Error as exc:
        _rollback(con)
        raise storage_error(
            exc, doing=f"{doing}: commit failed" if doing else "commit failed"
        ) from exc
