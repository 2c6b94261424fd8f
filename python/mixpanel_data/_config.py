"""Which credentials a call uses: flags, then the environment, then an account.

Precedence, field by field (the first that sets a value wins):

1. ``overrides`` (the CLI's flags; keys below);
2. the environment: ``MP_USERNAME``, ``MP_SECRET`` (service account), ``MP_API_SECRET``
   (legacy project API secret), ``MP_PROJECT_ID``, ``MP_REGION``, ``MP_WORKSPACE_ID``,
   ``MP_QUERY_URL``, ``MP_EXPORT_URL``;
3. the named account: the ``account`` argument, else ``MP_ACCOUNT``;
4. otherwise the default account of ``$MP_HOME/config.toml``.

The secret and its kind travel together: the highest layer that has a secret decides whether
this is a service account or a legacy API secret. Settings that belong to one project
(``region``, ``workspace_id``, ``timezone``, ``legacy_timezone``) are taken from the account
only when the resolved ``project_id`` is the account's own, so pointing ``MP_PROJECT_ID`` at
another project never silently borrows the first project's data view or time zone.

Empty environment variables count as unset. ``MP_PROJECT_TOKEN`` alone is an error: a
project token can only send data to Mixpanel, never read it.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from typing import TYPE_CHECKING, Any, Literal

from mixpanel_data._config_accounts import (
    AccountInfo,
    AccountList,
    ConfigManager,
    LegacyAuthWarning,
    legacy_auth_message,
    mp_home,
    validate_timezone,
    validate_url,
)
from mixpanel_data._credentials import (
    REGIONS,
    AuthKind,
    Credentials,
    Region,
    base_url,
    mask_secret,
)
from mixpanel_data._result import Record
from mixpanel_data.exceptions import AccountNotFoundError, ConfigError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mixpanel_data.api import MixpanelClient

__all__ = [
    "OVERRIDE_KEYS",
    "AccountInfo",
    "AccountList",
    "AuthCheck",
    "AuthStatus",
    "ConfigManager",
    "LegacyAuthWarning",
    "auth_status",
    "describe_credentials",
    "mp_home",
    "resolve_credentials",
    "verify_credentials",
]

log = logging.getLogger(__name__)

#: Keys accepted in ``overrides``. ``secret`` is a service-account secret unless ``auth`` says
#: ``api_secret``; ``api_secret`` is the legacy project API secret.
OVERRIDE_KEYS = frozenset(
    {
        "auth",
        "username",
        "secret",
        "api_secret",
        "project_id",
        "region",
        "workspace_id",
        "query_url",
        "export_url",
        "timezone",
        "legacy_timezone",
    }
)

_ENV_VARS = {
    "username": "MP_USERNAME",
    "project_id": "MP_PROJECT_ID",
    "region": "MP_REGION",
    "workspace_id": "MP_WORKSPACE_ID",
    "query_url": "MP_QUERY_URL",
    "export_url": "MP_EXPORT_URL",
}
_FIELDS = (
    "username",
    "project_id",
    "region",
    "workspace_id",
    "query_url",
    "export_url",
    "timezone",
    "legacy_timezone",
)
_PROJECT_SCOPED = ("region", "workspace_id", "timezone", "legacy_timezone")
_DEFAULTS: dict[str, Any] = {
    "username": "",
    "project_id": None,
    "region": "us",
    "workspace_id": None,
    "query_url": None,
    "export_url": None,
    "timezone": None,
    "legacy_timezone": False,
}

AccountSource = Literal["argument", "MP_ACCOUNT", "default"]


class _Layer:
    """One source of values: its label per field (``env MP_REGION``) and the values."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.values: dict[str, Any] = {}
        self.labels: dict[str, str] = {}

    def set(self, key: str, value: Any, label: str) -> None:
        self.values[key] = value
        self.labels[key] = label


# -- parsing one value -------------------------------------------------------------------


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{what} must be a positive integer, got {value!r}")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not text.isdigit():
            raise ConfigError(f"{what} must be a positive integer, got {text!r}")
        number = int(text)
    if number <= 0:
        raise ConfigError(f"{what} must be a positive integer, got {number}")
    return number


def _region(value: Any, what: str) -> Region:
    text = str(value).strip().lower()
    for region in REGIONS:
        if text == region:
            return region
    raise ConfigError(f"{what} must be one of us, eu, in; got {value!r}")


def _bool(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{what} must be true or false, got {value!r}")


def _parse(key: str, value: Any, what: str) -> Any:
    """Convert a flag or environment value for ``key``; errors name ``what`` (never a secret)."""
    try:
        if key in ("project_id", "workspace_id"):
            return _positive_int(value, what)
        if key == "region":
            return _region(value, what)
        if key in ("query_url", "export_url"):
            return validate_url(str(value).strip(), what=what)
        if key == "timezone":
            return validate_timezone(str(value).strip(), what=what)
        if key == "legacy_timezone":
            return _bool(value, what)
        return str(value).strip()
    except ValidationError as exc:
        raise ConfigError(exc.message, hint=exc.hint) from exc


# -- the layers --------------------------------------------------------------------------


def _override_layer(overrides: Mapping[str, Any]) -> _Layer:
    unknown = sorted(set(overrides) - OVERRIDE_KEYS)
    if unknown:
        raise ValidationError(
            f"unknown credential override(s): {', '.join(unknown)}",
            hint=f"use {', '.join(sorted(OVERRIDE_KEYS))}",
        )
    layer = _Layer("flag")
    given = {k: v for k, v in overrides.items() if v is not None and v != ""}
    auth = given.pop("auth", None)
    if auth is not None and auth not in ("service_account", "api_secret"):
        raise ValidationError(
            f"unknown auth kind {auth!r}", hint="use 'service_account' or 'api_secret'"
        )
    if "secret" in given and "api_secret" in given:
        raise ValidationError(
            "both a service-account secret and a project API secret were given",
            hint="pass only one of them",
        )
    if "api_secret" in given:
        layer.set("secret", (str(given.pop("api_secret")).strip(), "api_secret"), "flag")
    elif "secret" in given:
        kind = auth or "service_account"
        layer.set("secret", (str(given.pop("secret")).strip(), kind), "flag")
    elif auth is not None:
        layer.set("auth", auth, "flag")
    for key, value in given.items():
        layer.set(key, _parse(key, value, f"the {key} override"), "flag")
    return layer


def _env_layer(env: Mapping[str, str]) -> _Layer:
    layer = _Layer("env")

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    secret, api_secret = get("MP_SECRET"), get("MP_API_SECRET")
    if secret and api_secret:
        raise ConfigError(
            "both MP_SECRET and MP_API_SECRET are set",
            hint="unset one: MP_SECRET (with MP_USERNAME) is a service account, "
            "MP_API_SECRET the legacy project API secret",
        )
    if secret:
        layer.set("secret", (secret, "service_account"), "env MP_SECRET")
    elif api_secret:
        layer.set("secret", (api_secret, "api_secret"), "env MP_API_SECRET")
    for key, name in _ENV_VARS.items():
        value = get(name)
        if value is not None:
            layer.set(key, _parse(key, value, name), f"env {name}")
    return layer


def _account_layer(config: ConfigManager, name: str, label: str) -> _Layer:
    creds = config.credentials(name)
    layer = _Layer("account")
    layer.set("secret", (creds.secret, creds.auth_kind), label)
    stored = config.get(name)
    for key in _FIELDS:
        value = getattr(stored, key)
        if value is not None and value != "" and value is not False:
            layer.set(key, value, label)
    return layer


# -- resolution --------------------------------------------------------------------------


class _Resolved:
    def __init__(
        self,
        credentials: Credentials,
        sources: dict[str, str],
        account_source: AccountSource | None,
    ) -> None:
        self.credentials = credentials
        self.sources = sources
        self.account_source = account_source


def _choose_account(
    account: str | None, env: Mapping[str, str], config: ConfigManager
) -> tuple[str | None, AccountSource | None]:
    if account:
        config.get(account)  # raises AccountNotFoundError listing the known accounts
        return account, "argument"
    from_env = env.get("MP_ACCOUNT", "").strip()
    if from_env:
        try:
            config.get(from_env)
        except AccountNotFoundError as exc:
            raise AccountNotFoundError(
                f"MP_ACCOUNT={from_env!r}: {exc.message}",
                hint=f"unset MP_ACCOUNT or set it to a configured account; {exc.hint}",
            ) from None
        return from_env, "MP_ACCOUNT"
    default = config.default_name
    return (default, "default") if default else (None, None)


def _missing(what: str, env_var: str, account: str | None, flag: str) -> ConfigError:
    login = f"mp auth login --name {account}" if account else "mp auth login"
    return ConfigError(
        f"no {what} in the credentials",
        hint=f"set {env_var}, or save it in the account: `{login} {flag} ...`",
    )


def _no_secret(env: Mapping[str, str], config: ConfigManager) -> ConfigError:
    if env.get("MP_PROJECT_TOKEN", "").strip():
        return ConfigError(
            "MP_PROJECT_TOKEN is set, but a project token can only send data to Mixpanel "
            "(ingestion); it cannot read events, profiles or reports",
            hint="to read data, set MP_USERNAME, MP_SECRET and MP_PROJECT_ID for a service "
            "account (Organization settings > Service accounts), or run `mp auth login`",
        )
    names = config.names()
    if names:
        return ConfigError(
            f"no default account is set (accounts in {config.path}: {', '.join(names)})",
            hint="choose one with `mp auth switch NAME`, or pass --account NAME "
            "(or set MP_ACCOUNT)",
        )
    return ConfigError(
        f"no Mixpanel credentials: no account in {config.path} and no MP_SECRET in the environment",
        hint="run `mp auth login`, or set MP_USERNAME, MP_SECRET and MP_PROJECT_ID "
        "(a service account)",
    )


def _resolve(
    account: str | None,
    overrides: Mapping[str, Any] | None,
    env: Mapping[str, str] | None,
    config: ConfigManager | None,
) -> _Resolved:
    environ: Mapping[str, str] = os.environ if env is None else env
    manager = config if config is not None else ConfigManager(env=environ)
    top = [_override_layer(overrides or {}), _env_layer(environ)]
    name, account_source = _choose_account(account, environ, manager)
    base = None
    if name is not None:
        label = f"account {name}" if account_source != "default" else f"default account {name}"
        base = _account_layer(manager, name, label)
    layers = [*top, base] if base is not None else top

    sources: dict[str, str] = {}
    secret_layer = next((la for la in layers if "secret" in la.values), None)
    if secret_layer is None:
        raise _no_secret(environ, manager)
    secret, auth_kind = secret_layer.values["secret"]
    sources["secret"] = sources["auth"] = secret_layer.labels["secret"]
    requested: AuthKind | None = top[0].values.get("auth")
    if requested is not None and requested != auth_kind:
        env_var = "MP_API_SECRET" if requested == "api_secret" else "MP_SECRET"
        raise ConfigError(
            f"auth {requested!r} was asked for, but the secret found "
            f"({sources['secret']}) is a {auth_kind.replace('_', ' ')} secret",
            hint=f"set {env_var}, or pass the matching secret",
        )
    if not secret:
        raise ConfigError(f"the secret from {sources['secret']} is empty")

    values: dict[str, Any] = {}
    for key in _FIELDS:
        for layer in layers:
            if key in layer.values:
                values[key] = layer.values[key]
                sources[key] = layer.labels[key]
                break
        else:
            values[key] = _DEFAULTS[key]
            if _DEFAULTS[key] is not None and _DEFAULTS[key] != "":
                sources[key] = "built-in default"

    # A project's own settings only apply to that project (see the module docstring).
    if base is not None and sources.get("project_id", "").startswith(("env", "flag")):
        own = base.values.get("project_id")
        if own is not None and own != values["project_id"]:
            for key in _PROJECT_SCOPED:
                if sources.get(key) == base.labels.get(key):
                    values[key] = _DEFAULTS[key]
                    sources.pop(key, None)
                    if _DEFAULTS[key] is not None:
                        sources[key] = "built-in default"
            log.debug(
                "project_id %s differs from account %s's (%s): not using its %s",
                values["project_id"],
                name,
                own,
                ", ".join(_PROJECT_SCOPED),
            )

    if auth_kind == "service_account":
        if not values["username"]:
            raise _missing("service-account username", "MP_USERNAME", name, "--username")
        if values["project_id"] is None:
            raise _missing("project id", "MP_PROJECT_ID", name, "--project-id")
    else:
        values["username"] = ""
        sources.pop("username", None)

    credentials = Credentials(
        auth_kind=auth_kind,
        secret=secret,
        username=values["username"],
        project_id=values["project_id"],
        region=values["region"],
        workspace_id=values["workspace_id"],
        query_url=values["query_url"],
        export_url=values["export_url"],
        timezone=values["timezone"] or "UTC",
        legacy_timezone=values["legacy_timezone"],
        account=name if base is not None else None,
    )
    log.debug(
        "resolved credentials: account=%s auth=%s username=%s secret=%s project_id=%s "
        "region=%s sources=%s",
        credentials.account,
        credentials.auth_kind,
        credentials.username or "-",
        mask_secret(credentials.secret),
        credentials.project_id,
        credentials.region,
        sources,
    )
    return _Resolved(credentials, sources, account_source if base is not None else None)


def resolve_credentials(
    account: str | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config: ConfigManager | None = None,
) -> Credentials:
    """Work out the credentials to use: flags > environment > named account > default account.

    Parameters
    ----------
    account
        An account name from the config file (else ``MP_ACCOUNT``, else the default account).
    overrides
        Values that win over everything (the CLI's flags). Keys: ``auth``, ``username``,
        ``secret``, ``api_secret``, ``project_id``, ``region``, ``workspace_id``,
        ``query_url``, ``export_url``, ``timezone``, ``legacy_timezone``; ``None`` values
        are ignored.
    env
        The environment to read (default: ``os.environ``).
    config
        The config file manager (default: ``$MP_HOME/config.toml`` per ``env``).

    Returns
    -------
    Credentials
        Complete credentials; a service account always has a username and a project id.

    Raises
    ------
    AccountNotFoundError
        ``account`` (or ``MP_ACCOUNT``) names no configured account; the message lists the
        known ones.
    ConfigError
        A piece is missing or invalid; the message names the variable, flag or
        ``mp auth login`` call that fixes it. Also for a broken config file.
    ValidationError
        An unknown override key.

    Warns
    -----
    LegacyAuthWarning
        The credentials use the legacy project API secret (retired by Mixpanel on 2027-03-03).
    """
    resolved = _resolve(account, overrides, env, config)
    credentials = resolved.credentials
    if credentials.auth_kind == "api_secret":
        warnings.warn(legacy_auth_message(credentials.account), LegacyAuthWarning, stacklevel=2)
    return credentials


# -- status and verification -------------------------------------------------------------


class AuthStatus(Record, frozen=True, kw_only=True, dict=True):
    """The credentials a command would use, and where each value came from."""

    account: str | None
    "The account name, or ``None`` when the environment alone supplied everything."
    account_source: AccountSource | None
    "How the account was chosen: ``argument`` (``--account``), ``MP_ACCOUNT`` or ``default``."
    auth: AuthKind
    username: str
    secret: str
    "Masked: ``****`` plus the last four characters."
    project_id: int | None
    region: Region
    workspace_id: int | None
    query_url: str
    "The base URL of Query API calls (the region's host unless overridden)."
    export_url: str
    "The base URL of raw exports."
    timezone: str
    legacy_timezone: bool
    legacy_auth: bool
    "True for a project API secret, which Mixpanel retires on 2027-03-03."
    config: str
    "The config file."
    sources: dict[str, str]
    "Where each value came from: ``flag``, ``env MP_X``, ``account NAME``, …"


def auth_status(
    account: str | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config: ConfigManager | None = None,
) -> AuthStatus:
    """Resolve credentials like :func:`resolve_credentials` and describe them (secret masked).

    Raises the same errors, and issues the same :class:`LegacyAuthWarning`.
    """
    environ: Mapping[str, str] = os.environ if env is None else env
    manager = config if config is not None else ConfigManager(env=environ)
    resolved = _resolve(account, overrides, environ, manager)
    creds = resolved.credentials
    if creds.auth_kind == "api_secret":
        warnings.warn(legacy_auth_message(creds.account), LegacyAuthWarning, stacklevel=2)
    return describe_credentials(
        creds,
        sources=resolved.sources,
        account_source=resolved.account_source,
        config=manager,
    )


def describe_credentials(
    credentials: Credentials,
    *,
    sources: Mapping[str, str] | None = None,
    account_source: AccountSource | None = None,
    config: ConfigManager | None = None,
    label: str = "given",
) -> AuthStatus:
    """Describe credentials that are already resolved (the secret masked).

    ``sources`` says where each value came from; values it does not mention are labelled
    ``label``, and the base URLs not overridden are labelled with their region.
    """
    creds = credentials
    labels = dict(sources) if sources is not None else {}
    for key in ("secret", "auth", "region"):
        labels.setdefault(key, label)
    for key in ("username", "project_id", "workspace_id"):
        if getattr(creds, key) not in (None, ""):
            labels.setdefault(key, label)
    labels.setdefault("timezone", "built-in default")
    labels.setdefault("legacy_timezone", "built-in default")
    labels.setdefault("query_url", label if creds.query_url else "region " + creds.region)
    labels.setdefault("export_url", label if creds.export_url else "region " + creds.region)
    manager = config if config is not None else ConfigManager()
    return AuthStatus(
        account=creds.account,
        account_source=account_source,
        auth=creds.auth_kind,
        username=creds.username,
        secret=mask_secret(creds.secret),
        project_id=creds.project_id,
        region=creds.region,
        workspace_id=creds.workspace_id,
        query_url=base_url(creds, "query"),
        export_url=base_url(creds, "export"),
        timezone=creds.timezone,
        legacy_timezone=creds.legacy_timezone,
        legacy_auth=creds.auth_kind == "api_secret",
        config=str(manager.path),
        sources=labels,
    )


class AuthCheck(Record, frozen=True, kw_only=True, dict=True):
    """The outcome of one cheap authenticated call (``mp auth test``)."""

    ok: bool
    account: str | None
    auth: AuthKind
    username: str
    project_id: int | None
    region: Region
    url: str
    "The endpoint called (no query string, no credentials)."
    latency_ms: float
    "Wall time of the call, in milliseconds."
    events_seen: int
    "How many event names the call returned (0 for a project without recent data)."


_CHECK_PATH = "/api/query/events/names"


def verify_credentials(client: MixpanelClient) -> AuthCheck:
    """Make one cheap authenticated call and report it.

    Calls the Query API's ``/events/names`` with ``type=general&limit=1`` (the most common
    event name of the last 31 days), which any account that can read the project may call.

    Raises
    ------
    AuthenticationError, PermissionDeniedError, APIError
        The call failed; the error is the client's, mapped from Mixpanel's answer.
    """
    creds = client.credentials
    started = time.perf_counter()
    body = client.get_json("query", _CHECK_PATH, {"type": "general", "limit": 1})
    latency = (time.perf_counter() - started) * 1000.0
    return AuthCheck(
        ok=True,
        account=creds.account,
        auth=creds.auth_kind,
        username=creds.username,
        project_id=creds.project_id,
        region=creds.region,
        url=client.url("query", _CHECK_PATH),
        latency_ms=round(latency, 1),
        events_seen=len(body) if isinstance(body, list) else 0,
    )
