"""Named Mixpanel accounts stored in ``$MP_HOME/config.toml``, and the manager that edits them.

The file looks like this (``mp auth login`` writes it; hand edits are fine)::

    default = "prod"

    [accounts.prod]
    auth = "service_account"  # or "api_secret" (legacy)
    username = "reader.abc123.mp-service-account"
    secret = "..."
    project_id = 12345
    region = "us"  # us | eu | in
    workspace_id = 678  # optional: a data view
    query_url = "http://127.0.0.1:8765"  # optional: emulator / proxy base URLs
    export_url = "http://127.0.0.1:8765"
    timezone = "America/Los_Angeles"  # optional: the project's time zone
    legacy_timezone = true  # projects created before 2023 export in that zone

Unknown keys and wrong types are errors that name the key, so a typo never silently drops a
setting. The file is re-read on every call: another ``mp`` process may have changed it.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from mixpanel_data._config_file import dumps, format_key, load_toml, lock, write_private
from mixpanel_data._config_schema import (
    ACCOUNT_NAME,
    CONFIG_FILE_NAME,
    FILE_HEADER,
    LegacyAuthWarning,
    _AccountEntry,
    _Config,
    _ConfigDoc,
    _entry_problem,
    _validated_entry,
    legacy_auth_message,
    mp_home,
    validate_account_name,
)
from mixpanel_data._credentials import AuthKind, Credentials, Region, mask_secret
from mixpanel_data._result import Record, Result
from mixpanel_data.exceptions import (
    AccountExistsError,
    AccountNotFoundError,
    ConfigError,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    import polars

__all__ = ["AccountInfo", "AccountList", "ConfigManager"]


# -- public result types -----------------------------------------------------------------


class AccountInfo(Record, frozen=True, kw_only=True, dict=True):
    """One configured account, as shown to people: the secret is masked (``****abcd``)."""

    name: str
    default: bool
    auth: AuthKind
    username: str
    secret: str
    "The secret, masked: ``****`` plus its last four characters."
    project_id: int | None
    region: Region
    workspace_id: int | None = None
    query_url: str | None = None
    export_url: str | None = None
    timezone: str | None = None
    legacy_timezone: bool = False

    @property
    def legacy(self) -> bool:
        """Whether the account uses the legacy project API secret."""
        return self.auth == "api_secret"


_ACCOUNT_COLUMNS = {
    "name": "String",
    "default": "Boolean",
    "auth": "String",
    "username": "String",
    "secret": "String",
    "project_id": "Int64",
    "region": "String",
    "workspace_id": "Int64",
    "query_url": "String",
    "export_url": "String",
    "timezone": "String",
    "legacy_timezone": "Boolean",
}


_OPTIONAL_COLUMNS = ("workspace_id", "query_url", "export_url", "timezone")


class AccountList(Result, frozen=True, kw_only=True, dict=True):
    """Every configured account (secrets masked), the default marked."""

    accounts: list[AccountInfo]
    default: str | None
    path: str
    "The config file."

    def _to_frame(self) -> polars.DataFrame:
        import polars

        schema = {name: getattr(polars, dtype) for name, dtype in _ACCOUNT_COLUMNS.items()}
        rows = [account.to_dict() for account in self.accounts]
        return polars.DataFrame(rows, schema=schema)

    def _rows(self) -> polars.DataFrame:
        # The CLI shows the core columns always, the optional settings only when some
        # account uses them (a ten-column table of mostly empty cells helps nobody).
        frame = self.pl
        optional = [c for c in _OPTIONAL_COLUMNS if frame[c].drop_nulls().len() == 0]
        if frame.height and not frame["legacy_timezone"].any():
            optional.append("legacy_timezone")
        return frame.drop(optional) if frame.height else frame


def _info(name: str, entry: _AccountEntry, default: str | None) -> AccountInfo:
    return AccountInfo(
        name=name,
        default=name == default,
        auth=entry.auth,
        username=entry.username,
        secret=mask_secret(entry.secret),
        project_id=entry.project_id,
        region=entry.region,
        workspace_id=entry.workspace_id,
        query_url=entry.query_url,
        export_url=entry.export_url,
        timezone=entry.timezone,
        legacy_timezone=entry.legacy_timezone,
    )


# -- the manager -------------------------------------------------------------------------


class ConfigManager:
    """Read and edit the accounts in ``$MP_HOME/config.toml``.

    Parameters
    ----------
    home
        The directory holding ``config.toml`` (default: ``$MP_HOME``, else ``~/.mp``).
    env
        The environment to read ``MP_HOME`` from (default: ``os.environ``).

    Every method re-reads the file; edits hold a lock and replace the file atomically with
    mode 0600.
    """

    def __init__(self, home: Path | None = None, *, env: Mapping[str, str] | None = None) -> None:
        self._home = Path(home) if home is not None else mp_home(env)

    def __repr__(self) -> str:
        return f"ConfigManager(home={str(self._home)!r})"

    @property
    def home(self) -> Path:
        """The directory holding the config file."""
        return self._home

    @property
    def path(self) -> Path:
        """The config file."""
        return self._home / CONFIG_FILE_NAME

    # -- reading -------------------------------------------------------------------------

    def _load(self) -> _Config:
        raw = load_toml(self.path)
        if raw is None:
            return _Config(default=None, accounts={})
        try:
            doc = msgspec.convert(raw, _ConfigDoc)
        except msgspec.ValidationError as exc:
            raise self._schema_error(str(exc), prefix="") from exc
        accounts: dict[str, _AccountEntry] = {}
        for name, table in doc.accounts.items():
            if not ACCOUNT_NAME.fullmatch(name):
                raise ConfigError(
                    f"{self.path}: invalid account name {name!r} in [accounts]: use letters, "
                    "digits, '-', '_' or '.'",
                    hint="rename the account's table in an editor",
                )
            prefix = f"accounts.{format_key(name)}"
            try:
                entry = msgspec.convert(table, _AccountEntry)
            except msgspec.ValidationError as exc:
                raise self._schema_error(str(exc), prefix=prefix) from exc
            problem = _entry_problem(entry)
            if problem is not None:
                key, what = problem
                raise ConfigError(
                    f"{self.path}: {prefix}.{key} {what}",
                    hint=f"fix it in an editor, or run `mp auth login --name {name}`",
                )
            accounts[name] = entry
        if doc.default is not None and doc.default not in accounts:
            raise ConfigError(
                f"{self.path}: default = {doc.default!r} names no account in [accounts]",
                hint=f"known accounts: {_names(accounts)}; fix or delete the `default` line",
            )
        return _Config(default=doc.default, accounts=accounts)

    def _schema_error(self, reason: str, *, prefix: str) -> ConfigError:
        # msgspec says "... - at `$.key`" or names an unknown field; turn both into a dotted
        # key ("accounts.prod.region") so the user can find it in the file.
        message, _, at = reason.partition(" - at `")
        at = at.rstrip("`").removeprefix("$").lstrip(".")
        unknown = re.search(r"unknown field `([^`]+)`", message)
        missing = re.search(r"missing required field `([^`]+)`", message)
        parts = [p for p in (prefix, at) if p]
        if unknown:
            key = ".".join([*parts, format_key(unknown[1])])
            fields = _AccountEntry.__struct_fields__ if prefix else _ConfigDoc.__struct_fields__
            return ConfigError(
                f"{self.path}: unknown key {key}",
                hint="remove it or fix its spelling; the keys allowed there are: "
                + ", ".join(fields),
            )
        if missing:
            key = ".".join([*parts, format_key(missing[1])])
            return ConfigError(
                f"{self.path}: missing key {key}",
                hint="add it in an editor, or run `mp auth login`",
            )
        key = ".".join(parts) or "the top level"
        return ConfigError(f"{self.path}: {key}: {message}", hint="fix the value in an editor")

    def accounts(self) -> list[AccountInfo]:
        """Every configured account, sorted by name (secrets masked)."""
        config = self._load()
        return [_info(n, config.accounts[n], config.default) for n in sorted(config.accounts)]

    def account_list(self) -> AccountList:
        """Every configured account as a result (for ``mp auth list``)."""
        config = self._load()
        infos = [_info(n, config.accounts[n], config.default) for n in sorted(config.accounts)]
        return AccountList(accounts=infos, default=config.default, path=str(self.path))

    @property
    def default_name(self) -> str | None:
        """The default account's name, or ``None`` when there is none."""
        return self._load().default

    def names(self) -> list[str]:
        """The configured account names, sorted."""
        return sorted(self._load().accounts)

    def _entry(self, config: _Config, name: str) -> _AccountEntry:
        try:
            return config.accounts[name]
        except KeyError:
            raise self._not_found(name, config) from None

    def _not_found(self, name: str, config: _Config) -> AccountNotFoundError:
        if config.accounts:
            known = f"known accounts: {_names(config.accounts)}"
        else:
            known = f"no accounts are configured in {self.path}"
        return AccountNotFoundError(
            f"no account named {name!r} ({known})",
            hint=f"add it with `mp auth login --name {name}`, or list accounts with `mp auth list`",
        )

    def _exists(self, name: str) -> AccountExistsError:
        return AccountExistsError(
            f"an account named {name!r} already exists in {self.path}",
            hint=f"re-run `mp auth login --name {name}` to replace its credentials, "
            f"or `mp auth remove {name}` first",
        )

    def ensure_available(self, name: str) -> None:
        """Raise unless ``name`` is a valid account name that is not taken yet.

        Raises
        ------
        ValidationError
            The name is not a valid account name.
        AccountExistsError
            An account of that name exists.
        """
        validate_account_name(name)
        if name in self._load().accounts:
            raise self._exists(name)

    def get(self, name: str) -> AccountInfo:
        """The account called ``name`` (secret masked); :class:`AccountNotFoundError` if none."""
        config = self._load()
        return _info(name, self._entry(config, name), config.default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._load().accounts

    def credentials(self, name: str) -> Credentials:
        """The stored credentials of account ``name`` (no environment overrides applied)."""
        entry = self._entry(self._load(), name)
        return Credentials(
            auth_kind=entry.auth,
            secret=entry.secret,
            username=entry.username if entry.auth == "service_account" else "",
            project_id=entry.project_id,
            region=entry.region,
            workspace_id=entry.workspace_id,
            query_url=entry.query_url,
            export_url=entry.export_url,
            timezone=entry.timezone or "UTC",
            legacy_timezone=entry.legacy_timezone,
            account=name,
        )

    # -- editing -------------------------------------------------------------------------

    def _save(self, config: _Config) -> None:
        write_private(self.path, dumps(config.to_toml(), header=FILE_HEADER))

    def add(
        self,
        name: str,
        *,
        secret: str,
        username: str = "",
        project_id: int | None = None,
        region: Region = "us",
        auth: AuthKind = "service_account",
        workspace_id: int | None = None,
        query_url: str | None = None,
        export_url: str | None = None,
        timezone: str | None = None,
        legacy_timezone: bool = False,
        make_default: bool = False,
        overwrite: bool = False,
    ) -> AccountInfo:
        """Store an account and return it (secret masked).

        Parameters
        ----------
        name
            The account's name (letters, digits, ``-``, ``_``, ``.``).
        secret
            The service-account secret, or (``auth="api_secret"``) the project API secret.
        username
            The service-account username (required for ``service_account``).
        project_id
            The numeric project id (required for ``service_account``).
        region
            ``us``, ``eu`` or ``in``.
        auth
            ``service_account`` (default) or ``api_secret``: the legacy project API secret,
            which Mixpanel retires on 2027-03-03 (a :class:`LegacyAuthWarning` is issued).
        workspace_id
            Optional data view id.
        query_url, export_url
            Optional base URLs replacing the region's hosts (the emulator, a proxy).
        timezone
            The project's IANA time zone.
        legacy_timezone
            The project exports in ``timezone`` rather than UTC (created before 2023).
        make_default
            Make it the default account. The first account always becomes the default.
        overwrite
            Replace an existing account of that name instead of raising
            :class:`AccountExistsError`.
        """
        validate_account_name(name)
        entry = _validated_entry(
            auth=auth,
            username=username,
            secret=secret,
            project_id=project_id,
            region=region,
            workspace_id=workspace_id,
            query_url=query_url,
            export_url=export_url,
            timezone=timezone,
            legacy_timezone=legacy_timezone,
        )
        with lock(self._home):
            config = self._load()
            if name in config.accounts and not overwrite:
                raise self._exists(name)
            config.accounts[name] = entry
            if make_default or config.default is None:
                config.default = name
            self._save(config)
        if auth == "api_secret":
            warnings.warn(legacy_auth_message(name), LegacyAuthWarning, stacklevel=2)
        return _info(name, entry, config.default)

    def remove(self, name: str) -> AccountInfo:
        """Delete account ``name`` and return it (secret masked).

        When it was the default and exactly one account remains, that one becomes the
        default; otherwise there is no default until ``set_default``.
        """
        with lock(self._home):
            config = self._load()
            entry = self._entry(config, name)
            del config.accounts[name]
            if config.default == name:
                config.default = next(iter(config.accounts)) if len(config.accounts) == 1 else None
            self._save(config)
        return _info(name, entry, None)

    def set_default(self, name: str) -> AccountInfo:
        """Make ``name`` the default account and return it."""
        with lock(self._home):
            config = self._load()
            entry = self._entry(config, name)
            config.default = name
            self._save(config)
        return _info(name, entry, name)


def _names(accounts: Mapping[str, Any]) -> str:
    return ", ".join(sorted(accounts)) or "(none)"
