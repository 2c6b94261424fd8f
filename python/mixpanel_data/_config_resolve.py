"""The machinery of credential resolution: layers of values and how they merge.

See :mod:`mixpanel_data._config` for the documented precedence; this module builds one layer
per source (flags, environment, account), merges them field by field and checks that the
result is complete, naming the variable or command that fixes whatever is missing.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any, Literal

from mixpanel_data._config_accounts import ConfigManager
from mixpanel_data._config_schema import validate_timezone, validate_url
from mixpanel_data._credentials import REGIONS, AuthKind, Credentials, Region, mask_secret
from mixpanel_data.exceptions import AccountNotFoundError, ConfigError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["OVERRIDE_KEYS", "AccountSource", "resolve"]

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


class Resolved:
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


def resolve(
    account: str | None,
    overrides: Mapping[str, Any] | None,
    env: Mapping[str, str] | None,
    config: ConfigManager | None,
) -> Resolved:
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
    return Resolved(credentials, sources, account_source if base is not None else None)
