"""``ws.export`` and the streaming writers: formats, fidelity, atomic files."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mixpanel_data.exceptions import ReadOnlyError, TableNotFoundError, ValidationError
from mixpanel_data.store._export import csv_field, export_format, text_cell, write_batches
from mixpanel_data.workspace import Workspace

ODD = (
    "SELECT 1 AS id, TIMESTAMP '2024-01-02 03:04:05' AS ts, '{\"a\": [1, null]}'::JSON AS j, "
    "NULL::VARCHAR AS n, 'a,\"b\"\r\nc' AS s, 2.5::DOUBLE AS f, true AS b, INTERVAL 2 HOUR AS iv"
)


@pytest.fixture
def ws(sample_db: Path) -> Iterator[Workspace]:
    with Workspace(path=sample_db, read_only=True) as workspace:
        yield workspace


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("x.parquet", ("parquet", False)),
        ("x.PQ", ("parquet", False)),
        ("x.csv", ("csv", False)),
        ("x.csv.gz", ("csv", True)),
        ("x.json", ("json", False)),
        ("x.jsonl", ("jsonl", False)),
        ("x.ndjson.gz", ("jsonl", True)),
    ],
)
def test_export_format_from_extension(name: str, expected: tuple[str, bool]) -> None:
    assert export_format(Path(name)) == expected


@pytest.mark.parametrize("name", ["x.txt", "x", "x.parquet.gz"])
def test_export_format_rejects_unknown_extensions(name: str) -> None:
    with pytest.raises(ValidationError):
        export_format(Path(name))


def test_export_format_override() -> None:
    assert export_format(Path("data.out"), "csv") == ("csv", False)


def test_csv_field_quotes_every_line_break() -> None:
    assert csv_field("a\rb") == '"a\rb"'
    assert csv_field('say "hi"') == '"say ""hi"""'
    assert csv_field("plain") == "plain"


def test_text_cell() -> None:
    assert [text_cell(v) for v in (None, True, 1.5, float("nan"), [1, {"a": None}])] == [
        "",
        "true",
        "1.5",
        "",
        '[1,{"a":null}]',
    ]


def test_export_table_to_csv(ws: Workspace, tmp_path: Path) -> None:
    target = tmp_path / "notes.csv"
    result = ws.export(target, table="notes")
    assert (result.rows, result.format) == (2, "csv")
    assert target.read_text() == "id,note\n1,hello\n2,\n"


def test_export_query_to_json_is_faithful(ws: Workspace, tmp_path: Path) -> None:
    target = tmp_path / "odd.json"
    ws.export(target, query=ODD)
    assert json.loads(target.read_text()) == [
        {
            "id": 1,
            "ts": "2024-01-02T03:04:05",
            "j": {"a": [1, None]},
            "n": None,
            "s": 'a,"b"\r\nc',
            "f": 2.5,
            "b": True,
            "iv": "02:00:00",
        }
    ]


def test_export_query_to_csv_quotes_and_renders(ws: Workspace, tmp_path: Path) -> None:
    target = tmp_path / "odd.csv"
    ws.export(target, query=ODD)
    assert target.read_bytes().decode() == (
        "id,ts,j,n,s,f,b,iv\n"
        '1,2024-01-02T03:04:05,"{""a"":[1,null]}",,"a,""b""\r\nc",2.5,true,02:00:00\n'
    )


def test_export_jsonl_gz(ws: Workspace, tmp_path: Path) -> None:
    target = tmp_path / "events.jsonl.gz"
    result = ws.export(target, table="events")
    lines = gzip.decompress(target.read_bytes()).decode().splitlines()
    assert (result.rows, len(lines)) == (10, 10)
    assert json.loads(lines[0])["properties"] == {"$browser": "Chrome", "plan": "free"}


def test_export_parquet_keeps_types(ws: Workspace, tmp_path: Path) -> None:
    target = tmp_path / "events.parquet"
    assert ws.export(target, table="events").rows == 10
    con = duckdb.connect()
    described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{target}')").fetchall()
    types = {row[0]: row[1] for row in described}
    assert (types["time"], types["properties"], types["$browser"], types["amount"]) == (
        "TIMESTAMP",
        "JSON",
        "VARCHAR",
        "DOUBLE",
    )
    assert con.execute(f"SELECT count(*) FROM '{target}'").fetchall() == [(10,)]


def test_export_empty_result_keeps_the_header(ws: Workspace, tmp_path: Path) -> None:
    ws.export(tmp_path / "none.csv", query="SELECT * FROM notes WHERE false")
    ws.export(tmp_path / "none.json", query="SELECT * FROM notes WHERE false")
    assert (tmp_path / "none.csv").read_text() == "id,note\n"
    assert json.loads((tmp_path / "none.json").read_text()) == []


def test_export_needs_a_table_when_there_are_several(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        ws.export(tmp_path / "x.csv")
    assert "events, notes, signups, users" in (info.value.hint or "")


def test_export_the_only_table_by_default(tmp_path: Path) -> None:
    with Workspace(path=tmp_path / "one.duckdb") as ws:
        ws.query("CREATE TABLE only_one AS SELECT 1 AS x", write=True)
        assert ws.export(tmp_path / "x.jsonl").rows == 1


def test_export_refuses_table_and_query_together(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="not both"):
        ws.export(tmp_path / "x.csv", table="events", query="SELECT 1")


def test_export_refuses_writing_queries(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(ReadOnlyError):
        ws.export(tmp_path / "x.csv", query="DELETE FROM notes RETURNING *")


def test_export_of_a_missing_table(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(TableNotFoundError):
        ws.export(tmp_path / "x.csv", table="nope")


def test_a_failed_write_leaves_no_file(tmp_path: Path) -> None:
    def batches() -> Iterator[pyarrow.RecordBatch]:
        yield pyarrow.record_batch({"x": [1, 2]})
        raise RuntimeError("the source failed midway")

    schema = pyarrow.schema([("x", pyarrow.int64())])
    reader = pyarrow.RecordBatchReader.from_batches(schema, batches())
    with pytest.raises(RuntimeError):
        write_batches(reader, tmp_path / "x.csv", "csv")
    assert list(tmp_path.iterdir()) == []


# -- properties --------------------------------------------------------------------------------


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(st.integers(-(2**63), 2**63 - 1), st.none() | _TEXT), max_size=8))
def test_csv_and_jsonl_round_trip(tmp_path: Path, rows: list[tuple[int, str | None]]) -> None:
    import csv

    con = duckdb.connect()
    con.execute("CREATE TABLE t (i BIGINT, s VARCHAR)")
    if rows:
        con.executemany("INSERT INTO t VALUES (?, ?)", rows)
    for name in ("t.csv", "t.jsonl"):
        target = tmp_path / name
        reader = con.sql("SELECT * FROM t").to_arrow_reader(3)
        fmt = "csv" if name.endswith("csv") else "jsonl"
        assert write_batches(reader, target, fmt) == len(rows)
        text = target.read_bytes().decode()
        if fmt == "csv":
            parsed = list(csv.reader(io.StringIO(text, newline="")))
            assert parsed[0] == ["i", "s"]
            assert parsed[1:] == [[str(i), "" if s is None else s] for i, s in rows]
        else:
            assert [json.loads(line) for line in text.split("\n") if line] == [
                {"i": i, "s": s} for i, s in rows
            ]
    con.close()
