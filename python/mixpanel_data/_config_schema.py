"""The config file's schema and the checks on what goes into it.

``_AccountEntry`` is one ``[accounts.NAME]`` table exactly as stored; unknown keys and wrong
types are rejected (``forbid_unknown_fields``), so a typo never silently drops a setting.
The ``validate_*`` helpers check names, URLs and time zones the same way for the file, the
flags and the environment.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import msgspec

# msgspec resolves the Struct annotations at runtime, so these imports must stay real.
from mixpanel_data._credentials import AuthKind, Region  # noqa: TC001
from mixpanel_data.exceptions import ValidationError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "ACCOUNT_NAME",
    "CONFIG_FILE_NAME",
    "FILE_HEADER",
    "LegacyAuthWarning",
    "legacy_auth_message",
    "mp_home",
    "validate_account_name",
    "validate_timezone",
    "validate_url",
]

CONFIG_FILE_NAME = "config.toml"
ACCOUNT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
FILE_HEADER = (
    "mixpanel_data / mp configuration. Written by `mp auth`; hand edits are fine.\n"
    "It holds secrets: keep it private (mode 0600)."
)


class LegacyAuthWarning(FutureWarning):
    """Credentials use a project API secret, which Mixpanel retires on 2027-03-03."""


def legacy_auth_message(account: str | None) -> str:
    """The warning text for credentials that use the legacy project API secret."""
    who = f"account {account!r} uses" if account else "these credentials use"
    return (
        f"{who} a project API secret, which Mixpanel retires on 2027-03-03; create a "
        "service account (Organization settings > Service accounts) and run "
        "`mp auth login --username USER --project-id ID`"
    )


def mp_home(env: Mapping[str, str] | None = None) -> Path:
    """The root directory of mp's files: ``$MP_HOME``, or ``~/.mp`` when it is unset."""
    environ = os.environ if env is None else env
    value = environ.get("MP_HOME", "").strip()
    return Path(value).expanduser() if value else Path.home() / ".mp"


# -- validation --------------------------------------------------------------------------


def validate_account_name(name: str) -> str:
    """Return ``name`` if it is a valid account name, else raise :class:`ValidationError`.

    Names are 1-64 characters: letters, digits, ``-``, ``_`` and ``.``, starting with a letter
    or digit (so never a path separator, ``.`` or ``..``).
    """
    if not ACCOUNT_NAME.fullmatch(name):
        raise ValidationError(
            f"invalid account name {name!r}: use 1-64 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit",
            hint="for example: prod, eu-staging, team_a.readonly",
        )
    return name


def validate_url(value: str, *, what: str) -> str:
    """Return ``value`` without a trailing slash if it is an http(s) URL with a host."""
    import urllib.parse

    parsed = urllib.parse.urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValidationError(
            f"{what} must be an http:// or https:// URL with a host, got {value!r}",
            hint="for example https://mixpanel.com or http://127.0.0.1:8765 (the emulator)",
        )
    if parsed.query or parsed.fragment:
        raise ValidationError(f"{what} must be a base URL without a query or fragment")
    return value.rstrip("/")


def validate_timezone(value: str, *, what: str) -> str:
    """Return ``value`` if it is a known IANA time zone name (``Europe/Paris``, ``UTC``)."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            f"{what} is not a known IANA time zone: {value!r}",
            hint="use the project's time zone as Mixpanel shows it, e.g. America/Los_Angeles",
        ) from exc
    return value


# -- the file's schema -------------------------------------------------------------------

PositiveInt = Annotated[int, msgspec.Meta(gt=0)]


class _AccountEntry(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One ``[accounts.NAME]`` table, exactly as stored."""

    auth: AuthKind = "service_account"
    username: str = ""
    secret: str
    project_id: PositiveInt | None = None
    region: Region = "us"
    workspace_id: PositiveInt | None = None
    query_url: str | None = None
    export_url: str | None = None
    timezone: str | None = None
    legacy_timezone: bool = False

    def to_toml(self) -> dict[str, Any]:
        # auth and region are written even at their defaults, so the file reads plainly.
        table: dict[str, Any] = {"auth": self.auth}
        if self.auth == "service_account":
            table["username"] = self.username
        table["secret"] = self.secret
        table["project_id"] = self.project_id
        table["region"] = self.region
        table["workspace_id"] = self.workspace_id
        table["query_url"] = self.query_url
        table["export_url"] = self.export_url
        table["timezone"] = self.timezone
        if self.legacy_timezone:
            table["legacy_timezone"] = True
        return table


class _ConfigDoc(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The top level of the file; accounts are validated one by one to name them in errors."""

    default: str | None = None
    accounts: dict[str, dict[str, Any]] = msgspec.field(default_factory=dict)


class _Config(msgspec.Struct, kw_only=True):
    default: str | None
    accounts: dict[str, _AccountEntry]

    def to_toml(self) -> dict[str, Any]:
        return {
            "default": self.default,
            "accounts": {name: self.accounts[name].to_toml() for name in sorted(self.accounts)},
        }


def _entry_problem(entry: _AccountEntry) -> tuple[str, str] | None:
    """The first (key, problem) that makes a well-typed entry unusable, if any."""
    if not entry.secret:
        return "secret", "is empty"
    if entry.auth == "service_account":
        if not entry.username:
            return "username", "is required for a service account"
        if entry.project_id is None:
            return "project_id", "is required for a service account"
    for key in ("query_url", "export_url"):
        value = getattr(entry, key)
        if value is not None:
            try:
                validate_url(value, what=key)
            except ValidationError as exc:
                return key, exc.message.removeprefix(f"{key} ")
    if entry.timezone is not None:
        try:
            validate_timezone(entry.timezone, what="timezone")
        except ValidationError as exc:
            return "timezone", exc.message.removeprefix("timezone ")
    return None


def _validated_entry(
    *,
    auth: AuthKind,
    username: str,
    secret: str,
    project_id: int | None,
    region: Region,
    workspace_id: int | None,
    query_url: str | None,
    export_url: str | None,
    timezone: str | None,
    legacy_timezone: bool,
) -> _AccountEntry:
    if auth not in ("service_account", "api_secret"):
        raise ValidationError(
            f"unknown auth kind {auth!r}", hint="use 'service_account' or 'api_secret'"
        )
    if region not in ("us", "eu", "in"):
        raise ValidationError(f"unknown region {region!r}", hint="use us, eu or in")
    secret = secret.strip()
    if not secret:
        raise ValidationError("the secret is empty", hint="pass the account's secret")
    for what, value in (("username", username), ("secret", secret)):
        if any(ord(c) < 0x20 or ord(c) == 0x7F or 0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise ValidationError(f"the {what} contains control or invalid characters")
    if auth == "service_account":
        if not username.strip():
            raise ValidationError(
                "a service account needs its username",
                hint="pass --username (shaped like name.abc123.mp-service-account)",
            )
        if project_id is None:
            raise ValidationError(
                "a service account needs the project id", hint="pass --project-id"
            )
    for what, number in (("project_id", project_id), ("workspace_id", workspace_id)):
        if number is not None and (isinstance(number, bool) or number <= 0):
            raise ValidationError(f"{what} must be a positive integer, got {number!r}")
    return _AccountEntry(
        auth=auth,
        username=username.strip() if auth == "service_account" else "",
        secret=secret,
        project_id=project_id,
        region=region,
        workspace_id=workspace_id,
        query_url=None if query_url is None else validate_url(query_url, what="query_url"),
        export_url=None if export_url is None else validate_url(export_url, what="export_url"),
        timezone=None if timezone is None else validate_timezone(timezone, what="timezone"),
        legacy_timezone=legacy_timezone,
    )
