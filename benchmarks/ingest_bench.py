"""Ingest benchmark: DuckDB's own NDJSON readers (the ceiling) vs the mixpanel_data pipeline.

Run by hand (not part of the tests)::

    .venv/bin/python benchmarks/ingest_bench.py              # 1M events
    .venv/bin/python benchmarks/ingest_bench.py --events 5000000 --only pipeline

Generates synthetic export NDJSON (``benchmarks/ingest_data.py``: ~100 keys, 8 drifting types,
0.5% duplicates) once into ``--dir``, then runs every mode in a fresh subprocess writing a
fresh on-disk DuckDB file, and reports events/s, the ratio to each ceiling and the peak RSS
(``ru_maxrss`` of the subprocess).

Modes
-----
objects
    ``CREATE TABLE AS SELECT * FROM read_ndjson_objects(file)``: one JSON column per line.
jsoncol
    ``read_ndjson(file, columns={event: VARCHAR, properties: JSON})``.
auto_full
    ``read_ndjson(file, sample_size=-1)``: DuckDB's drift-safe auto-flattening (properties
    become one STRUCT column).
pipeline
    mixpanel_data: the file read in 1 MiB chunks (as an HTTP body would arrive), split,
    decoded and stored in chunks of ~33k events ("days"; ``--days``), each with ``write_events_chunk`` (one
    transaction, dedup, fetch log) into the flattened table, inside ``deferred_checkpoints``
    (one checkpoint at the end, included in the time).
pipeline_prefetch
    The same, with whole days decoded in another thread up to two days ahead (``prefetch``),
    as the fetch orchestration does, so decoding overlaps storing.
store_roof
    Not a way to ingest: the pipeline's finished table (decoded beforehand into an in-memory
    database, not timed) stored in one ``CREATE TABLE AS`` from Arrow plus a ``CHECKPOINT``.
    What writing the flattened rows alone costs, with no parsing, typing, dedup or
    per-day transactions: an upper bound for any pipeline producing this table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    import duckdb

    from mixpanel_data.ingest import EventBatch

HERE = Path(__file__).resolve().parent
CEILINGS = ("objects", "jsoncol", "auto_full")
PIPELINES = ("pipeline", "pipeline_prefetch")
ROOFS = ("store_roof",)
CHUNK = 1 << 20


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _connect(db: Path, memory_limit: str) -> duckdb.DuckDBPyConnection:
    import duckdb

    con = duckdb.connect(str(db))
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'").fetchall()
    return con


def _ceiling(mode: str, src: Path, db: Path, memory_limit: str) -> int:
    con = _connect(db, memory_limit)
    path = str(src).replace("'", "''")
    query = {
        "objects": f"SELECT * FROM read_ndjson_objects('{path}')",
        "jsoncol": f"SELECT * FROM read_ndjson('{path}', columns={{event: 'VARCHAR', properties: 'JSON'}})",
        "auto_full": f"SELECT * FROM read_ndjson('{path}', sample_size=-1)",
    }[mode]
    con.execute(f"CREATE TABLE t AS {query}").fetchall()
    rows = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
    con.close()
    return int(rows)


def _day_slices(src: Path, days: int) -> list[tuple[int, int]]:
    size = src.stat().st_size
    edges = [0]
    with src.open("rb") as fh:
        for i in range(1, days):
            fh.seek(size * i // days)
            fh.readline()
            edges.append(fh.tell())
    edges.append(size)
    return list(itertools.pairwise(edges))


def _read(src: Path, start: int, end: int) -> Iterator[bytes]:
    with src.open("rb") as fh:
        fh.seek(start)
        left = end - start
        while left > 0:
            chunk = fh.read(min(CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


def _pipeline(
    mode: str, src: Path, db: Path, batch_lines: int, memory_limit: str, days: int
) -> int:
    from mixpanel_data.ingest import EventDecoder, iter_event_batches, prefetch
    from mixpanel_data.store._writer import deferred_checkpoints, write_events_chunk

    con = _connect(db, memory_limit)
    day0 = dt.date(2024, 6, 1)
    slices = _day_slices(src, days)
    with EventDecoder(time_in_ms=False) as decoder, deferred_checkpoints(con):
        if mode == "pipeline":
            for n, (start, end) in enumerate(slices):
                batches = iter_event_batches(
                    _read(src, start, end), decoder, batch_lines=batch_lines
                )
                write_events_chunk(
                    con, "events", batches, day=day0 + dt.timedelta(days=n), filters={}
                )
        else:
            # Like the fetch orchestration: days are decoded in another thread, up to two
            # ahead, while this thread stores the previous one.
            def decoded() -> Iterator[list[EventBatch]]:
                for start, end in slices:
                    yield list(
                        iter_event_batches(_read(src, start, end), decoder, batch_lines=batch_lines)
                    )

            for n, day_batches in enumerate(prefetch(decoded(), depth=2)):
                write_events_chunk(
                    con, "events", day_batches, day=day0 + dt.timedelta(days=n), filters={}
                )
    rows = con.execute("SELECT count(*) FROM events").fetchall()[0][0]
    con.close()
    return int(rows)


def _finished_table(src: Path, batch_lines: int, days: int) -> object:
    """The pipeline's table for ``src`` as Arrow, built in an in-memory database."""
    import duckdb

    from mixpanel_data.ingest import EventDecoder, iter_event_batches
    from mixpanel_data.store._writer import write_events_chunk

    con = duckdb.connect(":memory:")
    day0 = dt.date(2024, 6, 1)
    with EventDecoder(time_in_ms=False) as decoder:
        for n, (start, end) in enumerate(_day_slices(src, days)):
            batches = iter_event_batches(_read(src, start, end), decoder, batch_lines=batch_lines)
            write_events_chunk(con, "events", batches, day=day0 + dt.timedelta(days=n), filters={})
    table = con.sql("SELECT * FROM events").to_arrow_table()
    con.close()
    return table


def _store_roof(table: object, db: Path, memory_limit: str) -> int:
    con = _connect(db, memory_limit)
    con.register("finished", table)
    con.execute("CREATE TABLE events AS SELECT * FROM finished").fetchall()
    con.execute("CHECKPOINT").fetchall()
    rows = con.execute("SELECT count(*) FROM events").fetchall()[0][0]
    con.close()
    return int(rows)


def run_one(mode: str, src: Path, db: Path, batch_lines: int, memory_limit: str, days: int) -> None:
    """Run one mode in this process and print one JSON line."""
    if db.exists():
        db.unlink()
    finished = _finished_table(src, batch_lines, days) if mode in ROOFS else None
    started = time.perf_counter()
    cpu = time.process_time()
    if mode in CEILINGS:
        rows = _ceiling(mode, src, db, memory_limit)
    elif mode in ROOFS:
        rows = _store_roof(finished, db, memory_limit)
    else:
        rows = _pipeline(mode, src, db, batch_lines, memory_limit, days)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "mode": mode,
                "rows": rows,
                "seconds": seconds,
                "cpu": time.process_time() - cpu,
                "rss_mb": _rss_mb(),
                "db_mb": db.stat().st_size / 2**20,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/mp-ingest-bench"))
    parser.add_argument("--only", nargs="*", default=[*CEILINGS, *PIPELINES, *ROOFS])
    parser.add_argument("--batch-lines", type=int, default=50_000)
    parser.add_argument(
        "--days",
        type=int,
        default=0,
        help="chunks (one transaction each) to store the events in; default: one per ~33k events",
    )
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--memory-limit",
        default="512MB",
        help="DuckDB memory_limit of the writing connection, every mode ('' for DuckDB's default)",
    )
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.days = args.days or max(1, args.events // 33_000)
    args.dir.mkdir(parents=True, exist_ok=True)
    src = args.dir / f"events_{args.events}.ndjson"
    if args.run:
        run_one(
            args.run,
            src,
            args.dir / f"{args.run}.duckdb",
            args.batch_lines,
            args.memory_limit,
            args.days,
        )
        return
    if not src.exists():
        sys.path.insert(0, str(HERE))
        from ingest_data import generate

        print(f"generating {src} ...", flush=True)
        generate(src, args.events)
    results: dict[str, list[dict[str, float]]] = {}
    for _ in range(args.repeat):
        for mode in args.only:
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--events",
                    str(args.events),
                    "--dir",
                    str(args.dir),
                    "--batch-lines",
                    str(args.batch_lines),
                    "--memory-limit",
                    args.memory_limit,
                    "--days",
                    str(args.days),
                    "--run",
                    mode,
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            result = json.loads(out.stdout.strip().splitlines()[-1])
            results.setdefault(mode, []).append(result)
            print(
                f"  {mode}: {result['rows']} rows in {result['seconds']:.1f}s "
                f"(cpu {result['cpu']:.1f}s)",
                flush=True,
            )
    median = {m: sorted(r, key=lambda x: x["seconds"])[len(r) // 2] for m, r in results.items()}
    print(
        f"\n{args.events} events, {src.stat().st_size / args.events:.0f} bytes/event, "
        f"batch {args.batch_lines} lines, {args.days} chunks"
    )
    print(
        "| mode | events/s | "
        + " | ".join(f"÷ {c}" for c in CEILINGS if c in median)
        + " | CPU s | peak RSS | DB size |"
    )
    print("|---|---:|" + "---:|" * len([c for c in CEILINGS if c in median]) + "---:|---:|---:|")
    for mode, r in median.items():
        rate = args.events / r["seconds"]
        ratios = " | ".join(
            f"{rate / (args.events / median[c]['seconds']):.2f}" for c in CEILINGS if c in median
        )
        print(
            f"| {mode} | {rate / 1000:.1f}k | {ratios} | {r['cpu']:.0f} | {r['rss_mb']:.0f} MB "
            f"| {r['db_mb']:.0f} MB |"
        )


if __name__ == "__main__":
    main()
