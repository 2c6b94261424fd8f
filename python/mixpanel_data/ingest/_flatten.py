"""The flattening engine shared by the event and profile decoders.

Decoding runs in a private in-memory DuckDB connection (measured fastest on this workload; see
``benchmarks/README.md``): the NDJSON block is written to a scratch file and read with
``read_ndjson`` into ``(top-level fields…, properties JSON)``; the property keys of the block
are listed with ``json_keys``; then one query parses each ``properties`` object once
(``json_transform`` to a struct of JSON values) and casts every value to its column's type.

Types are learnt as batches go by. A key seen for the first time is classified over the whole
block (the set of its value kinds decides the type). Keys with a known type are cast with a
*check*: a value that does not fit (a float in a BIGINT column, an object in a VARCHAR column)
aborts the query, the block's keys are then all classified and the cast is redone with the
widened types. Values are never coerced lossily.
"""

from __future__ import annotations

import abc
import contextlib
import functools
import logging
import os
import re
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import duckdb
import orjson

from mixpanel_data._process import pid_alive
from mixpanel_data.ingest._batch import EventBatch, PropertyColumn
from mixpanel_data.ingest._decode_sql import (
    DRIFT_MARKER,
    KIND_MACRO,
    cast_expr,
    checked_cast_expr,
    pending_check_expr,
    pointer_value_expr,
)
from mixpanel_data.ingest._sql import quote_literal
from mixpanel_data.ingest._types import Kind, type_of_kinds

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pyarrow as pa

__all__ = [
    "MAX_PROPERTY_COLUMNS",
    "SCRATCH_PREFIX",
    "FlatteningDecoder",
    "make_scratch_dir",
    "sweep_scratch_dirs",
]

log = logging.getLogger(__name__)

MAX_PROPERTY_COLUMNS = 1000
"""Most flattened property columns per decoder (and per table, enforced by the writer).

DuckDB has no hard column limit (20,000 columns work), but inserting costs about 70–90 ns per
cell *including NULL cells* on disk, so each column slows every insert; 1,000 columns already
make a 1M-event insert take ~90 s. Keys past the limit stay JSON-only (in ``properties``).
"""


DECODER_MEMORY_LIMIT = "512MB"
"""Memory cap of a decoder's scratch DuckDB (a 50k-line block needs ~200 MB; more spills)."""


SCRATCH_PREFIX = "mp-ingest-"
"""Prefix of a decoder's scratch folder in the system temp folder: ``mp-ingest-<pid>-<random>``."""
_SCRATCH_NAME = re.compile(rf"{SCRATCH_PREFIX}(\d+)-")


def make_scratch_dir() -> str:
    """Create a decoder's scratch folder, first removing those of processes that have died.

    A decoder removes its folder when it is closed or collected, or at exit; a process killed
    with SIGKILL cannot, and its last block (up to ``BATCH_BYTES``) would stay in the temp
    folder for good. The folder's name records its process, so the next decoder of any
    process clears what dead ones left (once per process).
    """
    _sweep_once()
    return tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")


@functools.cache
def _sweep_once() -> None:
    sweep_scratch_dirs()


def sweep_scratch_dirs(root: str | None = None) -> list[str]:
    """Remove the scratch folders of processes no longer running; return their paths."""
    folder = Path(root or tempfile.gettempdir())
    removed: list[str] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _SCRATCH_NAME.match(entry.name)
        if match is None or pid_alive(int(match.group(1))) or not entry.is_dir():
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(str(entry))
    if removed:
        log.debug("removed %d scratch folder(s) left by dead processes", len(removed))
    return removed


class _RetryError(Exception):
    """A checked cast found a value that does not fit its column: classify and retry."""


class FlatteningDecoder(abc.ABC):
    """Shared machinery: scratch DuckDB, key registry, type learning, the typed query.

    Subclasses define how a block's lines become the staging table ``_mp_b`` (whose last column
    is ``properties``) and the SQL of the top-level output columns.
    """

    _what = "record"

    def __init__(
        self,
        *,
        max_columns: int = MAX_PROPERTY_COLUMNS,
        threads: int | None = None,
        memory_limit: str = DECODER_MEMORY_LIMIT,
    ):
        if max_columns < 0:
            raise ValueError("max_columns must be >= 0")
        self._dir = make_scratch_dir()
        self._path = str(Path(self._dir) / "block.ndjson")
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._dir, True)
        config: dict[str, str | bool | int | float | list[str]] = {
            "preserve_insertion_order": True,
            # JSON columns leave as Arrow's arrow.json extension type, so the writer's
            # DuckDB takes them as JSON without re-validating every document (~18% faster).
            "arrow_lossless_conversion": True,
            "memory_limit": memory_limit,
            # A block larger than the limit spills here rather than failing.
            "temp_directory": str(Path(self._dir) / "spill"),
        }
        if threads is not None:
            config["threads"] = threads
        self._con = duckdb.connect(":memory:", config=config)
        # The library never prints; DuckDB's progress bar would, on long blocks. Inside
        # Jupyter DuckDB refuses to change the setting at all unless ipywidgets is installed
        # (InvalidInputException); there its bar is a widget, not printed text, so go on.
        with contextlib.suppress(duckdb.InvalidInputException):
            self._con.execute("SET enable_progress_bar = false").fetchall()
        self._con.execute(KIND_MACRO).fetchall()
        self._max_columns = max_columns
        self._kinds: dict[str, Kind] = {}
        self._dropped: set[str] = set()
        self._warned = False

    # -- lifecycle --------------------------------------------------------------------------
    def close(self) -> None:
        """Release the scratch database and file."""
        self._con.close()
        self._cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- state ------------------------------------------------------------------------------
    @property
    def columns(self) -> tuple[PropertyColumn, ...]:
        """The property columns learnt so far, in first-seen order."""
        out = []
        for key, kinds in self._kinds.items():
            column_type = type_of_kinds(kinds)
            if column_type is not None:
                out.append(PropertyColumn(key=key, type=column_type, kinds=kinds))
        return tuple(out)

    @property
    def json_only_keys(self) -> frozenset[str]:
        """Keys left out of the flattened columns (``max_columns`` reached, or no valid name)."""
        return frozenset(self._dropped)

    # -- hooks for subclasses ---------------------------------------------------------------
    @abc.abstractmethod
    def _stage(self, path: str) -> str:
        """Return the statement creating ``_mp_b`` from the NDJSON file at ``path``."""

    @abc.abstractmethod
    def _reserved_keys(self) -> tuple[str, ...]:
        """Property keys the top-level columns read (always parsed, never flattened)."""

    @abc.abstractmethod
    def _top_level(self, value: dict[str, str]) -> list[str]:
        """Return the top-level output expressions; ``value[key]`` is each reserved key's JSON."""

    @abc.abstractmethod
    def _check_rows(self) -> str:
        """Return a predicate true for rows of ``_mp_b`` that are not valid records."""

    @abc.abstractmethod
    def _error(self, data: bytes, first_line: int, detail: str | None) -> Exception:
        """Return the error for a block that failed to decode (naming the bad line)."""

    # -- decoding ---------------------------------------------------------------------------
    def _decode_file(self, data: bytes, *, first_line: int, lines: int) -> EventBatch:
        with open(self._path, "wb") as fh:  # noqa: PTH123 - a plain write of one buffer
            fh.write(data)
        try:
            self._exec(self._stage(self._path))
            bad = self._fetch_one(f"SELECT count(*) FROM _mp_b WHERE {self._check_rows()}")  # noqa: S608 - built from quoted identifiers and literals
        except duckdb.Error as exc:
            raise self._error(data, first_line, str(exc).splitlines()[0]) from exc
        if bad:
            raise self._error(data, first_line, None)
        keys = [
            str(row[0])
            for row in self._exec("SELECT DISTINCT unnest(json_keys(properties)) FROM _mp_b")
        ]
        new = self._register(keys)
        present = [k for k in self._kinds if k in set(keys)]
        try:
            table, columns = self._typed(data, first_line, present=present, classify=new)
        finally:
            self._exec("DROP TABLE IF EXISTS _mp_x")
            self._exec("DROP TABLE IF EXISTS _mp_b")
        return EventBatch(
            data=table, columns=columns, first_line=first_line, lines=lines, nbytes=len(data)
        )

    def _register(self, keys: Sequence[str]) -> list[str]:
        """Add keys never seen before (sorted, so the order is deterministic); return them.

        Case variants sort together with the all-lowercase spelling first, so when ``plan``
        and ``Plan`` first appear in one batch the common lowercase key gets the bare column
        name and the variant the ``_2`` suffix (DuckDB names are case-insensitive).

        The empty key and keys with a NUL character never get a column (DuckDB cannot name
        them); they stay in ``properties`` like every key.
        """
        reserved = set(self._reserved_keys())
        new = sorted(
            (k for k in keys if k not in self._kinds and k not in self._dropped),
            key=lambda k: (k.lower(), k != k.lower(), k),
        )
        added = []
        for key in new:
            if key in reserved:
                continue
            if not key or "\x00" in key:
                self._dropped.add(key)
                continue
            if len(self._kinds) >= self._max_columns:
                if not self._warned:
                    self._warned = True
                    log.warning(
                        "more than %d property keys: %r and later new keys stay in the "
                        "properties JSON only",
                        self._max_columns,
                        key,
                    )
                self._dropped.add(key)
                continue
            self._kinds[key] = Kind.NONE
            added.append(key)
        return added

    def _spec(self, keys: Sequence[str]) -> tuple[dict[str, int], str]:
        """Return (key → struct position) for ``json_transform`` and the structure literal.

        DuckDB rejects a structure with two keys differing only in case, so only the first key
        of each case-insensitive group goes in it; the others are read with a JSON pointer.
        """
        positions: dict[str, int] = {}
        lowered: set[str] = set()
        for key in (*self._reserved_keys(), *keys):
            if key.lower() in lowered:
                continue
            lowered.add(key.lower())
            positions[key] = len(positions) + 1
        structure = orjson.dumps(dict.fromkeys(positions, "JSON")).decode()
        return positions, quote_literal(structure)

    def _values(self, positions: dict[str, int], keys: Sequence[str]) -> dict[str, str]:
        return {
            key: (
                f"struct_extract_at(_p, {positions[key]})"
                if key in positions
                else pointer_value_expr("properties", key)
            )
            for key in keys
        }

    def _typed(
        self, data: bytes, first_line: int, *, present: list[str], classify: list[str]
    ) -> tuple[pa.Table, tuple[PropertyColumn, ...]]:
        """Cast the block's values: classify new keys, check known ones, retry on drift."""
        positions, structure = self._spec(present)
        if not positions:
            # Nothing to parse (a profile page that is empty, or whose keys all stay
            # JSON-only): DuckDB refuses an empty json_transform structure.
            return self._select("_mp_b", positions, [], set(), first_line, data)
        source = f"(SELECT *, json_transform(properties, {structure}) AS _p FROM _mp_b)"  # noqa: S608 - built from quoted identifiers and literals
        # Keys seen so far only as null are not re-classified every block: the query checks
        # them (a value makes it fail and retry with a full classification).
        if classify:
            self._exec(f"CREATE OR REPLACE TEMP TABLE _mp_x AS SELECT * FROM {source}")  # noqa: S608 - built from quoted identifiers and literals
            source = "_mp_x"
            self._classify(positions, classify)
        checked = set(present) - set(classify)
        try:
            return self._select(source, positions, present, checked, first_line, data)
        except _RetryError:
            if source != "_mp_x":
                self._exec(f"CREATE OR REPLACE TEMP TABLE _mp_x AS SELECT * FROM {source}")  # noqa: S608 - built from quoted identifiers and literals
                source = "_mp_x"
            self._classify(positions, present)
            return self._select(source, positions, present, set(), first_line, data)

    def _classify(self, positions: dict[str, int], keys: Sequence[str]) -> None:
        values = self._values(positions, keys)
        aggregates = ", ".join(f"bit_or(_mp_kind({values[k]}))::INTEGER" for k in keys)
        row = self._exec(f"SELECT {aggregates} FROM _mp_x")[0]  # noqa: S608 - built from quoted identifiers and literals
        for key, kinds in zip(keys, row, strict=True):
            self._kinds[key] |= Kind(int(kinds or 0))

    def _select(
        self,
        source: str,
        positions: dict[str, int],
        present: list[str],
        checked: set[str],
        first_line: int,
        data: bytes,
    ) -> tuple[pa.Table, tuple[PropertyColumn, ...]]:
        columns = tuple(c for c in self.columns if c.key in set(present))
        pending = [k for k in present if self._kinds[k] == Kind.NONE]
        values = self._values(
            positions, [*self._reserved_keys(), *(c.key for c in columns), *pending]
        )
        select = self._top_level(values)
        for i, column in enumerate(columns):
            value = values[column.key]
            expr = (
                checked_cast_expr(value, column.type, column.kinds, i)
                if column.key in checked
                else cast_expr(value, column.type)
            )
            select.append(f"{expr} AS p{i}")
        where = ""
        if pending:
            checks = ", ".join(pending_check_expr(values[k], -1) for k in pending)
            where = f" WHERE coalesce({checks}) IS NULL"
        query = f"SELECT {', '.join(select)} FROM {source}{where}"  # noqa: S608 - built from quoted identifiers and literals
        try:
            return self._con.sql(query).to_arrow_table(), columns
        except duckdb.Error as exc:
            if DRIFT_MARKER in str(exc):
                raise _RetryError from exc
            raise self._error(data, first_line, str(exc).splitlines()[0]) from exc

    # -- small helpers ----------------------------------------------------------------------
    def _exec(self, sql: str) -> list[tuple[Any, ...]]:
        return self._con.execute(sql).fetchall()

    def _fetch_one(self, sql: str) -> object:
        return self._exec(sql)[0][0]
