"""Named accounts: ConfigManager round trips, validation, schema errors, masking."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from mixpanel_data._config import AccountInfo, ConfigManager, LegacyAuthWarning, mp_home
from mixpanel_data.exceptions import (
    AccountExistsError,
    AccountNotFoundError,
    ConfigError,
    ValidationError,
)

SECRET = "sa-secret-0123456789-WXYZ"
OTHER_SECRET = "other-secret-abcdef-9876"
API_SECRET = "legacy-api-secret-5555"


def test_no_file_means_no_accounts(manager: ConfigManager) -> None:
    assert manager.accounts() == []
    assert manager.default_name is None
    assert not manager.path.exists()


def test_default_home_is_mp_home_env(mp_home: Path) -> None:
    assert ConfigManager().home == mp_home
    assert ConfigManager().path == mp_home / "config.toml"
    assert mp_home_from({"MP_HOME": "~/somewhere"}) == Path.home() / "somewhere"
    assert mp_home_from({}) == Path.home() / ".mp"
    assert mp_home_from({"MP_HOME": "  "}) == Path.home() / ".mp"


def mp_home_from(env: dict[str, str]) -> Path:
    return mp_home(env)


def test_round_trip_every_field(manager: ConfigManager) -> None:
    added = manager.add(
        "emu",
        username="svc.abc123.mp-service-account",
        secret=SECRET,
        project_id=42,
        region="in",
        workspace_id=9,
        query_url="http://127.0.0.1:8765/",
        export_url="http://127.0.0.1:8766",
        timezone="America/Los_Angeles",
        legacy_timezone=True,
    )
    fresh = ConfigManager(manager.home)
    assert fresh.get("emu") == added
    assert added == AccountInfo(
        name="emu",
        default=True,
        auth="service_account",
        username="svc.abc123.mp-service-account",
        secret="****WXYZ",
        project_id=42,
        region="in",
        workspace_id=9,
        query_url="http://127.0.0.1:8765",
        export_url="http://127.0.0.1:8766",
        timezone="America/Los_Angeles",
        legacy_timezone=True,
    )
    creds = fresh.credentials("emu")
    assert creds.secret == SECRET
    assert creds.username == "svc.abc123.mp-service-account"
    assert (creds.project_id, creds.region, creds.workspace_id) == (42, "in", 9)
    assert (creds.query_url, creds.export_url) == ("http://127.0.0.1:8765", "http://127.0.0.1:8766")
    assert (creds.timezone, creds.legacy_timezone, creds.account) == (
        "America/Los_Angeles",
        True,
        "emu",
    )


def test_file_is_plain_toml_with_the_documented_keys(two_accounts: ConfigManager) -> None:
    data = tomllib.loads(two_accounts.path.read_text())
    assert data["default"] == "prod"
    assert data["accounts"]["prod"] == {
        "auth": "service_account",
        "username": "prod.u1.mp-service-account",
        "secret": SECRET,
        "project_id": 111,
        "region": "us",
    }
    assert data["accounts"]["staging"]["legacy_timezone"] is True


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_config_is_0600_and_home_0700(manager: ConfigManager) -> None:
    manager.add("a", username="u", secret=SECRET, project_id=1)
    assert stat.S_IMODE(manager.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(manager.home.stat().st_mode) == 0o700
    manager.set_default("a")
    assert stat.S_IMODE(manager.path.stat().st_mode) == 0o600


def test_first_account_becomes_default_later_ones_do_not(two_accounts: ConfigManager) -> None:
    assert two_accounts.default_name == "prod"
    infos = two_accounts.accounts()
    assert [(a.name, a.default) for a in infos] == [("prod", True), ("staging", False)]
    two_accounts.add("third", username="u", secret=SECRET, project_id=3, make_default=True)
    assert two_accounts.default_name == "third"


def test_set_default(two_accounts: ConfigManager) -> None:
    info = two_accounts.set_default("staging")
    assert info.default
    assert two_accounts.default_name == "staging"


def test_add_existing_raises_unless_overwrite(two_accounts: ConfigManager) -> None:
    with pytest.raises(AccountExistsError, match="'prod' already exists") as info:
        two_accounts.add("prod", username="u", secret="x" * 8, project_id=5)
    assert "mp auth login --name prod" in (info.value.hint or "")
    replaced = two_accounts.add(
        "prod", username="new.user", secret="n" * 10, project_id=5, overwrite=True
    )
    assert replaced.username == "new.user"
    assert two_accounts.credentials("prod").project_id == 5


def test_unknown_account_lists_the_known_ones(two_accounts: ConfigManager) -> None:
    for call in (two_accounts.get, two_accounts.remove, two_accounts.set_default):
        with pytest.raises(AccountNotFoundError) as info:
            call("nope")
        assert "'nope'" in info.value.message
        assert "prod, staging" in info.value.message


def test_unknown_account_with_no_config(manager: ConfigManager) -> None:
    with pytest.raises(AccountNotFoundError, match="no accounts are configured"):
        manager.credentials("x")


def test_remove(two_accounts: ConfigManager) -> None:
    removed = two_accounts.remove("staging")
    assert removed.name == "staging"
    assert two_accounts.default_name == "prod"
    assert [a.name for a in two_accounts.accounts()] == ["prod"]


def test_removing_the_default_promotes_the_only_one_left(two_accounts: ConfigManager) -> None:
    two_accounts.remove("prod")
    assert ConfigManager(two_accounts.home).default_name == "staging"
    two_accounts.remove("staging")
    assert ConfigManager(two_accounts.home).default_name is None
    assert two_accounts.accounts() == []


def test_removing_the_default_among_several_leaves_none(two_accounts: ConfigManager) -> None:
    two_accounts.add("third", username="u", secret=SECRET, project_id=3)
    two_accounts.remove("prod")
    assert two_accounts.default_name is None


@pytest.mark.parametrize(
    "name", ["", "a/b", "../x", ".hidden", "-dash", "with space", "x" * 65, "a\\b", "é"]
)
def test_invalid_account_names(manager: ConfigManager, name: str) -> None:
    with pytest.raises(ValidationError, match="invalid account name"):
        manager.add(name, username="u", secret=SECRET, project_id=1)


@pytest.mark.parametrize("name", ["a", "prod", "eu-staging", "team_a.readonly", "A1", "x" * 64])
def test_valid_account_names(manager: ConfigManager, name: str) -> None:
    assert manager.add(name, username="u", secret=SECRET, project_id=1).name == name
    assert ConfigManager(manager.home).get(name).name == name


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"username": "", "project_id": 1}, "needs its username"),
        ({"username": "u", "project_id": None}, "needs the project id"),
        ({"username": "u", "project_id": 0}, "project_id must be a positive integer"),
        ({"username": "u", "project_id": 1, "workspace_id": -3}, "workspace_id must be"),
        ({"username": "u", "project_id": 1, "region": "ap"}, "unknown region"),
        ({"username": "u", "project_id": 1, "query_url": "ftp://x"}, "query_url must be"),
        ({"username": "u", "project_id": 1, "export_url": "localhost:1"}, "export_url must be"),
        ({"username": "u", "project_id": 1, "timezone": "Mars/Olympus"}, "time zone"),
        ({"username": "u\nx", "project_id": 1}, "control"),
    ],
)
def test_add_validates(manager: ConfigManager, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        manager.add("a", secret=SECRET, **kwargs)  # type: ignore[arg-type]
    assert not manager.path.exists()


def test_empty_secret_is_refused(manager: ConfigManager) -> None:
    with pytest.raises(ValidationError, match="secret is empty"):
        manager.add("a", username="u", secret="  ", project_id=1)


def test_secrets_with_quotes_and_backslashes_survive(manager: ConfigManager) -> None:
    tricky = "a\"b\\c'd#e=f"
    manager.add("a", username="u", secret=tricky, project_id=1)
    assert ConfigManager(manager.home).credentials("a").secret == tricky


def test_legacy_api_secret_account_warns(manager: ConfigManager) -> None:
    with pytest.warns(LegacyAuthWarning, match="2027-03-03"):
        info = manager.add("old", auth="api_secret", secret=API_SECRET, project_id=7)
    assert info.legacy
    assert info.username == ""
    creds = manager.credentials("old")
    assert creds.auth_kind == "api_secret"
    assert creds.basic_auth() == (API_SECRET, "")


def test_masking_in_account_views(two_accounts: ConfigManager) -> None:
    for info in two_accounts.accounts():
        dumped = repr(info) + str(info.to_dict())
        assert SECRET not in dumped
        assert OTHER_SECRET not in dumped
    listing = two_accounts.account_list()
    assert SECRET not in repr(listing.to_dict()) + repr(listing.pl.to_dicts())
    assert listing.pl["secret"].to_list() == ["****WXYZ", "****9876"]
    assert SECRET not in repr(two_accounts.credentials("prod"))


def test_account_list_frame_has_a_schema_when_empty(manager: ConfigManager) -> None:
    frame = manager.account_list().pl
    assert frame.height == 0
    assert "secret" in frame.columns
    assert "default" in frame.columns


# -- a config file edited by hand --------------------------------------------------------


def write(manager: ConfigManager, text: str) -> None:
    manager.home.mkdir(parents=True, exist_ok=True)
    manager.path.write_text(text)


def test_broken_toml_error_names_file_and_line(manager: ConfigManager) -> None:
    write(manager, 'default = "a"\n[accounts.a]\nsecret = \n')
    with pytest.raises(ConfigError) as info:
        manager.accounts()
    assert str(manager.path) in info.value.message
    assert "line 3" in info.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("colour = 1\n", "unknown key colour"),
        (
            '[accounts.a]\nsecret = "s"\nusername = "u"\nproject_id = 1\nregoin = "eu"\n',
            "unknown key accounts.a.regoin",
        ),
        (
            '[accounts."team.x"]\nsecret = "s"\nusername = "u"\nproject_id = "12"\n',
            'accounts."team.x".project_id',
        ),
        ('[accounts.a]\nusername = "u"\nproject_id = 1\n', "missing key accounts.a.secret"),
        (
            '[accounts.a]\nsecret = "s"\nusername = "u"\nproject_id = 1\nregion = "ap"\n',
            "accounts.a.region",
        ),
        ('[accounts.a]\nsecret = "s"\nproject_id = 1\n', "accounts.a.username is required"),
        ('[accounts.a]\nsecret = "s"\nusername = "u"\n', "accounts.a.project_id is required"),
        (
            '[accounts.a]\nsecret = "s"\nusername = "u"\nproject_id = 1\ntimezone = "Nowhere/X"\n',
            "accounts.a.timezone",
        ),
        (
            '[accounts.a]\nsecret = "s"\nusername = "u"\nproject_id = 1\nquery_url = "x"\n',
            "accounts.a.query_url",
        ),
        ('default = "ghost"\n', "default = 'ghost' names no account"),
        ('[accounts."a/b"]\nsecret = "s"\n', "invalid account name 'a/b'"),
        ("accounts = 3\n", "accounts"),
    ],
)
def test_schema_errors_name_the_key(manager: ConfigManager, text: str, expected: str) -> None:
    write(manager, text)
    with pytest.raises(ConfigError) as info:
        manager.accounts()
    assert str(manager.path) in info.value.message
    assert expected in info.value.message


def test_schema_errors_never_echo_the_secret(manager: ConfigManager) -> None:
    write(manager, f'[accounts.a]\nsecret = "{SECRET}"\nusername = 5\nproject_id = 1\n')
    with pytest.raises(ConfigError) as info:
        manager.accounts()
    assert SECRET not in str(info.value)
    assert "accounts.a.username" in info.value.message


def test_hand_written_api_secret_account_needs_no_username(manager: ConfigManager) -> None:
    write(
        manager, f'default = "old"\n[accounts.old]\nauth = "api_secret"\nsecret = "{API_SECRET}"\n'
    )
    (info,) = manager.accounts()
    assert (info.name, info.auth, info.project_id, info.default) == (
        "old",
        "api_secret",
        None,
        True,
    )
