"""Fixtures for the storage tests: a small database shaped like a real fetch."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

# An events table as the fetcher writes it (DESIGN: typed columns named as the properties,
# the raw properties JSON kept), a users table, mp's registry, a user's own table and a view.
SAMPLE_SQL = """
CREATE TABLE events (
    event VARCHAR NOT NULL, time TIMESTAMP NOT NULL, distinct_id VARCHAR, insert_id VARCHAR,
    mp_processing_time_ms BIGINT, properties JSON, "$browser" VARCHAR, plan VARCHAR,
    amount DOUBLE, _fetched_at TIMESTAMP
);
INSERT INTO events VALUES
 ('Page View', '2024-01-01 08:00:00', 'u1', 'i1', 1, '{"$browser":"Chrome","plan":"free"}', 'Chrome', 'free', NULL, '2024-02-01'),
 ('Page View', '2024-01-01 09:00:00', 'u2', 'i2', 1, '{"$browser":"Firefox"}', 'Firefox', NULL, NULL, '2024-02-01'),
 ('Page View', '2024-01-02 10:00:00', 'u3', 'i3', 1, '{"$browser":"Chrome","plan":"pro"}', 'Chrome', 'pro', NULL, '2024-02-01'),
 ('Page View', '2024-01-02 11:00:00', 'u1', 'i4', 1, '{"$browser":"Chrome"}', 'Chrome', NULL, NULL, '2024-02-01'),
 ('Page View', '2024-01-03 12:00:00', 'u4', 'i5', 1, '{"$browser":"Safari","plan":"free"}', 'Safari', 'free', NULL, '2024-02-01'),
 ('Sign Up', '2024-01-01 08:05:00', 'u1', 'i6', 1, '{"plan":"free"}', NULL, 'free', NULL, '2024-02-01'),
 ('Sign Up', '2024-01-02 10:05:00', 'u3', 'i7', 1, '{"plan":"pro"}', NULL, 'pro', NULL, '2024-02-01'),
 ('Purchase', '2024-01-02 10:30:00', 'u3', 'i8', 1, '{"amount":9.5,"items":[1,2]}', NULL, NULL, 9.5, '2024-02-01'),
 ('Purchase', '2024-01-03 12:30:00', 'u4', 'i9', 1, '{"amount":20}', NULL, NULL, 20.0, '2024-02-01'),
 ('Logout', '2024-01-03 13:00:00', 'u4', 'i10', 1, '{}', NULL, NULL, NULL, '2024-02-01');
CREATE TABLE users (distinct_id VARCHAR PRIMARY KEY, properties JSON, "$email" VARCHAR, _fetched_at TIMESTAMP);
INSERT INTO users VALUES
 ('u1', '{"$email":"a@example.com"}', 'a@example.com', '2024-02-01'),
 ('u2', '{}', NULL, '2024-02-01');
CREATE TABLE _mp_tables (name VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, source JSON, rows BIGINT, first_time TIMESTAMP, last_time TIMESTAMP, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL);
CREATE TABLE _mp_fetch_log (table_name VARCHAR NOT NULL, day DATE NOT NULL, filters VARCHAR NOT NULL, rows_received BIGINT, rows_added BIGINT, duplicates BIGINT, bytes BIGINT, status VARCHAR NOT NULL, fetched_at TIMESTAMP NOT NULL, PRIMARY KEY (table_name, day, filters));
INSERT INTO _mp_tables VALUES
 ('events', 'events', '{"from_date":"2024-01-01","to_date":"2024-01-03"}', 10, '2024-01-01 08:00:00', '2024-01-03 13:00:00', '2024-02-01 00:00:00', '2024-02-01 00:05:00'),
 ('users', 'users', '{}', 2, NULL, NULL, '2024-02-01 00:00:00', '2024-02-01 00:06:00');
INSERT INTO _mp_fetch_log VALUES ('events', '2024-01-01', '', 3, 3, 0, 100, 'done', '2024-02-01 00:01:00');
CREATE TABLE notes (id INTEGER, note VARCHAR);
INSERT INTO notes VALUES (1, 'hello'), (2, NULL);
CREATE VIEW signups AS SELECT * FROM events WHERE event = 'Sign Up';
"""


def build_sample(path: Path) -> Path:
    """Write the sample database to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute(SAMPLE_SQL)
    finally:
        con.close()
    return path


@pytest.fixture
def make_sample() -> Callable[[Path], Path]:
    """``make_sample(path)`` writes the sample database to ``path``."""
    return build_sample


@pytest.fixture(scope="session")
def _sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory.mktemp("template") / "sample.duckdb")


@pytest.fixture
def sample_db(tmp_path: Path, _sample_template: Path) -> Path:
    """A database file with events, users, mp's metadata, a user table and a view.

    (A copy of one built per session: creating it is the slow part.)
    """
    target = tmp_path / "sample.duckdb"
    shutil.copyfile(_sample_template, target)
    return target
