"""``mp auth``: login/add/list/switch/remove/logout/status/test through the real CLI frame."""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mixpanel_data._config import ConfigManager
from mixpanel_data.api import MixpanelClient
from mixpanel_data.cli._context import Context

SECRET = "sa-secret-0123456789-WXYZ"
OTHER_SECRET = "other-secret-abcdef-9876"
API_SECRET = "legacy-api-secret-5555"
ENV_SECRET = "env-secret-zzzzzzzz-ENV1"
ALL_SECRETS = (SECRET, OTHER_SECRET, API_SECRET, ENV_SECRET)


@pytest.fixture
def stdin(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Replace standard input (not a terminal): ``stdin("text")``."""

    def feed(text: str) -> io.StringIO:
        stream = io.StringIO(text)
        monkeypatch.setattr(sys, "stdin", stream)
        return stream

    feed("")
    return feed


@pytest.fixture
def accounts(mp_home: Path) -> ConfigManager:
    """``prod`` (default, us, project 111) and ``staging`` (eu, project 222)."""
    manager = ConfigManager(mp_home)
    manager.add("prod", username="prod.u1.mp-service-account", secret=SECRET, project_id=111)
    manager.add(
        "staging",
        username="stage.u2.mp-service-account",
        secret=OTHER_SECRET,
        project_id=222,
        region="eu",
    )
    return manager


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Undo the handler and level ``--verbose`` installs on the package logger."""
    logger = logging.getLogger("mixpanel_data")
    handlers, level = list(logger.handlers), logger.level
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in ALL_SECRETS:
            assert secret not in text


# -- login / add ---------------------------------------------------------------------------


def test_login_from_stdin(run_cli: Any, stdin: Any, mp_home: Path) -> None:
    stdin(SECRET + "\n")
    code, out, err = run_cli(
        "auth", "login", "--username", "me.x", "--project-id", "12", "--region", "eu",
        "--secret-stdin", "-f", "json",
    )  # fmt: skip
    assert code == 0, err
    info = json.loads(out)
    assert info["name"] == "default"
    assert info["default"] is True
    assert info["secret"] == "****WXYZ"
    assert (info["username"], info["project_id"], info["region"]) == ("me.x", 12, "eu")
    assert "saved account 'default'" in err
    assert_no_secret(out, err)
    config = mp_home / "config.toml"
    assert ConfigManager(mp_home).credentials("default").secret == SECRET
    if os.name == "posix":
        assert stat.S_IMODE(config.stat().st_mode) == 0o600
        assert stat.S_IMODE(mp_home.stat().st_mode) == 0o700


def test_login_name_from_account_option_and_every_setting(
    run_cli: Any, stdin: Any, mp_home: Path
) -> None:
    stdin(SECRET)
    code, _, err = run_cli(
        "--account", "emu", "auth", "login", "--username", "u", "--project-id", "3",
        "--workspace-id", "4", "--query-url", "http://127.0.0.1:8765", "--export-url",
        "http://127.0.0.1:8766/", "--timezone", "America/Los_Angeles", "--legacy-timezone",
        "--secret-stdin", "-f", "json",
    )  # fmt: skip
    assert code == 0, err
    creds = ConfigManager(mp_home).credentials("emu")
    assert (creds.workspace_id, creds.query_url, creds.export_url) == (
        4,
        "http://127.0.0.1:8765",
        "http://127.0.0.1:8766",
    )
    assert (creds.timezone, creds.legacy_timezone) == ("America/Los_Angeles", True)


def test_login_replaces_an_existing_account(
    run_cli: Any, stdin: Any, accounts: ConfigManager
) -> None:
    stdin(ENV_SECRET)
    code, _, err = run_cli(
        "auth", "login", "--name", "staging", "--username", "new.user", "--project-id", "9",
        "--secret-stdin",
    )  # fmt: skip
    assert code == 0, err
    creds = accounts.credentials("staging")
    assert (creds.username, creds.secret, creds.project_id, creds.region) == (
        "new.user",
        ENV_SECRET,
        9,
        "us",
    )
    assert accounts.default_name == "prod"
    assert "mp auth switch staging" in err


def test_login_default_flag_switches(run_cli: Any, stdin: Any, accounts: ConfigManager) -> None:
    stdin(ENV_SECRET)
    code, _, _ = run_cli(
        "auth", "login", "--name", "third", "--username", "u", "--project-id", "3",
        "--secret-stdin", "--default",
    )  # fmt: skip
    assert code == 0
    assert accounts.default_name == "third"


@pytest.mark.parametrize(
    ("argv", "stdin_text", "expected"),
    [
        (["--project-id", "1", "--secret-stdin"], SECRET, "--username is required"),
        (["--username", "u", "--secret-stdin"], SECRET, "--project-id is required"),
        (["--username", "u", "--project-id", "1"], "", "no secret"),
        (["--username", "u", "--project-id", "1", "--secret-stdin"], "  \n", "input was empty"),
        (["--name", "a/b", "--username", "u", "--secret-stdin"], SECRET, "invalid account name"),
        (
            ["--username", "u", "--project-id", "1", "--secret-stdin", "--timezone", "X/Y"],
            SECRET,
            "time zone",
        ),
        (
            ["--api-secret", "--username", "u", "--secret-stdin"],
            API_SECRET,
            "--username does not apply",
        ),
    ],
)
def test_login_usage_errors(
    run_cli: Any, stdin: Any, mp_home: Path, argv: list[str], stdin_text: str, expected: str
) -> None:
    stdin(stdin_text)
    code, out, err = run_cli("auth", "login", *argv)
    assert code == 2
    assert expected in err
    assert out == ""
    assert_no_secret(err)
    assert not (mp_home / "config.toml").exists()


@pytest.mark.parametrize("argv", [["--project-id", "0"], ["--region", "asia"]])
def test_login_option_validation_is_a_usage_error(run_cli: Any, argv: list[str]) -> None:
    code, _, _ = run_cli("auth", "login", "--username", "u", "--secret-stdin", *argv)
    assert code == 2


def test_login_prompts_on_a_terminal(
    run_cli: Any, monkeypatch: pytest.MonkeyPatch, mp_home: Path
) -> None:
    asked: list[tuple[str, bool]] = []
    answers = {
        "Service-account username": "typed.user",
        "Service-account secret": SECRET,
        "Project id": "77",
        "Region (us, eu, in) [us]": "IN",
    }

    def prompt(self: Context, text: str, *, secret: bool = False) -> str:
        asked.append((text, secret))
        return answers[text]

    monkeypatch.setattr(Context, "stdin_is_tty", property(lambda self: True))
    monkeypatch.setattr(Context, "prompt", prompt)
    code, out, err = run_cli("auth", "login", "-f", "json")
    assert code == 0, err
    # Only the secret is asked without echo; it never reaches stdout or stderr.
    assert asked == [
        ("Service-account username", False),
        ("Service-account secret", True),
        ("Project id", False),
        ("Region (us, eu, in) [us]", False),
    ]
    assert json.loads(out)["region"] == "in"
    assert_no_secret(out, err)
    creds = ConfigManager(mp_home).credentials("default")
    assert (creds.username, creds.secret, creds.project_id) == ("typed.user", SECRET, 77)


def test_login_prompts_only_for_what_is_missing(
    run_cli: Any, monkeypatch: pytest.MonkeyPatch, mp_home: Path
) -> None:
    asked: list[str] = []

    def prompt(self: Context, text: str, *, secret: bool = False) -> str:
        asked.append(text)
        return SECRET

    monkeypatch.setattr(Context, "stdin_is_tty", property(lambda self: True))
    monkeypatch.setattr(Context, "prompt", prompt)
    code, _, err = run_cli(
        "auth", "login", "--username", "u", "--project-id", "5", "--region", "eu"
    )
    assert code == 0, err
    assert asked == ["Service-account secret"]


def test_login_bad_prompted_project_id(run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Context, "stdin_is_tty", property(lambda self: True))
    monkeypatch.setattr(
        Context, "prompt", lambda self, text, secret=False: "abc" if text == "Project id" else "x"
    )
    code, _, err = run_cli("auth", "login", "--username", "u")
    assert code == 2
    assert "positive integer" in err


def test_login_legacy_api_secret_warns(run_cli: Any, stdin: Any, mp_home: Path) -> None:
    stdin(API_SECRET)
    code, out, err = run_cli("auth", "login", "--api-secret", "--secret-stdin", "-f", "json")
    assert code == 0, err
    assert json.loads(out)["auth"] == "api_secret"
    assert "warning:" in err
    assert "2027-03-03" in err
    assert err.count("2027-03-03") == 1
    assert_no_secret(out, err)


def test_add_new_account(run_cli: Any, stdin: Any, accounts: ConfigManager) -> None:
    stdin(ENV_SECRET)
    code, out, _ = run_cli(
        "auth", "add", "eu-team", "--username", "u", "--project-id", "8", "--region", "eu",
        "--secret-stdin", "-f", "json",
    )  # fmt: skip
    assert code == 0
    assert json.loads(out)["default"] is False
    assert accounts.credentials("eu-team").region == "eu"


def test_add_existing_fails_before_reading_the_secret(
    run_cli: Any, stdin: Any, accounts: ConfigManager
) -> None:
    stream = stdin(ENV_SECRET)
    code, out, err = run_cli(
        "auth", "add", "prod", "--username", "u", "--project-id", "8", "--secret-stdin"
    )
    assert code == 3
    assert "already exists" in err
    assert "mp auth login --name prod" in err
    assert out == ""
    assert stream.tell() == 0  # the secret was not consumed
    assert accounts.credentials("prod").secret == SECRET


# -- list / switch / remove / logout -------------------------------------------------------


def test_list_json_marks_default_and_masks(run_cli: Any, accounts: ConfigManager) -> None:
    code, out, err = run_cli("auth", "list", "-f", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert [(r["name"], r["default"], r["secret"]) for r in rows] == [
        ("prod", True, "****WXYZ"),
        ("staging", False, "****9876"),
    ]
    assert_no_secret(out, err)


@pytest.mark.parametrize("fmt", ["table", "csv", "plain", "jsonl"])
def test_list_every_format_masks(run_cli: Any, accounts: ConfigManager, fmt: str) -> None:
    code, out, err = run_cli("auth", "list", "-f", fmt)
    assert code == 0
    assert "prod" in out
    assert "****WXYZ" in out
    assert_no_secret(out, err)


def test_list_shows_optional_columns_only_when_used(run_cli: Any, accounts: ConfigManager) -> None:
    _, out, _ = run_cli("auth", "list", "-f", "json")
    assert "query_url" not in json.loads(out)[0]
    accounts.add("emu", username="u", secret=SECRET, project_id=1, query_url="http://127.0.0.1:1")
    _, out, _ = run_cli("auth", "list", "-f", "json")
    assert [r["query_url"] for r in json.loads(out)] == ["http://127.0.0.1:1", None, None]


def test_list_empty(run_cli: Any) -> None:
    code, out, err = run_cli("auth", "list", "-f", "json")
    assert code == 0
    assert json.loads(out) == []
    assert "mp auth login" in err


def test_switch(run_cli: Any, accounts: ConfigManager) -> None:
    code, out, err = run_cli("auth", "switch", "staging", "-f", "json")
    assert code == 0
    assert json.loads(out)["default"] is True
    assert "now 'staging'" in err
    assert accounts.default_name == "staging"


def test_switch_unknown_lists_known_accounts(run_cli: Any, accounts: ConfigManager) -> None:
    code, out, err = run_cli("auth", "switch", "ghost")
    assert code == 3
    assert out == ""
    assert "ghost" in err
    assert "prod, staging" in err


def test_unknown_account_error_as_json(run_cli: Any, accounts: ConfigManager) -> None:
    code, _, err = run_cli("auth", "switch", "ghost", "-f", "json")
    assert code == 3
    error = json.loads(err)["error"]
    assert error["type"] == "AccountNotFoundError"
    assert "prod, staging" in error["message"]


def test_remove(run_cli: Any, accounts: ConfigManager) -> None:
    code, out, err = run_cli("auth", "remove", "prod")
    assert code == 0
    assert out == ""
    assert "removed account 'prod'" in err
    assert "default account is 'staging'" in err
    assert accounts.names() == ["staging"]


def test_remove_unknown(run_cli: Any, accounts: ConfigManager) -> None:
    code, _, err = run_cli("auth", "remove", "ghost")
    assert code == 3
    assert "prod, staging" in err


def test_logout_removes_the_current_account(run_cli: Any, accounts: ConfigManager) -> None:
    code, _, _ = run_cli("auth", "logout")
    assert code == 0
    assert accounts.names() == ["staging"]
    code, _, _ = run_cli("--account", "staging", "auth", "logout")
    assert code == 0
    assert accounts.names() == []
    code, _, err = run_cli("auth", "logout")
    assert code == 3
    assert "no account to log out of" in err


def test_logout_named(run_cli: Any, accounts: ConfigManager) -> None:
    accounts.add("third", username="u", secret=SECRET, project_id=3)
    code, _, err = run_cli("auth", "logout", "--name", "prod")
    assert code == 0
    assert accounts.names() == ["staging", "third"]
    assert "mp auth switch staging" in err


def test_quiet_silences_info_but_not_warnings(
    run_cli: Any, stdin: Any, accounts: ConfigManager
) -> None:
    code, _, err = run_cli("--quiet", "auth", "switch", "staging")
    assert code == 0
    assert err == ""
    stdin(API_SECRET)
    code, _, err = run_cli("-q", "auth", "add", "old", "--api-secret", "--secret-stdin")
    assert code == 0
    assert err.startswith("warning:")
    assert "saved account" not in err


# -- status ----------------------------------------------------------------------------------


def test_status_not_logged_in(run_cli: Any) -> None:
    code, out, err = run_cli("auth", "status", "-f", "json")
    assert code == 3
    assert out == ""
    error = json.loads(err)["error"]
    assert error["type"] == "ConfigError"
    assert "mp auth login" in error["hint"]


def test_status_project_token_only(run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MP_PROJECT_TOKEN", "abcdef0123456789")
    code, _, err = run_cli("auth", "status")
    assert code == 3
    assert "can only send data" in err
    assert "abcdef0123456789" not in err


def test_status_default_account(run_cli: Any, accounts: ConfigManager) -> None:
    code, out, err = run_cli("auth", "status", "-f", "json")
    assert code == 0, err
    status = json.loads(out)
    assert status["account"] == "prod"
    assert status["account_source"] == "default"
    assert status["secret"] == "****WXYZ"
    assert status["query_url"] == "https://mixpanel.com"
    assert status["sources"]["username"] == "default account prod"
    assert_no_secret(out, err)


def test_status_sources(
    run_cli: Any, accounts: ConfigManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MP_REGION", "in")
    monkeypatch.setenv("MP_SECRET", ENV_SECRET)
    code, out, err = run_cli("--account", "staging", "auth", "status", "-f", "json")
    assert code == 0, err
    status = json.loads(out)
    assert (status["account"], status["account_source"]) == ("staging", "argument")
    assert status["region"] == "in"
    assert status["export_url"] == "https://data-in.mixpanel.com"
    assert status["secret"] == "****ENV1"
    assert status["sources"]["region"] == "env MP_REGION"
    assert status["sources"]["secret"] == "env MP_SECRET"
    assert status["sources"]["project_id"] == "account staging"
    assert_no_secret(out, err)


def test_status_account_from_mp_account(
    run_cli: Any, accounts: ConfigManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MP_ACCOUNT", "staging")
    code, out, _ = run_cli("auth", "status", "-f", "json")
    assert code == 0
    status = json.loads(out)
    assert (status["account"], status["account_source"]) == ("staging", "MP_ACCOUNT")


def test_status_unknown_account(run_cli: Any, accounts: ConfigManager) -> None:
    code, _, err = run_cli("-a", "nope", "auth", "status")
    assert code == 3
    assert "prod, staging" in err


@pytest.mark.parametrize("fmt", ["table", "csv", "plain", "jsonl"])
def test_status_every_format_masks(run_cli: Any, accounts: ConfigManager, fmt: str) -> None:
    code, out, err = run_cli("auth", "status", "-f", fmt)
    assert code == 0
    assert "****WXYZ" in out
    assert_no_secret(out, err)


def test_status_legacy_warning(
    run_cli: Any, monkeypatch: pytest.MonkeyPatch, accounts: ConfigManager
) -> None:
    monkeypatch.setenv("MP_API_SECRET", API_SECRET)
    code, out, err = run_cli("auth", "status", "-f", "json")
    assert code == 0
    assert json.loads(out)["legacy_auth"] is True
    assert "warning:" in err
    assert "2027-03-03" in err
    assert_no_secret(out, err)


def test_status_with_demo_labels_every_value(run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from mixpanel_data._credentials import Credentials

    demo = Credentials(
        secret="demo-secret-1234", username="demo", project_id=1, query_url="http://127.0.0.1:1"
    )
    monkeypatch.setattr(Context, "credentials", lambda self: demo)
    code, out, err = run_cli("--demo", "auth", "status", "-f", "json")
    assert code == 0, err
    status = json.loads(out)
    assert status["secret"] == "****1234"
    assert status["sources"]["username"] == "--demo"
    assert status["sources"]["query_url"] == "--demo"
    assert status["sources"]["export_url"] == "region us"
    assert "demo-secret-1234" not in out


def test_broken_config_names_file_and_line(run_cli: Any, mp_home: Path) -> None:
    mp_home.mkdir(parents=True)
    (mp_home / "config.toml").write_text(f'[accounts.a]\nsecret = "{SECRET}\n')
    code, _, err = run_cli("auth", "list")
    assert code == 3
    assert str(mp_home / "config.toml") in err
    assert "line 2" in err
    assert_no_secret(err)


def test_verbose_debug_logs_mask_secrets(
    run_cli: Any,
    accounts: ConfigManager,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    restore_logging: None,
) -> None:
    monkeypatch.setenv("MP_SECRET", ENV_SECRET)
    with caplog.at_level(logging.DEBUG, logger="mixpanel_data"):
        code, out, err = run_cli("--verbose", "auth", "status", "-f", "json")
    assert code == 0
    assert "resolved credentials" in caplog.text
    assert "****ENV1" in caplog.text
    assert_no_secret(caplog.text, out, err)


# -- test ------------------------------------------------------------------------------------


@pytest.fixture
def mock_mixpanel(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Route ``ctx.make_client()`` through a MockTransport; returns the recorded requests."""
    state: dict[str, Any] = {"status": 200, "body": ["Sign up"], "requests": []}

    def handler(request: httpx.Request) -> httpx.Response:
        state["requests"].append(request)
        return httpx.Response(state["status"], json=state["body"])

    def make_client(self: Context) -> MixpanelClient:
        return MixpanelClient(
            self.credentials(), transport=httpx.MockTransport(handler), sleep=lambda _: None
        )

    monkeypatch.setattr(Context, "make_client", make_client)
    return state


def test_auth_test_ok(run_cli: Any, accounts: ConfigManager, mock_mixpanel: Any) -> None:
    code, out, err = run_cli("-a", "staging", "auth", "test", "-f", "json")
    assert code == 0, err
    result = json.loads(out)
    assert result["ok"] is True
    assert result["latency_ms"] >= 0
    assert (result["account"], result["project_id"], result["region"]) == ("staging", 222, "eu")
    assert result["url"] == "https://eu.mixpanel.com/api/query/events/names"
    assert result["events_seen"] == 1
    assert "ok: authenticated" in err
    (request,) = mock_mixpanel["requests"]
    assert request.url.path == "/api/query/events/names"
    assert dict(request.url.params) == {
        "type": "general",
        "limit": "1",
        "project_id": "222",
    }
    expected = base64.b64encode(f"stage.u2.mp-service-account:{OTHER_SECRET}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {expected}"
    assert_no_secret(out, err)


def test_auth_test_rejected_credentials(
    run_cli: Any, accounts: ConfigManager, mock_mixpanel: Any
) -> None:
    mock_mixpanel["status"] = 401
    mock_mixpanel["body"] = {"error": "Invalid credentials", "status": "error"}
    code, out, err = run_cli("auth", "test", "-f", "json")
    assert code == 3
    assert out == ""
    error = json.loads(err)["error"]
    assert error["type"] == "AuthenticationError"
    assert error["status_code"] == 401
    assert_no_secret(err)


def test_auth_test_forbidden(run_cli: Any, accounts: ConfigManager, mock_mixpanel: Any) -> None:
    mock_mixpanel["status"] = 403
    mock_mixpanel["body"] = {"error": "no access to project", "status": "error"}
    code, _, err = run_cli("auth", "test", "-f", "table")
    assert code == 3
    assert err.startswith("error: Mixpanel answered 403")
    assert "hint:" in err


def test_auth_test_not_logged_in(run_cli: Any, mock_mixpanel: Any) -> None:
    code, _, err = run_cli("auth", "test")
    assert code == 3
    assert "mp auth login" in err
    assert mock_mixpanel["requests"] == []


def test_auth_test_legacy_secret_warns_and_uses_empty_password(
    run_cli: Any, monkeypatch: pytest.MonkeyPatch, mock_mixpanel: Any
) -> None:
    monkeypatch.setenv("MP_API_SECRET", API_SECRET)
    code, out, err = run_cli("auth", "test", "-f", "json")
    assert code == 0, err
    assert "2027-03-03" in err
    (request,) = mock_mixpanel["requests"]
    expected = base64.b64encode(f"{API_SECRET}:".encode()).decode()
    assert request.headers["authorization"] == f"Basic {expected}"
    assert "project_id" not in request.url.params
    assert_no_secret(out, err)
