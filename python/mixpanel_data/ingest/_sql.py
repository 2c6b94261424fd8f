"""SQL text helpers shared by the ingest decoder and the store writer.

Identifiers are always double-quoted (property names are arbitrary: ``$browser``, spaces,
quotes, unicode) and string literals single-quoted with quotes doubled. Values are bound as
parameters wherever DuckDB accepts a parameter; these helpers are for the places it does not
(identifiers, ``json_transform`` structures and JSON paths, which must be constants).
"""

from __future__ import annotations

__all__ = ["json_pointer", "quote_ident", "quote_literal"]


def quote_ident(name: str) -> str:
    """Return ``name`` as a double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """Return ``text`` as a single-quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def json_pointer(key: str) -> str:
    """Return the JSON Pointer (RFC 6901) addressing top-level ``key`` of an object.

    DuckDB accepts pointers wherever it accepts ``$.a`` paths, and a pointer needs no quoting
    rules for ``$``, dots, spaces or quotes in the key: only ``~`` and ``/`` are escaped.
    """
    return "/" + key.replace("~", "~0").replace("/", "~1")
