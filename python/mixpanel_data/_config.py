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

import os
import time
import warnings
from typing import TYPE_CHECKING, Any

from mixpanel_data._config_accounts import AccountInfo, AccountList, ConfigManager
from mixpanel_data._config_resolve import OVERRIDE_KEYS, AccountSource, resolve
from mixpanel_data._config_schema import LegacyAuthWarning, legacy_auth_message, mp_home
from mixpanel_data._credentials import AuthKind, Credentials, Region, base_url, mask_secret
from mixpanel_data._result import Record

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
    resolved = resolve(account, overrides, env, config)
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
    resolved = resolve(account, overrides, environ, manager)
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
