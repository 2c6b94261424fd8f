"""Streaming query results into files: Parquet, CSV, JSON and JSON Lines.

Rows arrive as Arrow record batches, so a result of any size is written with bounded
memory. Values are written the way the CLI prints them: times in ISO 8601, JSON columns as
JSON (not as strings holding JSON), NULL as ``null`` (an empty CSV cell). Text formats
may be gzip-compressed by adding ``.gz`` to the file name. The file appears only when
complete: rows go to a temporary file next to it, renamed at the end.
"""

from __future__ import annotations

import datetime as dt
import decimal
import gzip
import io
import math
import os
import uuid
from typing import IO, TYPE_CHECKING, Any, Literal

import orjson

from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

    import pyarrow

__all__ = [
    "ExportFormat",
    "csv_field",
    "decode_json_value",
    "export_format",
    "json_default",
    "text_cell",
    "unique_names",
    "write_batches",
]

ExportFormat = Literal["parquet", "csv", "json", "jsonl"]

_EXTENSIONS: dict[str, ExportFormat] = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_INT64 = 2**63


def export_format(path: Path, fmt: str | None = None) -> tuple[ExportFormat, bool]:
    """The format to write ``path`` in (from ``fmt`` or the extension) and whether to gzip it.

    Raises
    ------
    ValidationError
        The extension (or ``fmt``) is not a supported format.
    """
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    if gz:
        suffixes = suffixes[:-1]
    if fmt is not None:
        chosen = _EXTENSIONS.get("." + fmt.lower().lstrip("."))
        if chosen is None:
            raise ValidationError(
                f"unknown export format {fmt!r}", hint="use parquet, csv, json or jsonl"
            )
    else:
        chosen = _EXTENSIONS.get(suffixes[-1]) if suffixes else None
        if chosen is None:
            raise ValidationError(
                f"cannot tell the format of {path.name!r} from its extension",
                hint="name the file .parquet, .csv, .json or .jsonl (.ndjson); add .gz to "
                "compress a text format",
            )
    if gz and chosen == "parquet":
        raise ValidationError(
            f"{path.name!r}: Parquet is compressed already; drop the .gz",
            hint="name the file .parquet",
        )
    return chosen, gz


def json_default(value: Any) -> Any:
    """Encode what orjson does not know: decimals, bytes, sets (times it knows: ISO 8601)."""
    if isinstance(value, decimal.Decimal):
        if value == value.to_integral_value() and -_INT64 <= value < _INT64:
            return int(value)
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, int):  # beyond 64 bits: orjson cannot write it as a number
        return str(value)
    raise TypeError(f"cannot write a {type(value).__name__} as JSON")


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value, default=json_default, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        # An integer beyond 64 bits inside a nested value: orjson refuses it without asking
        # the default hook, so fall back to the standard library (slow, and rare).
        import json

        return json.dumps(value, default=json_default, ensure_ascii=False).encode()


def text_cell(value: Any) -> str:
    """A CSV cell: '' for NULL, ISO 8601 for times, true/false, JSON for nested values."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    if isinstance(value, int | decimal.Decimal):
        return str(value)
    return _dumps(value).decode()


def csv_field(text: str) -> str:
    """One RFC 4180 field: quoted when it holds a comma, a quote or any line break.

    (Python's csv writer leaves a lone carriage return unquoted when lines end with
    ``\\n``, and readers then lose it.)
    """
    if any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def decode_json_value(value: Any) -> Any:
    """Parse JSON text into Python values (text that does not parse is kept as is)."""
    if value is None:
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return value  # not JSON after all (e.g. an integer beyond 64 bits): keep the text


def unique_names(names: Sequence[str]) -> list[str]:
    """Column names made unique the way polars does it (``a``, ``a_1``, ...)."""
    seen: set[str] = set()
    result = []
    for name in names:
        candidate, n = name, 0
        while candidate in seen:
            n += 1
            candidate = f"{name}_{n}"
        seen.add(candidate)
        result.append(candidate)
    return result


def _rows(batch: pyarrow.RecordBatch, json_columns: set[int]) -> Iterator[list[Any]]:
    columns = []
    for index in range(batch.num_columns):
        values = batch.column(index).to_pylist()
        if index in json_columns:
            values = [decode_json_value(v) for v in values]
        columns.append(values)
    return (list(row) for row in zip(*columns, strict=True))


def write_batches(
    reader: pyarrow.RecordBatchReader,
    path: Path,
    fmt: ExportFormat,
    *,
    gz: bool = False,
    json_columns: set[int] | None = None,
) -> int:
    """Write every batch of ``reader`` to ``path``; return the number of rows written.

    ``json_columns`` are the positions of columns holding JSON text (DuckDB's JSON type):
    written as JSON values in text formats, as Parquet's JSON logical type in Parquet.
    """
    json_columns = json_columns or set()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        if fmt == "parquet":
            rows = _write_parquet(reader, tmp, json_columns)
        else:
            with _open_text(tmp, gz) as out:
                rows = _write_text(reader, out, fmt, json_columns)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return rows


def _open_text(path: Path, gz: bool) -> IO[str]:
    if gz:
        return io.TextIOWrapper(gzip.open(path, "wb"), encoding="utf-8", newline="")
    return path.open("w", encoding="utf-8", newline="")


def _write_text(
    reader: pyarrow.RecordBatchReader, out: IO[str], fmt: ExportFormat, json_columns: set[int]
) -> int:
    names = unique_names(reader.schema.names)
    rows = 0
    if fmt == "csv":
        out.write(",".join(csv_field(n) for n in names) + "\n")
    elif fmt == "json":
        out.write("[")
    for batch in reader:
        for row in _rows(batch, json_columns):
            if fmt == "csv":
                out.write(",".join(csv_field(text_cell(v)) for v in row) + "\n")
            else:
                line = _dumps(dict(zip(names, row, strict=True))).decode()
                if fmt == "json":
                    out.write(("\n" if rows == 0 else ",\n") + line)
                else:
                    out.write(line + "\n")
            rows += 1
    if fmt == "json":
        out.write("\n]\n" if rows else "]\n")
    return rows


def _write_parquet(reader: pyarrow.RecordBatchReader, path: Path, json_columns: set[int]) -> int:
    import pyarrow
    import pyarrow.parquet

    names = unique_names(reader.schema.names)
    fields = []
    for index, field in enumerate(reader.schema):
        kind = pyarrow.json_(pyarrow.string()) if index in json_columns else field.type
        fields.append(pyarrow.field(names[index], kind, nullable=field.nullable))
    schema = pyarrow.schema(fields)
    rows = 0
    with pyarrow.parquet.ParquetWriter(path, schema, compression="zstd") as writer:
        for batch in reader:
            arrays = [
                batch.column(i).cast(schema.field(i).type) if i in json_columns else batch.column(i)
                for i in range(batch.num_columns)
            ]
            writer.write_batch(pyarrow.RecordBatch.from_arrays(arrays, schema=schema))
            rows += batch.num_rows
    return rows
