"""``mp query``: run SQL on the local database.

Read-only unless ``--write`` is given, so an agent cannot drop a table by accident. The SQL
comes from the argument, ``--file``, or standard input; the result is printed in
``--format``, or streamed into ``--output FILE`` (format from the extension).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars  # cyclopts evaluates the annotations at runtime
from cyclopts import Parameter

from mixpanel_data._types_db import ExportResult
from mixpanel_data.cli._context import CtxParam
from mixpanel_data.exceptions import ValidationError

__all__ = ["query"]


def query(
    sql: str | None = None,
    /,
    *,
    file: Path | None = None,
    output: Path | None = None,
    write: Annotated[bool, Parameter(negative="")] = False,
    ctx: CtxParam,
) -> polars.DataFrame | ExportResult:
    """Run SQL on the local database and print the result.

    Parameters
    ----------
    sql
        The SQL to run (several statements may be separated by ';': the last one's result
        is printed). Without it (and without --file) the SQL is read from standard input.
    file
        Read the SQL from this file ('-' for standard input).
    output
        Write the rows to this file instead of printing them; the extension picks the
        format (.parquet, .csv, .json, .jsonl; .gz compresses text). Streams large results.
    write
        Allow statements that change the database (INSERT, CREATE, DROP, COPY ...). They
        run in one transaction: if one fails, none of their changes is kept.
    """
    text = _read_sql(sql, file, ctx)
    ws = ctx.workspace if write else ctx.open_workspace(read_only=True)
    if output is not None:
        return ws.query_to_file(text, output, write=write)
    return ws.query_pl(text, write=write, decode_json=True)


def _read_sql(sql: str | None, file: Path | None, ctx: CtxParam) -> str:
    if sql is not None and file is not None:
        raise ValidationError(
            "pass the SQL as an argument or with --file, not both", hint="drop one of them"
        )
    if file is not None and str(file) != "-":
        try:
            return file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValidationError(
                f"cannot read the SQL file {str(file)!r}: {exc.strerror}",
                hint="check the path given to --file",
            ) from exc
    if sql is not None and sql != "-":
        return sql
    if file is None and sql is None and ctx.stdin_is_tty:
        raise ValidationError(
            "no SQL to run",
            hint='pass it as an argument (mp query "SELECT ..."), with --file, or on stdin',
        )
    return ctx.stdin.read()
