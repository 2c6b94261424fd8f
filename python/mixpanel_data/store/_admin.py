"""Whole-database operations: dropping tables, emptying and compacting the file.

DuckDB reuses the space of dropped rows but never gives it back to the file system (verified
on 2.0.1: a file keeps its size after ``DROP TABLE``, ``VACUUM`` and ``CHECKPOINT``). The
way to shrink a file is to copy the database into a new one (``COPY FROM DATABASE``) and
swap the files. We do that while holding the old file's write lock, so no other process can
open the old file in between, and rename the new file over it atomically; processes that
open the path afterwards get the new file.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

import duckdb

from mixpanel_data._types_db import ResetResult, VacuumResult, human_bytes
from mixpanel_data.store._errors import storage_error
from mixpanel_data.store._files import file_bytes, remove_database_files
from mixpanel_data.store._introspect import METADATA_DDL, metadata_exists
from mixpanel_data.store._sql import quote_ident, quote_literal

if TYPE_CHECKING:
    from mixpanel_data.store._database import Database

__all__ = ["compact", "drop_relation", "reset"]

log = logging.getLogger(__name__)

_NEW = "_mp_rewrite"


def drop_relation(db: Database, name: str) -> None:
    """Drop a table or view by its stored name, with its ``_mp_*`` records."""
    is_view = bool(
        db.fetchall(
            "SELECT count(*) FROM duckdb_views() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND NOT internal AND view_name = ?",
            [name],
        )[0][0]
    )
    has_meta = metadata_exists(db)
    with db.transaction() as con:
        kind = "VIEW" if is_view else "TABLE"
        con.execute(f"DROP {kind} {quote_ident(name)}").fetchall()
        if has_meta:
            con.execute("DELETE FROM _mp_tables WHERE name = ?", [name]).fetchall()
            con.execute("DELETE FROM _mp_fetch_log WHERE table_name = ?", [name]).fetchall()


def _user_relations(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND NOT internal AND NOT temporary "
        "AND NOT starts_with(table_name, '_mp_') "
        "UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND NOT internal AND NOT temporary ORDER BY 1"
    ).fetchall()
    return [str(r[0]) for r in rows]


def _rewrite(db: Database, *, copy: bool) -> None:
    """Replace the file with a new one: a compact copy, or an empty database (with mp's
    metadata tables). Runs under the write lock; the connection is closed at the end."""
    path = db.path
    assert path is not None
    tmp = path.with_name(f".{path.name}.rewrite-{os.getpid()}")
    remove_database_files(tmp)
    try:
        with db.writing() as con:
            try:
                current = con.execute("SELECT current_database()").fetchall()[0][0]
                con.execute(f"ATTACH {quote_literal(str(tmp))} AS {_NEW}").fetchall()
                try:
                    if copy:
                        con.execute(
                            f"COPY FROM DATABASE {quote_ident(current)} TO {_NEW}"
                        ).fetchall()
                    else:
                        con.execute(f"USE {_NEW}").fetchall()
                        try:
                            for statement in METADATA_DDL:
                                con.execute(statement).fetchall()
                        finally:
                            con.execute(f"USE {quote_ident(current)}").fetchall()
                finally:
                    con.execute(f"DETACH {_NEW}").fetchall()
                # Nothing may be left in the old file's WAL: after the rename that WAL's name
                # belongs to the new file.
                con.execute("FORCE CHECKPOINT").fetchall()
            except duckdb.Error as exc:
                raise storage_error(exc, path=db.label, doing="rewriting the database") from exc
            tmp.replace(path)
        db.release()
    finally:
        remove_database_files(tmp)


def compact(db: Database) -> VacuumResult:
    """Rewrite the database compactly, giving the space of deleted data back to the disk."""
    path = db.path
    if path is None or not path.exists():
        label = db.label or ":memory:"
        return VacuumResult(path=label, bytes_before=0, bytes_after=0, reclaimed=human_bytes(0))
    before = sum(file_bytes(path))
    _rewrite(db, copy=True)
    after = sum(file_bytes(path))
    return VacuumResult(
        path=str(path),
        bytes_before=before,
        bytes_after=after,
        reclaimed=human_bytes(max(0, before - after)),
    )


def reset(db: Database) -> ResetResult:
    """Empty the database: every table and view goes; the file is made new."""
    path = db.path
    if path is not None and not path.exists():
        return ResetResult(path=str(path), dropped=[])
    with db.writing() as con:
        try:
            dropped = _user_relations(con)
        except duckdb.Error as exc:
            raise storage_error(exc, path=db.label, doing="listing the tables") from exc
    if path is None:
        _drop_all_in_memory(db, dropped)
        return ResetResult(path=":memory:", dropped=dropped)
    _rewrite(db, copy=False)
    return ResetResult(path=str(path), dropped=dropped)


def _drop_all_in_memory(db: Database, names: list[str]) -> None:
    with db.transaction() as con:
        views = {
            str(r[0])
            for r in con.execute(
                "SELECT view_name FROM duckdb_views() WHERE NOT internal AND NOT temporary"
            ).fetchall()
        }
        for name in names:
            kind = "VIEW" if name in views else "TABLE"
            con.execute(f"DROP {kind} IF EXISTS {quote_ident(name)} CASCADE").fetchall()
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND NOT temporary "
            "AND starts_with(table_name, '_mp_')"
        ).fetchall():
            con.execute(f"DELETE FROM {quote_ident(name)}").fetchall()  # noqa: S608 - quoted identifier
