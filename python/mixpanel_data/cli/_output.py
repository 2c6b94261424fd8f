"""The one renderer: every command's return value goes through :func:`render`.

Formats: ``json`` (an array of row objects; a report with parameters is an object with those
parameters and ``rows``; a single-object result is that object), ``jsonl`` (one object per
line), ``csv`` (header + rows), ``table`` (a box table for people), ``plain`` (one value per
line for one-column results, tab-separated values otherwise; no header). stdout carries data
only.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

import orjson

from mixpanel_data._result import Record, Result

if TYPE_CHECKING:
    import polars

    from mixpanel_data.cli._context import OutputFormat

__all__ = ["render", "to_json_bytes"]


def _default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if hasattr(value, "to_list"):  # a polars Series inside a list column
        return value.to_list()
    raise TypeError(f"cannot render a {type(value).__name__} as JSON")


def _clean(value: Any) -> Any:
    # JSON has no NaN/Infinity; render them as null rather than invalid JSON.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def to_json_bytes(data: Any, *, indent: bool = False) -> bytes:
    """Encode data as JSON the way every format of the CLI does (ISO 8601 times, UTF-8)."""
    option = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
    if indent:
        option |= orjson.OPT_INDENT_2
    return orjson.dumps(_sanitize(data), default=_default, option=option)


def _sanitize(data: Any) -> Any:
    if isinstance(data, float):
        return _clean(data)
    if isinstance(data, Mapping):
        return {k: _sanitize(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_sanitize(v) for v in data]
    return data


def _rows_of(frame: polars.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dicts()


def _cell(value: Any) -> str:
    """Text of one cell for csv/plain: JSON for nested values, ISO for times, '' for null."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float):
        return "" if not math.isfinite(value) else repr(value)
    if isinstance(value, int | decimal.Decimal):
        return str(value)
    return to_json_bytes(value).decode()


def _csv_field(text: str) -> str:
    # RFC 4180 quoting. Python's csv writer leaves a lone "\r" unquoted when the line
    # terminator is "\n", which a reader then drops; quote every line-break character.
    if any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _is_identifier_column(name: str) -> bool:
    # Ids and years read wrong with thousands separators (funnel 7,509; cohort 1,000).
    lowered = name.lower()
    return lowered.endswith(("id", "_ms")) or lowered in {"year", "page"}


def _table_cell(value: Any, *, grouped: bool = True) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}" if grouped else str(value)
    if isinstance(value, dt.datetime):
        # People read "2024-05-31 23:59:59.999"; the ISO "T" and microseconds only widen cells.
        text = value.strftime("%Y-%m-%d %H:%M:%S")
        if value.microsecond:
            text += f".{value.microsecond // 1000:03d}"
        return text + (value.strftime("%z") if value.tzinfo else "")
    if isinstance(value, float):
        if not math.isfinite(value):
            return "—"
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.6g}" if abs(value) >= 1 else f"{value:.4g}"
    return _cell(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool)


def _write_table(
    out: TextIO, columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None
) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    materialized = [list(r) for r in rows]
    table = Table(box=box.SQUARE, title=title, title_justify="left", highlight=False)
    for index, name in enumerate(columns):
        numeric = bool(materialized) and all(
            _is_number(r[index]) or r[index] is None for r in materialized
        )
        table.add_column(name, justify="right" if numeric else "left", overflow="fold")
    grouped = [not _is_identifier_column(name) for name in columns]
    for row in materialized:
        table.add_row(*(_table_cell(v, grouped=g) for v, g in zip(row, grouped, strict=True)))
    console = Console(file=out, soft_wrap=False, highlight=False, emoji=False, markup=False)
    console.print(table)


def _header_lines(header: Mapping[str, Any]) -> str:
    return "\n".join(f"{k}: {_cell(v)}" for k, v in header.items())


def render(result: Any, fmt: OutputFormat, out: TextIO) -> None:
    """Write a command's return value to ``out`` in the chosen format.

    ``None`` renders nothing. A ``str`` is text (a JSON string under json/jsonl). Results,
    records, polars frames, lists of dicts and dicts are data.
    """
    if result is None:
        return
    if isinstance(result, str):
        if fmt in ("json", "jsonl"):
            out.write(to_json_bytes(result).decode() + "\n")
        else:
            out.write(result if result.endswith("\n") else result + "\n")
        return
    if isinstance(result, Record):
        _render_record(result.to_dict(), fmt, out)
        return
    if isinstance(result, Mapping):
        _render_record(dict(result), fmt, out)
        return
    header: dict[str, Any] | None = None
    if isinstance(result, Result):
        header = result._header()
        frame = result._rows()
        columns, rows = list(frame.columns), _rows_of(frame)
    elif isinstance(result, list):
        rows = [dict(r) for r in result]
        columns = list(rows[0]) if rows else []
    else:
        columns, rows = list(result.columns), _rows_of(result)
    _render_rows(columns, rows, header, fmt, out)


def _render_record(data: dict[str, Any], fmt: OutputFormat, out: TextIO) -> None:
    if fmt == "json":
        out.write(to_json_bytes(data, indent=True).decode() + "\n")
    elif fmt == "jsonl":
        out.write(to_json_bytes(data).decode() + "\n")
    elif fmt == "csv":
        _render_rows(list(data), [data], None, fmt, out)
    elif fmt == "plain":
        for key, value in data.items():
            out.write(f"{key}\t{_cell(value)}\n")
    else:
        _write_table(out, ["field", "value"], ([k, v] for k, v in data.items()), None)


def _render_rows(
    columns: list[str],
    rows: list[dict[str, Any]],
    header: dict[str, Any] | None,
    fmt: OutputFormat,
    out: TextIO,
) -> None:
    if fmt == "json":
        body: Any = rows if header is None else {**header, "rows": rows}
        out.write(to_json_bytes(body, indent=True).decode() + "\n")
    elif fmt == "jsonl":
        for row in rows:
            out.write(to_json_bytes(row).decode() + "\n")
    elif fmt == "csv":
        out.write(",".join(_csv_field(c) for c in columns) + "\n")
        for row in rows:
            out.write(",".join(_csv_field(_cell(row.get(c))) for c in columns) + "\n")
    elif fmt == "plain":
        for row in rows:
            out.write("\t".join(_cell(row.get(c)) for c in columns) + "\n")
    else:
        title = _header_lines(header) if header else None
        _write_table(out, columns, ([row.get(c) for c in columns] for row in rows), title)
