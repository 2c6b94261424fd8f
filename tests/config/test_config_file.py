"""The config file on disk: TOML emitting, private atomic writes, parse errors."""

from __future__ import annotations

import math
import os
import stat
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mixpanel_data._config_file import dumps, ensure_private_dir, load_toml, lock, write_private
from mixpanel_data.exceptions import ConfigError

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")

# Any Unicode text except lone surrogates (which UTF-8 cannot encode).
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
scalars = st.one_of(
    texts,
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.floats(allow_nan=False),
)


@given(st.dictionaries(texts, scalars, max_size=6))
def test_scalars_round_trip(table: dict[str, object]) -> None:
    assert tomllib.loads(dumps(table)) == table


@given(st.dictionaries(texts, st.dictionaries(texts, scalars, max_size=4), max_size=4))
def test_nested_tables_round_trip(document: dict[str, dict[str, object]]) -> None:
    assert tomllib.loads(dumps({"accounts": document})) == {"accounts": document}


@pytest.mark.parametrize(
    "value",
    [
        'quote " inside',
        "back\\slash",
        "tab\tnew\nline\rcr",
        "nul\x00 bell\x07 del\x7f esc\x1b",
        "ünïcødé ☃ 𝄞",
        "'single' and '''triple'''",
        '"""',
        "# not a comment",
        "key = value",
    ],
)
def test_tricky_strings_round_trip(value: str) -> None:
    assert tomllib.loads(dumps({"s": value, "t": {value: value}})) == {
        "s": value,
        "t": {value: value},
    }


def test_none_values_are_left_out_and_header_is_a_comment() -> None:
    text = dumps({"a": None, "b": 1}, header="line one\nline two")
    assert text.startswith("# line one\n# line two\n")
    assert tomllib.loads(text) == {"b": 1}


def test_keys_with_dots_are_quoted() -> None:
    text = dumps({"accounts": {"team.a": {"x": 1}}})
    assert '[accounts."team.a"]' in text
    assert tomllib.loads(text) == {"accounts": {"team.a": {"x": 1}}}


def test_empty_table_survives() -> None:
    assert tomllib.loads(dumps({"accounts": {}})) == {"accounts": {}}


def test_special_floats() -> None:
    loaded = tomllib.loads(dumps({"a": float("inf"), "b": float("-inf"), "c": 1e300, "d": 2.0}))
    assert loaded == {"a": float("inf"), "b": float("-inf"), "c": 1e300, "d": 2.0}
    assert math.isnan(tomllib.loads(dumps({"n": float("nan")}))["n"])


def test_unsupported_values_are_refused() -> None:
    with pytest.raises(TypeError, match="list"):
        dumps({"a": [1, 2]})
    with pytest.raises(ValueError, match="surrogate"):
        dumps({"a": "\ud800"})


@posix_only
def test_write_private_creates_0600_file_in_0700_dir(tmp_path: Path) -> None:
    target = tmp_path / "home" / "config.toml"
    write_private(target, 'a = "secret"\n')
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    assert target.read_text() == 'a = "secret"\n'


@posix_only
def test_write_private_is_0600_even_with_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        target = tmp_path / "config.toml"
        write_private(target, "a = 1\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


@posix_only
def test_write_private_replaces_an_open_file_and_tightens_it(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    target.write_text("old = 1\n")
    target.chmod(0o644)
    write_private(target, "new = 2\n")
    assert target.read_text() == "new = 2\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    # No temporary file is left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]


@posix_only
def test_the_temporary_file_is_private_from_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Observe the temporary file at the moment of the rename: it must already be 0600.
    seen: list[int] = []
    real_replace = Path.replace

    def spy(self: Path, target: Path) -> Path:
        seen.append(stat.S_IMODE(self.stat().st_mode))
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", spy)
    write_private(tmp_path / "config.toml", "a = 1\n")
    assert seen == [0o600]


def test_a_failed_write_leaves_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "config.toml"
    target.write_text("old = 1\n")

    def boom(self: Path, target: Path) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "replace", boom)
    with pytest.raises(ConfigError, match="No space left"):
        write_private(target, "new = 2\n")
    assert target.read_text() == "old = 1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]


@posix_only
def test_a_symlinked_config_keeps_its_link(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "mp.toml"
    real.parent.mkdir()
    real.write_text("a = 1\n")
    link = tmp_path / "home" / "config.toml"
    link.parent.mkdir()
    link.symlink_to(real)
    write_private(link, "a = 2\n")
    assert link.is_symlink()
    assert real.read_text() == "a = 2\n"


@posix_only
def test_ensure_private_dir_tightens_a_loose_dir(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    ensure_private_dir(home)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


def test_missing_file_loads_as_none(tmp_path: Path) -> None:
    assert load_toml(tmp_path / "absent.toml") is None


def test_broken_toml_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('default = "a"\n\n[accounts.a]\nsecret = "abcd-unterminated\n')
    with pytest.raises(ConfigError) as info:
        load_toml(path)
    message = str(info.value)
    assert str(path) in message
    assert "line 4" in message
    assert "column" in message
    # The offending line holds a secret: it must never be quoted back.
    assert "abcd-unterminated" not in message


def test_non_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'a = 1\nb = "\xff"\n')
    with pytest.raises(ConfigError, match=r"line 2.*not valid UTF-8"):
        load_toml(path)


@posix_only
def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = tmp_path / "config.toml"
    path.write_text("a = 1\n")
    path.chmod(0)
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_toml(path)


@posix_only
def test_group_readable_file_logs_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "config.toml"
    path.write_text("a = 1\n")
    path.chmod(0o644)
    with caplog.at_level("WARNING", logger="mixpanel_data"):
        assert load_toml(path) == {"a": 1}
    assert "chmod 600" in caplog.text


def test_lock_creates_the_home_and_is_released(tmp_path: Path) -> None:
    with lock(tmp_path / "home"):
        pass
    with lock(tmp_path / "home"):
        write_private(tmp_path / "home" / "config.toml", "a = 1\n")
    assert (tmp_path / "home" / "config.toml").exists()
