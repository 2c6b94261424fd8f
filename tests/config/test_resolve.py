"""Credential resolution: precedence, missing pieces, project tokens, legacy secrets, masking."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from mixpanel_data._config import (
    AuthStatus,
    ConfigManager,
    LegacyAuthWarning,
    auth_status,
    resolve_credentials,
)
from mixpanel_data._credentials import Credentials, base_url
from mixpanel_data.exceptions import AccountNotFoundError, ConfigError, ValidationError

SECRET = "sa-secret-0123456789-WXYZ"
OTHER_SECRET = "other-secret-abcdef-9876"
API_SECRET = "legacy-api-secret-5555"
ENV_SECRET = "env-secret-zzzzzzzz-ENV1"
FLAG_SECRET = "flag-secret-yyyyyyy-FLG2"


# -- precedence: flags > env > named account > default account -----------------------------

PRECEDENCE = [
    # (id, account arg, env, overrides, field, expected value, expected source)
    (
        "default account",
        None,
        {},
        {},
        "username",
        "prod.u1.mp-service-account",
        "default account prod",
    ),
    (
        "named by argument",
        "staging",
        {},
        {},
        "username",
        "stage.u2.mp-service-account",
        "account staging",
    ),
    (
        "named by MP_ACCOUNT",
        None,
        {"MP_ACCOUNT": "staging"},
        {},
        "project_id",
        222,
        "account staging",
    ),
    (
        "argument beats MP_ACCOUNT",
        "prod",
        {"MP_ACCOUNT": "staging"},
        {},
        "project_id",
        111,
        "account prod",
    ),
    (
        "env beats default",
        None,
        {"MP_USERNAME": "env.user"},
        {},
        "username",
        "env.user",
        "env MP_USERNAME",
    ),
    ("env beats named", "staging", {"MP_REGION": "in"}, {}, "region", "in", "env MP_REGION"),
    (
        "flag beats env",
        None,
        {"MP_USERNAME": "env.user"},
        {"username": "flag.user"},
        "username",
        "flag.user",
        "flag",
    ),
    ("flag beats named", "staging", {}, {"region": "us"}, "region", "us", "flag"),
    (
        "env secret beats account",
        "staging",
        {"MP_SECRET": ENV_SECRET},
        {},
        "secret",
        ENV_SECRET,
        "env MP_SECRET",
    ),
    (
        "flag secret beats env",
        None,
        {"MP_SECRET": ENV_SECRET},
        {"secret": FLAG_SECRET},
        "secret",
        FLAG_SECRET,
        "flag",
    ),
    ("named keeps its region", "staging", {}, {}, "region", "eu", "account staging"),
    ("named keeps its data view", "staging", {}, {}, "workspace_id", 7, "account staging"),
    ("env data view", None, {"MP_WORKSPACE_ID": "5"}, {}, "workspace_id", 5, "env MP_WORKSPACE_ID"),
    (
        "env query url",
        None,
        {"MP_QUERY_URL": "http://127.0.0.1:9/"},
        {},
        "query_url",
        "http://127.0.0.1:9",
        "env MP_QUERY_URL",
    ),
    (
        "env export url",
        None,
        {"MP_EXPORT_URL": "http://127.0.0.1:9"},
        {},
        "export_url",
        "http://127.0.0.1:9",
        "env MP_EXPORT_URL",
    ),
    (
        "flag project beats env",
        None,
        {"MP_PROJECT_ID": "5"},
        {"project_id": 6},
        "project_id",
        6,
        "flag",
    ),
    (
        "region is case-insensitive",
        None,
        {"MP_REGION": " EU "},
        {},
        "region",
        "eu",
        "env MP_REGION",
    ),
    ("account region (us)", None, {}, {}, "region", "us", "default account prod"),
]


@pytest.mark.parametrize(
    ("account", "environ", "overrides", "field", "value", "source"),
    [pytest.param(*case[1:], id=case[0]) for case in PRECEDENCE],
)
def test_precedence(
    two_accounts: ConfigManager,
    env: Any,
    account: str | None,
    environ: dict[str, str],
    overrides: dict[str, Any],
    field: str,
    value: Any,
    source: str,
) -> None:
    creds = resolve_credentials(account, overrides=overrides, env=env(**environ))
    assert getattr(creds, field) == value
    status = auth_status(account, overrides=overrides, env=env(**environ))
    assert status.sources[field] == source


def test_env_only_credentials_need_no_config(env: Any, manager: ConfigManager) -> None:
    creds = resolve_credentials(
        env=env(MP_USERNAME="ci.user", MP_SECRET=ENV_SECRET, MP_PROJECT_ID="77", MP_REGION="eu")
    )
    assert creds == Credentials(
        secret=ENV_SECRET, username="ci.user", project_id=77, region="eu", account=None
    )
    assert not manager.path.exists()


def test_default_env_and_config_come_from_os_environ(
    two_accounts: ConfigManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MP_REGION", "in")
    creds = resolve_credentials()
    assert (creds.account, creds.region) == ("prod", "in")


def test_explicit_config_manager_is_used(two_accounts: ConfigManager) -> None:
    creds = resolve_credentials("staging", env={}, config=two_accounts)
    assert creds.project_id == 222


def test_another_project_does_not_borrow_the_accounts_project_settings(
    two_accounts: ConfigManager, env: Any
) -> None:
    creds = resolve_credentials("staging", env=env(MP_PROJECT_ID="999"))
    # staging's region, data view and time zone belong to project 222, not 999.
    assert (creds.project_id, creds.region, creds.workspace_id) == (999, "us", None)
    assert (creds.timezone, creds.legacy_timezone) == ("UTC", False)
    assert creds.username == "stage.u2.mp-service-account"
    # The same project id keeps them.
    same = resolve_credentials("staging", env=env(MP_PROJECT_ID="222"))
    assert (same.region, same.workspace_id, same.timezone, same.legacy_timezone) == (
        "eu",
        7,
        "Europe/Paris",
        True,
    )
    # A region given alongside the other project still applies.
    explicit = resolve_credentials("staging", env=env(MP_PROJECT_ID="999", MP_REGION="eu"))
    assert explicit.region == "eu"


def test_empty_env_values_count_as_unset(two_accounts: ConfigManager, env: Any) -> None:
    creds = resolve_credentials(env=env(MP_USERNAME="", MP_SECRET="  ", MP_ACCOUNT=""))
    assert (creds.account, creds.secret) == ("prod", SECRET)


def test_none_overrides_are_ignored(two_accounts: ConfigManager, env: Any) -> None:
    creds = resolve_credentials(overrides={"username": None, "region": None}, env=env())
    assert creds.username == "prod.u1.mp-service-account"


# -- accounts that do not exist ------------------------------------------------------------


def test_unknown_account_lists_known_ones(two_accounts: ConfigManager, env: Any) -> None:
    with pytest.raises(AccountNotFoundError) as info:
        resolve_credentials("nope", env=env())
    assert "'nope'" in info.value.message
    assert "prod, staging" in info.value.message


def test_unknown_mp_account_says_where_the_name_came_from(
    two_accounts: ConfigManager, env: Any
) -> None:
    with pytest.raises(AccountNotFoundError) as info:
        resolve_credentials(env=env(MP_ACCOUNT="ghost"))
    assert "MP_ACCOUNT='ghost'" in info.value.message
    assert "prod, staging" in info.value.message


# -- missing pieces ------------------------------------------------------------------------


def test_nothing_configured(env: Any, manager: ConfigManager) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_credentials(env=env())
    assert "no Mixpanel credentials" in info.value.message
    assert str(manager.path) in info.value.message
    assert "mp auth login" in (info.value.hint or "")
    assert "MP_USERNAME, MP_SECRET and MP_PROJECT_ID" in (info.value.hint or "")


def test_project_token_alone_is_explained(env: Any) -> None:
    token = "0123456789abcdef0123456789abcdef"
    with pytest.raises(ConfigError) as info:
        resolve_credentials(env=env(MP_PROJECT_TOKEN=token))
    message = str(info.value)
    assert "project token can only send data" in message
    assert "MP_USERNAME, MP_SECRET and MP_PROJECT_ID" in message
    assert "mp auth login" in message
    assert token not in message


def test_project_token_next_to_real_credentials_is_ignored(
    two_accounts: ConfigManager, env: Any
) -> None:
    creds = resolve_credentials(env=env(MP_PROJECT_TOKEN="tok"))
    assert creds.secret == SECRET


def test_accounts_but_no_default(two_accounts: ConfigManager, env: Any) -> None:
    two_accounts.add("third", username="u", secret=SECRET, project_id=3)
    two_accounts.remove("prod")
    assert two_accounts.default_name is None
    with pytest.raises(ConfigError) as info:
        resolve_credentials(env=env())
    assert "no default account" in info.value.message
    assert "staging, third" in info.value.message
    assert "mp auth switch" in (info.value.hint or "")


@pytest.mark.parametrize(
    ("environ", "message", "fix"),
    [
        ({"MP_SECRET": ENV_SECRET, "MP_PROJECT_ID": "1"}, "username", "MP_USERNAME"),
        ({"MP_SECRET": ENV_SECRET, "MP_USERNAME": "u"}, "project id", "MP_PROJECT_ID"),
    ],
)
def test_missing_piece_names_the_fix(
    env: Any, environ: dict[str, str], message: str, fix: str
) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_credentials(env=env(**environ))
    assert message in info.value.message
    assert fix in (info.value.hint or "")
    assert "mp auth login" in (info.value.hint or "")
    assert ENV_SECRET not in str(info.value)


@pytest.mark.parametrize(
    ("environ", "match"),
    [
        ({"MP_PROJECT_ID": "abc"}, "MP_PROJECT_ID must be a positive integer, got 'abc'"),
        ({"MP_PROJECT_ID": "0"}, "MP_PROJECT_ID must be a positive integer"),
        ({"MP_WORKSPACE_ID": "-1"}, "MP_WORKSPACE_ID must be a positive integer"),
        ({"MP_REGION": "asia"}, "MP_REGION must be one of us, eu, in"),
        ({"MP_QUERY_URL": "mixpanel.com"}, "MP_QUERY_URL must be an http"),
        ({"MP_EXPORT_URL": "ftp://x"}, "MP_EXPORT_URL must be an http"),
        ({"MP_SECRET": "a", "MP_API_SECRET": "b"}, "both MP_SECRET and MP_API_SECRET"),
    ],
)
def test_invalid_env_values(
    two_accounts: ConfigManager, env: Any, environ: dict[str, str], match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        resolve_credentials(env=env(**environ))


@pytest.mark.parametrize(
    ("overrides", "error", "match"),
    [
        ({"colour": "red"}, ValidationError, "unknown credential override"),
        ({"secret": "a", "api_secret": "b"}, ValidationError, "both"),
        ({"auth": "oauth"}, ValidationError, "unknown auth kind"),
        ({"project_id": "x1"}, ConfigError, "project_id override must be a positive integer"),
        ({"timezone": "Nowhere/Land"}, ConfigError, "time zone"),
        ({"legacy_timezone": "maybe"}, ConfigError, "true or false"),
    ],
)
def test_invalid_overrides(
    two_accounts: ConfigManager,
    env: Any,
    overrides: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    with pytest.raises(error, match=match):
        resolve_credentials(overrides=overrides, env=env())


def test_timezone_overrides(two_accounts: ConfigManager, env: Any) -> None:
    creds = resolve_credentials(
        overrides={"timezone": "Asia/Kolkata", "legacy_timezone": "true"}, env=env()
    )
    assert (creds.timezone, creds.legacy_timezone) == ("Asia/Kolkata", True)


def test_broken_config_file_surfaces_as_config_error(env: Any, manager: ConfigManager) -> None:
    manager.home.mkdir(parents=True)
    manager.path.write_text("[accounts\n")
    with pytest.raises(ConfigError, match=r"line 1"):
        resolve_credentials(env=env())


# -- the legacy project API secret -------------------------------------------------------


def test_env_api_secret_warns_and_resolves(env: Any) -> None:
    with pytest.warns(LegacyAuthWarning, match="retires on 2027-03-03"):
        creds = resolve_credentials(env=env(MP_API_SECRET=API_SECRET))
    assert creds.auth_kind == "api_secret"
    assert creds.basic_auth() == (API_SECRET, "")
    assert creds.username == ""


def test_api_secret_account_warns_and_names_the_account(manager: ConfigManager, env: Any) -> None:
    with pytest.warns(LegacyAuthWarning):
        manager.add("old", auth="api_secret", secret=API_SECRET, project_id=5)
    with pytest.warns(LegacyAuthWarning, match="account 'old'"):
        creds = resolve_credentials(env=env())
    assert (creds.auth_kind, creds.project_id) == ("api_secret", 5)


def test_a_higher_secret_decides_the_kind(two_accounts: ConfigManager, env: Any) -> None:
    # MP_API_SECRET over a service account: the legacy secret wins, the username is dropped.
    with pytest.warns(LegacyAuthWarning):
        creds = resolve_credentials(env=env(MP_API_SECRET=API_SECRET))
    assert (creds.auth_kind, creds.secret, creds.username) == ("api_secret", API_SECRET, "")
    # A service-account secret over a legacy account needs a username.
    with pytest.warns(LegacyAuthWarning):
        two_accounts.add("old", auth="api_secret", secret=API_SECRET, project_id=5)
    with pytest.raises(ConfigError, match="username"):
        resolve_credentials("old", env=env(MP_SECRET=ENV_SECRET))


def test_auth_override_must_match_the_secret(two_accounts: ConfigManager, env: Any) -> None:
    with pytest.raises(ConfigError, match="'api_secret' was asked for") as info:
        resolve_credentials(overrides={"auth": "api_secret"}, env=env())
    assert "MP_API_SECRET" in (info.value.hint or "")
    with pytest.warns(LegacyAuthWarning):
        creds = resolve_credentials(
            overrides={"auth": "api_secret", "secret": FLAG_SECRET}, env=env()
        )
    assert creds.auth_kind == "api_secret"


# -- status and masking --------------------------------------------------------------------


def test_status_describes_everything_masked(two_accounts: ConfigManager, env: Any) -> None:
    status = auth_status("staging", env=env(MP_USERNAME="env.user"))
    assert isinstance(status, AuthStatus)
    assert status.account == "staging"
    assert status.account_source == "argument"
    assert status.secret == "****9876"
    assert status.query_url == "https://eu.mixpanel.com"
    assert status.export_url == "https://data-eu.mixpanel.com"
    assert status.sources["query_url"] == "region eu"
    assert status.sources["username"] == "env MP_USERNAME"
    assert status.config == str(two_accounts.path)
    text = repr(status) + repr(status.to_dict()) + repr(status.pl.to_dicts())
    assert OTHER_SECRET not in text


def test_status_account_source(two_accounts: ConfigManager, env: Any) -> None:
    assert auth_status(env=env()).account_source == "default"
    assert auth_status(env=env(MP_ACCOUNT="staging")).account_source == "MP_ACCOUNT"
    full = env(MP_USERNAME="u", MP_SECRET=ENV_SECRET, MP_PROJECT_ID="3")
    env_only = auth_status(env=full, config=ConfigManager(two_accounts.home / "empty"))
    assert (env_only.account, env_only.account_source) == (None, None)


def test_debug_log_masks_the_secret(
    two_accounts: ConfigManager, env: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="mixpanel_data"):
        resolve_credentials(env=env(MP_SECRET=ENV_SECRET))
        resolve_credentials("staging", env=env(MP_PROJECT_ID="9"))
        with pytest.raises(ConfigError):
            resolve_credentials(env=env(MP_SECRET=ENV_SECRET, MP_API_SECRET=API_SECRET))
    assert "resolved credentials" in caplog.text
    assert "****ENV1" in caplog.text
    for secret in (SECRET, OTHER_SECRET, ENV_SECRET, API_SECRET):
        assert secret not in caplog.text


def test_errors_never_contain_secrets(two_accounts: ConfigManager, env: Any) -> None:
    failing = [
        {"MP_SECRET": ENV_SECRET, "MP_API_SECRET": API_SECRET},
        {"MP_ACCOUNT": "ghost", "MP_SECRET": ENV_SECRET},
        {"MP_SECRET": ENV_SECRET, "MP_PROJECT_ID": "nope"},
    ]
    for environ in failing:
        with pytest.raises(ConfigError) as info:
            resolve_credentials(env=env(**environ))
        assert ENV_SECRET not in str(info.value)
        assert API_SECRET not in str(info.value)


# -- hosts per region ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "family", "url"),
    [
        ("us", "query", "https://mixpanel.com"),
        ("us", "engage", "https://mixpanel.com"),
        ("us", "export", "https://data.mixpanel.com"),
        ("eu", "query", "https://eu.mixpanel.com"),
        ("eu", "engage", "https://eu.mixpanel.com"),
        ("eu", "export", "https://data-eu.mixpanel.com"),
        ("in", "query", "https://in.mixpanel.com"),
        ("in", "engage", "https://in.mixpanel.com"),
        ("in", "export", "https://data-in.mixpanel.com"),
    ],
)
def test_base_url_per_region(env: Any, region: str, family: str, url: str) -> None:
    creds = resolve_credentials(
        env=env(MP_USERNAME="u", MP_SECRET=ENV_SECRET, MP_PROJECT_ID="1", MP_REGION=region)
    )
    assert base_url(creds, family) == url  # type: ignore[arg-type]


@pytest.mark.parametrize("family", ["query", "engage", "export"])
def test_base_url_overrides_win_over_region(env: Any, family: str) -> None:
    creds = resolve_credentials(
        env=env(
            MP_USERNAME="u",
            MP_SECRET=ENV_SECRET,
            MP_PROJECT_ID="1",
            MP_REGION="eu",
            MP_QUERY_URL="http://127.0.0.1:8765/",
            MP_EXPORT_URL="http://127.0.0.1:8766",
        )
    )
    expected = "http://127.0.0.1:8766" if family == "export" else "http://127.0.0.1:8765"
    assert base_url(creds, family) == expected  # type: ignore[arg-type]
