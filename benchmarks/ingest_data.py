"""Synthetic Mixpanel export NDJSON for the ingest benchmarks (run by hand).

Generates lines shaped like the Raw Event Export API's output: ``{"event": ..., "properties":
{...}}`` with about 100 distinct property keys (13 SDK/system keys plus a pool of custom ones),
8 of which change JSON type part-way through the stream (int→float, int→string, string→list,
object→string, bool→string, ...), about 0.5% duplicated events (same dedup key, later
``mp_processing_time_ms``) and 1% events without ``$insert_id``. Deterministic for a seed.

Usage::

    python benchmarks/ingest_data.py OUT.ndjson N_EVENTS [--ms]
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import orjson

EVENTS = [
    "Page View", "Sign Up", "Login", "Purchase", "Add To Cart", "Search", "Share", "Logout",
    "Video Play", "Video Pause", "Checkout Started", "Item Viewed", "Invite Sent", "Settings Changed",
    "Error", "Notification Opened", "App Open", "App Close", "Subscription Renewed", "Level Up",
]  # fmt: skip
CITIES = ["Austin", "Paris", "Berlin", "Tokyo", "São Paulo", "Lagos", "Mumbai", "Sydney"]
OSES = ["Mac OS X", "Windows", "iOS", "Android", "Linux"]
BROWSERS = ["Chrome", "Safari", "Firefox", "Edge", "Opera"]
DAY0 = 1_717_200_000  # 2024-06-01T00:00:00Z


def _custom_pool(rng: random.Random) -> list[tuple[str, str]]:
    kinds = ["str", "int", "float", "bool", "list", "obj", "null"]
    weights = [40, 20, 15, 10, 7, 5, 3]
    pool = []
    for i in range(84):
        kind = rng.choices(kinds, weights)[0]
        name = rng.choice(["prop_", "Custom ", "$custom_", "utm_", "feature.", "ünï_"]) + str(i)
        pool.append((name, kind))
    return pool


DRIFTS = [  # (name, kind before, kind after)
    ("amount", "int", "float"),
    ("plan_id", "int", "str"),
    ("tags", "str", "list"),
    ("meta", "obj", "str"),
    ("flag", "bool", "str"),
    ("score", "float", "str"),
    ("cohort", "int", "obj"),
    ("ref", "str", "int"),
]


def _value(rng: random.Random, kind: str) -> object:
    if kind == "str":
        return rng.choice(["alpha", "beta", "gamma", "delta", "a much longer string value here"])
    if kind == "int":
        return rng.randint(-1000, 1_000_000)
    if kind == "float":
        return round(rng.uniform(0, 1000), rng.randint(0, 4)) + 0.5
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "list":
        return [rng.choice(["x", "y", "z"]) for _ in range(rng.randint(0, 3))]
    if kind == "obj":
        return {"a": rng.randint(0, 9), "b": rng.choice(["p", "q"])}
    return None


def generate(path: Path, n: int, *, seed: int = 7, time_in_ms: bool = False) -> int:
    """Write ``n`` export lines (duplicates included) to ``path``; return the bytes written."""
    rng = random.Random(seed)
    pool = _custom_pool(rng)
    written = 0
    recent: list[dict[str, object]] = []
    with path.open("wb") as out:
        buf: list[bytes] = []
        for i in range(n):
            if recent and rng.random() < 0.005:
                dup = rng.choice(recent)
                props = dict(dup["properties"])  # type: ignore[call-overload]
                props["mp_processing_time_ms"] = int(props["mp_processing_time_ms"]) + rng.randint(
                    1, 10_000
                )
                line = orjson.dumps({"event": dup["event"], "properties": props})
            else:
                t_s = DAY0 + int(i * 30 * 86400 / n)
                t_ms = t_s * 1000 + rng.randint(0, 999)
                props = {
                    "time": t_ms if time_in_ms else t_s,
                    "distinct_id": f"u_{rng.randint(0, 200_000):06d}"
                    if rng.random() > 0.01
                    else "",
                    "$insert_id": f"{rng.getrandbits(128):032x}"[:32],
                    "mp_processing_time_ms": t_ms + rng.randint(100, 5000),
                    "$city": rng.choice(CITIES),
                    "$region": "Region " + str(rng.randint(0, 50)),
                    "mp_country_code": rng.choice(["US", "FR", "DE", "JP", "BR"]),
                    "$os": rng.choice(OSES),
                    "$browser": rng.choice(BROWSERS),
                    "mp_lib": "web",
                    "$lib_version": "2.55.0",
                    "$mp_api_endpoint": "api-js.mixpanel.com",
                    "$mp_api_timestamp_ms": t_ms + 17,
                }
                if rng.random() < 0.01:
                    del props["$insert_id"]
                late = i > n // 2
                for name, before, after in DRIFTS:
                    if rng.random() < 0.3:
                        props[name] = _value(rng, after if late and rng.random() < 0.5 else before)
                for name, kind in rng.sample(pool, 24):
                    props[name] = _value(rng, kind)
                ev = {"event": rng.choice(EVENTS), "properties": props}
                recent.append(ev)
                if len(recent) > 1000:
                    recent.pop(0)
                line = orjson.dumps(ev)
            buf.append(line)
            if len(buf) >= 10_000:
                data = b"\n".join(buf) + b"\n"
                out.write(data)
                written += len(data)
                buf.clear()
        if buf:
            data = b"\n".join(buf) + b"\n"
            out.write(data)
            written += len(data)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1])
    count = int(sys.argv[2])
    size = generate(target, count, time_in_ms="--ms" in sys.argv)
    print(f"{target}: {count} lines, {size / count:.0f} bytes/line")
