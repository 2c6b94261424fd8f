"""The one place that opens DuckDB: connections, locking, transactions and error mapping.

DuckDB allows one process to write a database file, or many processes to read it, never
both (verified on duckdb 2.0.1: a read-only open also fails while another process holds the
file read-write, and a read-write open fails while any process reads). So:

- readers open the file read-only, and when a writer holds it they retry for a short while
  (``lock_timeout``) before failing with :class:`DatabaseLockedError`;
- writers open it read-write and fail fast (a short wait, for a reader to finish);
- the error names the other process, parsed from DuckDB's lock message (``PID 4242``);
- within one process DuckDB shares one instance per file and refuses to open it in a second
  mode, so a reader that finds the file already open read-write in this process shares that
  instance (our own statement checks still keep it from writing).

A :class:`Database` opens its connection lazily. With ``keep_open=False`` it closes the
connection (and so releases the file lock) after every operation, which lets a notebook
and the ``mp`` CLI take turns on the same file.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from mixpanel_data.exceptions import DatabaseLockedError, ReadOnlyError, StorageError
from mixpanel_data.store._errors import (
    is_config_conflict,
    is_lock_conflict,
    sql_error,
    storage_error,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    import polars

__all__ = ["READ_LOCK_TIMEOUT", "WRITE_LOCK_TIMEOUT", "Database"]

log = logging.getLogger(__name__)

READ_LOCK_TIMEOUT = 3.0
"""Seconds a reader waits for a writer to release the file before giving up."""
WRITE_LOCK_TIMEOUT = 0.5
"""Seconds a writer waits for the file: long enough for a quick reader to finish."""

_MAX_POLL = 0.25


class Database:
    """A DuckDB database file (or an in-memory database), opened on first use.

    Parameters
    ----------
    path
        The database file; ``None`` for an in-memory database.
    read_only
        Open the file read-only and refuse every write.
    must_exist
        For a read-only database: fail when the file does not exist (otherwise reads see an
        empty database and nothing is created).
    keep_open
        Keep the connection (and the file lock) between operations; ``False`` releases it
        after each one.
    lock_timeout
        Seconds to wait for another process's lock (default: 3 s for readers, 0.5 s for
        writers).
    sleep, clock
        Injected for tests.
    """

    def __init__(
        self,
        path: str | Path | None,
        *,
        read_only: bool = False,
        must_exist: bool = False,
        keep_open: bool = True,
        lock_timeout: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._path = Path(path) if path is not None else None
        self._read_only = read_only
        self._must_exist = must_exist
        self._keep_open = keep_open
        self._lock_timeout = lock_timeout
        self._sleep = sleep
        self._clock = clock
        self._con: duckdb.DuckDBPyConnection | None = None
        self._writable = False
        self._depth = 0
        self._pinned = False
        self._in_transaction = False
        self._lock = threading.RLock()

    # -- properties --------------------------------------------------------------------------

    @property
    def path(self) -> Path | None:
        """The database file (``None`` in memory)."""
        return self._path

    @property
    def read_only(self) -> bool:
        """Whether writes are refused."""
        return self._read_only

    @property
    def is_open(self) -> bool:
        """Whether a connection (and so the file lock) is currently held."""
        return self._con is not None

    @property
    def label(self) -> str | None:
        """The path as text for error messages (``None`` in memory)."""
        return str(self._path) if self._path is not None else None

    def __repr__(self) -> str:
        mode = "read-only" if self._read_only else "read-write"
        return f"Database({self.label or ':memory:'}, {mode})"

    # -- opening -----------------------------------------------------------------------------

    def _timeout(self, write: bool) -> float:
        if self._lock_timeout is not None:
            return max(0.0, self._lock_timeout)
        return WRITE_LOCK_TIMEOUT if write else READ_LOCK_TIMEOUT

    def _connect(self, *, write: bool) -> tuple[duckdb.DuckDBPyConnection, bool]:
        """Open a connection; returns it and whether it can write."""
        if self._path is None:
            return self._configure(duckdb.connect(":memory:")), True
        if not write and not self._path.exists():
            if self._must_exist:
                raise StorageError(
                    f"no database file at {self._path}",
                    path=self.label,
                    hint="check the path; `mp db path` prints the workspace's file",
                )
            # Nothing has been written yet: an empty in-memory database reads the same, and
            # reading does not create files. (Not writable: a write reopens the file.)
            return self._configure(duckdb.connect(":memory:")), False
        if write:
            self._path.parent.mkdir(parents=True, exist_ok=True)
        deadline = self._clock() + self._timeout(write)
        delay = 0.02
        while True:
            try:
                con = duckdb.connect(str(self._path), read_only=not write)
                return self._configure(con), write
            except duckdb.Error as exc:
                if is_config_conflict(exc):
                    return self._share_instance(exc, write=write)
                remaining = deadline - self._clock()
                if is_lock_conflict(exc) and remaining > 0:
                    log.debug("%s is locked; retrying in %.2fs", self._path, delay)
                    self._sleep(min(delay, remaining))
                    delay = min(delay * 2, _MAX_POLL)
                    continue
                raise storage_error(exc, path=self.label, doing="cannot open the database") from exc

    def _share_instance(
        self, exc: duckdb.Error, *, write: bool
    ) -> tuple[duckdb.DuckDBPyConnection, bool]:
        """This process already has the file open in the other mode."""
        if write:
            raise DatabaseLockedError(
                f"this process already has {self._path} open read-only",
                path=self.label,
                hint="close the read-only Workspace first (DuckDB opens a file in one mode "
                "per process)",
            ) from exc
        # The file is open read-write in this process: share that instance. The statement
        # checks of the callers still refuse writes for a read-only Database.
        try:
            return self._configure(duckdb.connect(str(self._path))), True
        except duckdb.Error as again:
            raise storage_error(again, path=self.label, doing="cannot open the database") from again

    @staticmethod
    def _configure(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
        # Stored times are UTC (Mixpanel's export); render TIMESTAMPTZ values in UTC too, so
        # the same query prints the same text on every machine.
        con.execute("SET SESSION TimeZone = 'UTC'").fetchall()
        return con

    def _acquire(self, *, write: bool) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if write and self._con is not None and not self._writable:
                if self._depth:
                    raise StorageError(
                        "cannot start writing while a read of the same database is in progress",
                        path=self.label,
                    )
                self._drop_connection()
            if self._con is None:
                self._con, self._writable = self._connect(write=write)
            self._depth += 1
            return self._con

    def _leave(self) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0 and not self._keep_open and not self._pinned:
                self._drop_connection()

    def _drop_connection(self) -> None:
        con, self._con, self._writable = self._con, None, False
        if con is not None:
            try:
                con.close()
            except duckdb.Error as exc:
                raise storage_error(exc, path=self.label, doing="closing the database") from exc

    # -- sessions ----------------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to read with (read-only unless this Database keeps a writer open)."""
        # A writer that keeps the file open anyway opens it read-write at once (no reopening
        # when the first write comes); otherwise reads take the shared, read-only lock.
        con = self._acquire(write=not self._read_only and self._keep_open)
        try:
            yield con
        finally:
            self._leave()

    @contextmanager
    def writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection that can write (``ReadOnlyError`` for a read-only Database)."""
        if self._read_only:
            raise ReadOnlyError(
                f"{self.label or 'the database'} is open read-only",
                path=self.label,
                hint="open the Workspace with read_only=False (the CLI: pass --write to mp query)",
            )
        con = self._acquire(write=True)
        try:
            yield con
        finally:
            self._leave()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Run a block in one transaction: committed at the end, rolled back on any error.

        Nested calls join the outer transaction.
        """
        with self.writing() as con:
            if self._in_transaction:
                yield con
                return
            self._begin(con)
            self._in_transaction = True
            try:
                yield con
            except BaseException:
                self._in_transaction = False
                self._rollback(con)
                raise
            self._in_transaction = False
            try:
                con.execute("COMMIT").fetchall()
            except duckdb.Error as exc:
                self._rollback(con)
                raise storage_error(exc, path=self.label, doing="commit failed") from exc

    def _begin(self, con: duckdb.DuckDBPyConnection) -> None:
        try:
            con.execute("BEGIN TRANSACTION").fetchall()
        except duckdb.Error as exc:
            raise storage_error(exc, path=self.label, doing="cannot start a transaction") from exc

    @staticmethod
    def _rollback(con: duckdb.DuckDBPyConnection) -> None:
        try:
            con.execute("ROLLBACK").fetchall()
        except duckdb.Error as exc:
            # Already rolled back by DuckDB itself (a failed statement aborts the transaction).
            log.debug("rollback: %s", exc)

    @property
    def in_transaction(self) -> bool:
        """Whether a :meth:`transaction` block is running."""
        return self._in_transaction

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The raw DuckDB connection, held open (and the file locked) until :meth:`release`.

        Read-write unless the Database is read-only. The escape hatch: statements run on it
        bypass the library's checks.
        """
        con = self._acquire(write=not self._read_only)
        with self._lock:
            self._pinned = True
            self._depth -= 1
        return con

    def release(self) -> None:
        """Close the connection now (if nothing is using it), releasing the file lock."""
        with self._lock:
            self._pinned = False
            if self._depth == 0:
                self._drop_connection()

    close = release

    # -- convenience -------------------------------------------------------------------------

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one (internal) read statement and return all its rows."""
        with self.reading() as con:
            try:
                return con.execute(sql, params).fetchall()
            except duckdb.Error as exc:
                raise sql_error(exc, sql, path=self.label) from exc

    def frame(self, sql: str, params: Sequence[Any] | None = None) -> polars.DataFrame:
        """Run one (internal) read statement and return its result as a polars frame."""
        with self.reading() as con:
            try:
                frame: polars.DataFrame = con.sql(sql, params=params).pl()
                return frame
            except duckdb.Error as exc:
                raise sql_error(exc, sql, path=self.label) from exc

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one (internal) statement that writes, and return its rows."""
        with self.writing() as con:
            try:
                return con.execute(sql, params).fetchall()
            except duckdb.Error as exc:
                raise sql_error(exc, sql, path=self.label) from exc

    def relation_exists(self, name: str) -> bool:
        """Whether a table or view called ``name`` exists in the main schema."""
        rows = self.fetchall(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND lower(table_name) = lower(?) "
            "UNION ALL SELECT count(*) FROM duckdb_views() WHERE database_name = "
            "current_database() AND schema_name = 'main' AND NOT internal "
            "AND lower(view_name) = lower(?)",
            [name, name],
        )
        return any(row[0] for row in rows)
