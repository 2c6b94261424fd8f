"""Decode-only comparison of NDJSON → flattened, typed Arrow designs (run by hand).

Each design turns the same export lines into one typed column per property key plus the
top-level fields, keeping every value (drifting keys widen), and the time is measured in a
fresh subprocess. The store writer is not involved (see ``ingest_bench.py`` for end to end)::

    sed -n 400001,600000p /tmp/mp-ingest-bench/events_1000000.ndjson > /tmp/drift.ndjson
    .venv/bin/python benchmarks/ingest_alternatives.py /tmp/drift.ndjson

(lines 400k–600k of the 1M file: the 8 drifting keys change type at line 500k).

Designs
-------
duckdb_decoder
    mixpanel_data's ``EventDecoder``: DuckDB ``read_ndjson`` of each 50k-line block, one
    ``json_transform`` per object, vectorised kind checks and casts, Arrow out.
orjson_columns
    The design card's shape: ``orjson.loads`` per line, Python column lists, per-column type
    inference, ``pyarrow`` arrays (then ``polars.from_arrow``).
msgspec_polars
    ``msgspec`` with the properties kept as ``Raw`` bytes, then ``polars.read_ndjson`` of the
    properties with full schema inference.
polars_struct
    ``polars.read_ndjson`` of the lines with full inference, properties unnested.
duckdb_auto
    DuckDB ``read_ndjson(sample_size=-1)`` of each block (properties as an inferred STRUCT,
    unnested): DuckDB's own drift-safe auto-detection.
"""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec

DESIGNS = ("duckdb_decoder", "orjson_columns", "msgspec_polars", "polars_struct", "duckdb_auto")
BATCH = 50_000


def _blocks(path: Path) -> list[bytes]:
    lines = path.read_bytes().split(b"\n")
    return [
        b"\n".join(lines[i : i + BATCH]) + b"\n" for i in range(0, len(lines), BATCH) if lines[i]
    ]


def duckdb_decoder(blocks: list[bytes]) -> int:
    from mixpanel_data.ingest import EventDecoder

    with EventDecoder(time_in_ms=False) as decoder:
        return sum(decoder.decode(b).rows for b in blocks)


def _arrow_column(values: list[Any]) -> Any:
    import orjson
    import pyarrow as pa

    kinds = {type(v) for v in values if v is not None}
    if kinds <= {int}:
        return pa.array(values, pa.int64())
    if kinds <= {int, float}:
        return pa.array([None if v is None else float(v) for v in values], pa.float64())
    if kinds <= {bool}:
        return pa.array(values, pa.bool_())
    if kinds & {list, dict}:
        return pa.array(
            [None if v is None else orjson.dumps(v).decode() for v in values], pa.string()
        )
    return pa.array(
        [
            None if v is None else (v if isinstance(v, str) else orjson.dumps(v).decode())
            for v in values
        ],
        pa.string(),
    )


def orjson_columns(blocks: list[bytes]) -> int:
    import orjson
    import polars as pl
    import pyarrow as pa

    total = 0
    for block in blocks:
        records = [orjson.loads(line) for line in block.split(b"\n") if line]
        n = len(records)
        columns: dict[str, list[Any]] = {}
        events, props_text = [], []
        for i, record in enumerate(records):
            properties = record["properties"]
            events.append(record["event"])
            props_text.append(orjson.dumps(properties).decode())
            for key, value in properties.items():
                column = columns.get(key)
                if column is None:
                    column = columns[key] = [None] * n
                column[i] = value
        table = pa.table(
            {
                "event": events,
                "properties": props_text,
                **{f"p{j}": _arrow_column(v) for j, v in enumerate(columns.values())},
            }
        )
        total += pl.from_arrow(table).height  # type: ignore[union-attr]
    return total


class Line(msgspec.Struct):
    """An export line with its properties kept as raw bytes."""

    event: str
    properties: msgspec.Raw


def msgspec_polars(blocks: list[bytes]) -> int:
    import polars as pl

    decoder = msgspec.json.Decoder(list[Line])
    total = 0
    for block in blocks:
        lines = decoder.decode(b"[" + b",".join(x for x in block.split(b"\n") if x) + b"]")
        props = b"\n".join(bytes(x.properties) for x in lines)
        frame = pl.read_ndjson(io.BytesIO(props), infer_schema_length=None)
        total += frame.height
    return total


def polars_struct(blocks: list[bytes]) -> int:
    import polars as pl

    total = 0
    for block in blocks:
        frame = pl.read_ndjson(io.BytesIO(block), infer_schema_length=None).unnest("properties")
        total += frame.height
    return total


def duckdb_auto(blocks: list[bytes]) -> int:
    import duckdb

    con = duckdb.connect()
    total = 0
    with tempfile.NamedTemporaryFile(suffix=".ndjson") as tmp:
        for block in blocks:
            Path(tmp.name).write_bytes(block)
            table = con.sql(
                f"SELECT event, unnest(properties) FROM read_ndjson('{tmp.name}', sample_size=-1)"
            ).to_arrow_table()
            total += table.num_rows
    return total


def run_one(design: str, path: Path) -> None:
    blocks = _blocks(path)
    started = time.perf_counter()
    try:
        rows = globals()[design](blocks)
        error = None
    except Exception as exc:
        rows, error = 0, f"{type(exc).__name__}: {str(exc).splitlines()[0][:100]}"
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {"design": design, "rows": rows, "seconds": seconds, "rss_mb": rss, "error": error}
        )
    )


def main() -> None:
    path = Path(sys.argv[1])
    if len(sys.argv) > 2:
        run_one(sys.argv[2], path)
        return
    print("| design | events/s | ratio | peak RSS | note |\n|---|---:|---:|---:|---|")
    best = None
    for design in DESIGNS:
        out = subprocess.run(
            [sys.executable, __file__, str(path), design],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rate = r["rows"] / r["seconds"] if r["rows"] else 0.0
        best = best or rate
        note = r["error"] or ""
        print(
            f"| {design} | {rate / 1000:.0f}k | {rate / best:.2f} | {r['rss_mb']:.0f} MB | {note} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
