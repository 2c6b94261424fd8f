"""SQL text helpers: identifier and literal quoting, and statement classification.

Statements are classified with DuckDB's own parser (``extract_statements`` gives each
statement's type), never with regular expressions: a comment, a string literal or a CTE
cannot fool it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "READING_TYPES",
    "ParsedStatement",
    "quote_ident",
    "quote_literal",
    "select_all",
    "split_statements",
    "statement_body",
    "writing_statements",
]

_ST = duckdb.StatementType

# Statement types that cannot change the database. Everything else (INSERT, UPDATE, DELETE,
# CREATE, DROP, ALTER, COPY in either direction, EXPORT, ATTACH, VACUUM, PREPARE/EXECUTE of
# an unknown statement, ...) counts as writing and needs write permission. LOAD/INSTALL
# only touch DuckDB's extension directory, SET/RESET and transactions only the session.
READING_TYPES: frozenset[duckdb.StatementType] = frozenset(
    {_ST.SELECT, _ST.EXPLAIN, _ST.PRAGMA, _ST.CALL, _ST.SET, _ST.TRANSACTION, _ST.LOAD}
)


def quote_ident(name: str) -> str:
    """Quote an SQL identifier for DuckDB (``"$browser"``, ``"my ""odd"" name"``)."""
    return '"' + name.replace('"', '""') + '"'


def select_all(table: str) -> str:
    """``SELECT * FROM "table"``: every row of a table, for export."""
    return f"SELECT * FROM {quote_ident(table)}"  # noqa: S608 - quoted identifier


def quote_literal(value: str) -> str:
    """Quote a string literal for DuckDB (for the few places that cannot bind parameters)."""
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    """One statement of a script, as DuckDB's parser sees it.

    Attributes
    ----------
    text
        The statement's text (as DuckDB cut it, comments and ``;`` included).
    body
        The text without trailing ``;`` and comments (leading text kept, so DuckDB's line
        numbers still match), safe to wrap in a subquery.
    kind
        DuckDB's statement type name (``SELECT``, ``INSERT``, ...), or ``UNKNOWN``.
    writes
        Whether the statement can change the database.
    offset
        Where ``text`` starts in the whole script (to place error positions).
    """

    text: str
    body: str
    kind: str
    writes: bool
    offset: int


def statement_body(text: str) -> str:
    """Strip trailing ``;`` and comments from one statement, using DuckDB's tokenizer."""
    tokens = duckdb.tokenize(text)
    cut = len(text)
    for position, kind in reversed(tokens):
        if kind == duckdb.token_type.comment or (
            kind == duckdb.token_type.operator and text[position : position + 1] == ";"
        ):
            cut = position
            continue
        break
    return text[:cut].rstrip()


def split_statements(con: duckdb.DuckDBPyConnection, sql: str) -> list[ParsedStatement]:
    """Parse a script into statements with their types.

    Raises
    ------
    duckdb.Error
        The script does not parse (the caller maps it to ``SQLError``).
    """
    statements = con.extract_statements(sql)
    parsed: list[ParsedStatement] = []
    cursor = 0
    for statement in statements:
        text = statement.query
        found = sql.find(text, cursor)
        offset = found if found >= 0 else cursor
        cursor = offset + len(text) if found >= 0 else cursor
        try:
            kind = statement.type
        except ValueError:
            # The binding raises ValueError for statement types it has no enum member for
            # (``UPDATE EXTENSIONS``): treat such a statement as unknown, and writing.
            parsed.append(ParsedStatement(text, statement_body(text), "UNKNOWN", True, offset))
            continue
        parsed.append(
            ParsedStatement(
                text=text,
                body=statement_body(text),
                kind=kind.name,
                writes=kind not in READING_TYPES,
                offset=offset,
            )
        )
    return parsed


def writing_statements(statements: Sequence[ParsedStatement]) -> list[ParsedStatement]:
    """The statements of a script that can change the database."""
    return [s for s in statements if s.writes]
