"""End-to-end fetch benchmark: `mp events fetch` over loopback vs DuckDB's own ceiling.

Run by hand (minutes; a few GB of disk under ``$MP_BENCH_DIR``, default ``/tmp/mp-bench``)::

    .venv/bin/python benchmarks/fetch_bench.py --events 1000000 --emulator
    .venv/bin/python benchmarks/fetch_bench.py --events 5000000

Steps, each measured process starting fresh and writing a fresh on-disk DuckDB file:

1. data: ``benchmarks/ingest_data.py`` lines (about 100 property keys, 8 drifting types,
   0.5% duplicates, 1% without ``$insert_id``) over 30 days, ``time`` in milliseconds;
2. served bytes: the emulator (``Dataset.from_files`` behind ``serve()`` on 127.0.0.1)
   answers one export request per day with gzip; each day's compressed body is saved as it
   came off the wire, and the decompressed stream as one NDJSON file. The download rate is
   the emulator's own rate;
3. ceiling: DuckDB ``read_ndjson`` of that NDJSON file (``event`` VARCHAR, ``properties``
   JSON) into a table;
4. fetch: ``mp --db FILE --quiet events fetch`` (30 day requests, gzip, ``time_in_ms``)
   against a static loopback server that replays the saved gzip bodies, so the server costs
   nothing and the figure is the client's;
5. with ``--emulator``: the same fetch against the emulator itself (bounded by its rate).

Wall times are taken by the parent; peak RSS is each child's ``ru_maxrss`` (``wait4``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

BENCH_DIR = Path(os.environ.get("MP_BENCH_DIR", "/tmp/mp-bench"))
HERE = Path(__file__).resolve().parent
FIRST_DAY = dt.date(2024, 6, 1)  # ingest_data.py's DAY0
DAYS = 30
LAST_DAY = FIRST_DAY + dt.timedelta(days=DAYS - 1)
USERNAME = "bench.user.mp-service-account"


def run_child(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run a process; return (wall seconds, peak RSS in MB, stdout)."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=err)
        out = proc.stdout.read() if proc.stdout is not None else b""
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            sys.stderr.write(err.read().decode(errors="replace"))
            raise SystemExit(f"{' '.join(args[:4])} ... failed")
    return wall, usage.ru_maxrss / 1024, out.decode()


def ensure_data(events: int) -> Path:
    """The benchmark NDJSON file with ``events`` lines (generated once)."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"events-{events}.ndjson"
    if not path.exists():
        sys.path.insert(0, str(HERE))
        import ingest_data

        print(f"generating {events:,} events into {path} ...", flush=True)
        partial = path.with_suffix(".partial")
        ingest_data.generate(partial, events, time_in_ms=True)
        partial.rename(path)
    return path


def day_name(index: int) -> str:
    return (FIRST_DAY + dt.timedelta(days=index)).isoformat()


# -- the emulator, in a child process ----------------------------------------------------------


def serve_emulator(path: Path) -> None:
    """Child mode: serve ``path`` with the emulator until stdin closes; print the URL first."""
    from mixpanel_data.emulator import Dataset, Emulator
    from mixpanel_data.emulator import serve as start

    emulator = Emulator(Dataset.from_files(path, time_unit="ms"))
    server = start(emulator)
    creds = emulator.client_credentials(server.url)
    info = {"url": server.url, "username": creds.username, "secret": creds.secret}
    print(json.dumps({**info, "project_id": creds.project_id}), flush=True)
    sys.stdin.read()
    server.close()


def start_child(mode: str, target: Path) -> tuple[subprocess.Popen[str], dict[str, object]]:
    proc = subprocess.Popen(
        [sys.executable, __file__, mode, str(target)],
        stdout=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, json.loads(proc.stdout.readline())


def stop_child(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(60)


def save_served(events: int, data: Path) -> Path:
    """Download every day from the emulator once: gzip bodies per day + one NDJSON file."""
    folder = BENCH_DIR / f"served-{events}"
    plain = folder / "all.ndjson"
    if plain.exists():
        return folder
    import httpx

    folder.mkdir(parents=True, exist_ok=True)
    proc, info = start_child("--serve-emulator", data)
    lines = wire = 0
    started = time.perf_counter()
    try:
        auth = (str(info["username"]), str(info["secret"]))
        with (
            httpx.Client(base_url=str(info["url"]), auth=auth, timeout=3600) as client,
            (folder / "all.partial").open("wb") as out,
        ):
            for i in range(DAYS):
                params = {
                    "from_date": day_name(i),
                    "to_date": day_name(i),
                    "time_in_ms": "true",
                    "project_id": str(info["project_id"]),
                }
                headers = {"Accept-Encoding": "gzip"}
                inflate = zlib.decompressobj(31)
                with (
                    client.stream("GET", "/api/2.0/export", params=params, headers=headers) as r,
                    (folder / f"{day_name(i)}.gz").open("wb") as gz,
                ):
                    r.raise_for_status()
                    assert r.headers.get("content-encoding") == "gzip"
                    for raw in r.iter_raw():
                        wire += len(raw)
                        gz.write(raw)
                        body = inflate.decompress(raw)
                        lines += body.count(b"\n")
                        out.write(body)
                    out.write(inflate.flush())
    finally:
        stop_child(proc)
    seconds = time.perf_counter() - started
    (folder / "all.partial").rename(plain)
    print(
        f"emulator alone (gzip download): {lines:,} events, {wire / 1e6:,.0f} MB on the wire "
        f"in {seconds:.1f} s = {lines / seconds:,.0f} events/s",
        flush=True,
    )
    return folder


# -- a static loopback server replaying the saved gzip bodies ----------------------------------


class _Static(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    folder = Path()

    def log_message(self, *_: object) -> None:
        # Quiet: the stdlib handler would print one line per request to stderr.
        return

    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        day = query.get("from_date", [""])[0]
        body = self.folder / f"{day}.gz"
        if not body.exists() or query.get("to_date", [""])[0] != day:
            self.send_response(400)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(body.stat().st_size))
        self.end_headers()
        with body.open("rb") as fh:
            while chunk := fh.read(256 * 1024):
                self.wfile.write(chunk)


def serve_static(folder: Path) -> None:
    """Child mode: replay ``folder``'s day bodies until stdin closes; print the URL first."""
    _Static.folder = folder
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Static)
    server.daemon_threads = True
    import threading

    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    print(
        json.dumps({"url": url, "username": USERNAME, "secret": "x", "project_id": 1}), flush=True
    )
    sys.stdin.read()
    server.shutdown()


# -- measurements -------------------------------------------------------------------------------

CEILING_SCRIPT = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("SET enable_progress_bar = false").fetchall()
con.execute(
    "CREATE TABLE events AS SELECT * FROM read_ndjson(?, columns={'event': 'VARCHAR', "
    "'properties': 'JSON'}, maximum_object_size=16777216)",
    [sys.argv[2]],
).fetchall()
print(con.execute("SELECT count(*) FROM events").fetchall()[0][0])
con.close()
"""


def ceiling(folder: Path) -> float:
    db = BENCH_DIR / "ceiling.duckdb"
    db.unlink(missing_ok=True)
    wall, rss, out = run_child(
        [sys.executable, "-c", CEILING_SCRIPT, str(db), str(folder / "all.ndjson")]
    )
    rows = int(out.strip())
    print(
        f"ceiling, DuckDB read_ndjson of the same bytes: {rows:,} rows in {wall:.1f} s "
        f"= {rows / wall:,.0f} events/s, peak RSS {rss:,.0f} MB",
        flush=True,
    )
    db.unlink(missing_ok=True)
    return rows / wall


def fetch(info: dict[str, object], label: str, workers: int, best: float | None) -> None:
    db = BENCH_DIR / "fetch.duckdb"
    db.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MP_")}
    env.update(
        MP_HOME=str(BENCH_DIR / "home"),
        MP_QUERY_URL=str(info["url"]),
        MP_EXPORT_URL=str(info["url"]),
        MP_USERNAME=str(info["username"]),
        MP_SECRET=str(info["secret"]),
        MP_PROJECT_ID=str(info["project_id"]),
    )
    command = [
        sys.executable, "-m", "mixpanel_data", "--db", str(db), "--quiet", "--format", "json",
        "events", "fetch", "--from", FIRST_DAY.isoformat(), "--to", LAST_DAY.isoformat(),
        "--workers", str(workers),
    ]  # fmt: skip
    wall, rss, out = run_child(command, env)
    result = json.loads(out)
    received = int(result["rows_received"])
    ratio = f", {received / wall / best:.2f}x the ceiling" if best else ""
    print(
        f"mp events fetch ({label}, {workers} workers): {received:,} events received, "
        f"{result['table_rows']:,} stored, in {wall:.1f} s = {received / wall:,.0f} events/s"
        f"{ratio}, peak RSS {rss:,.0f} MB",
        flush=True,
    )
    db.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--emulator", action="store_true", help="also fetch from the emulator")
    parser.add_argument("--skip-ceiling", action="store_true")
    parser.add_argument("--serve-emulator", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--serve-static", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_emulator is not None:
        serve_emulator(args.serve_emulator)
        return
    if args.serve_static is not None:
        serve_static(args.serve_static)
        return

    data = ensure_data(args.events)
    folder = save_served(args.events, data)
    best = None if args.skip_ceiling else ceiling(folder)
    proc, info = start_child("--serve-static", folder)
    try:
        fetch(info, "static loopback server", args.workers, best)
    finally:
        stop_child(proc)
    if args.emulator:
        proc, info = start_child("--serve-emulator", data)
        try:
            fetch(info, "loopback emulator", args.workers, best)
        finally:
            stop_child(proc)


if __name__ == "__main__":
    main()
