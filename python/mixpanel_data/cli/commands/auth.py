"""``mp auth``: log in, list, switch and test Mixpanel accounts.

Secrets are never taken as command-line arguments (they would land in shell history and in
``ps``): they are typed at a hidden prompt, or piped in with ``--secret-stdin``. Every view of
an account shows the secret as ``****`` plus its last four characters.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from cyclopts import App, Parameter, validators

from mixpanel_data._config import (
    AccountInfo,
    AccountList,
    AuthCheck,
    AuthStatus,
    LegacyAuthWarning,
    auth_status,
    describe_credentials,
    verify_credentials,
)
from mixpanel_data._config_schema import validate_account_name
from mixpanel_data.cli._context import Context, CtxParam
from mixpanel_data.exceptions import ConfigError, ValidationError

if TYPE_CHECKING:
    from mixpanel_data._credentials import AuthKind, Region

__all__ = ["auth_app"]

auth_app = App(name="auth", help="Manage Mixpanel accounts and credentials.")

RegionOption = Literal["us", "eu", "in"]
PositiveId = Annotated[int, Parameter(validator=validators.Number(gte=1))]
Flag = Annotated[bool, Parameter(negative="")]


@contextlib.contextmanager
def _legacy_warnings(ctx: Context) -> Iterator[None]:
    """Show the library's LegacyAuthWarning as one ``warning:`` line on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LegacyAuthWarning)
        yield
    shown: set[str] = set()
    for item in caught:
        if issubclass(item.category, LegacyAuthWarning):
            message = str(item.message)
            if message not in shown:
                shown.add(message)
                ctx.warn(message)
        else:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)


# -- collecting what login/add need --------------------------------------------------------


@Parameter(name="*")
@dataclass(frozen=True, kw_only=True)
class AccountOptions:
    """The credentials and settings ``login`` and ``add`` save (flattened into their options)."""

    username: str | None = None
    "Service-account username (name.abc123.mp-service-account)."
    project_id: PositiveId | None = None
    "Numeric project id (Project settings > Overview)."
    region: RegionOption | None = None
    "Data residency region of the project: us, eu or in (default us)."
    workspace_id: PositiveId | None = None
    "Data view id, for projects that use data views."
    api_secret: Flag = False
    (
        "Use the legacy project API secret instead of a service account (Mixpanel retires it "
        "on 2027-03-03)."
    )
    secret_stdin: Flag = False
    "Read the secret from standard input (for scripts)."
    query_url: str | None = None
    "Base URL for Query API calls instead of the region's host (emulator, proxy)."
    export_url: str | None = None
    "Base URL for raw exports instead of the region's host."
    timezone: str | None = None
    "The project's time zone (IANA name such as America/Los_Angeles)."
    legacy_timezone: Flag = False
    "The project exports in its own time zone, not UTC (projects created before 2023)."
    default: Flag = False
    "Make this the default account."


_NO_OPTIONS = AccountOptions()


def _ask(ctx: Context, value: str | None, label: str, flag: str) -> str:
    if value is not None and value.strip():
        return value.strip()
    if not ctx.stdin_is_tty:
        raise ValidationError(
            f"{flag} is required (standard input is not a terminal, so it cannot be asked)",
            hint=f"pass {flag}",
        )
    answer = ctx.prompt(label).strip()
    if not answer:
        raise ValidationError(f"no {label.lower()} entered", hint=f"type it, or pass {flag}")
    return answer


def _ask_project_id(ctx: Context, value: int | None) -> int:
    if value is not None:
        return value
    answer = _ask(ctx, None, "Project id", "--project-id")
    if not answer.isdigit() or int(answer) <= 0:
        raise ValidationError(
            f"the project id must be a positive integer, got {answer!r}",
            hint="find it in Mixpanel under Project settings > Overview",
        )
    return int(answer)


def _ask_region(ctx: Context, value: Region | None) -> Region:
    if value is not None:
        return value
    if not ctx.stdin_is_tty:
        return "us"
    answer = ctx.prompt("Region (us, eu, in) [us]").strip().lower() or "us"
    for region in ("us", "eu", "in"):
        if answer == region:
            return region
    raise ValidationError(f"unknown region {answer!r}", hint="answer us, eu or in")


def _read_secret(ctx: Context, *, secret_stdin: bool, auth: AuthKind) -> str:
    label = "Project API secret" if auth == "api_secret" else "Service-account secret"
    if secret_stdin:
        secret = ctx.stdin.read().strip()
        if not secret:
            raise ValidationError(
                "--secret-stdin was given, but standard input was empty",
                hint='pipe the secret in, e.g. printf %s "$MP_SECRET" | mp auth login '
                "--secret-stdin ...",
            )
        return secret
    if not ctx.stdin_is_tty:
        raise ValidationError(
            "no secret: standard input is not a terminal, so it cannot be asked",
            hint="pipe the secret in and pass --secret-stdin",
        )
    secret = ctx.prompt(label, secret=True).strip()
    if not secret:
        raise ValidationError("no secret entered", hint="paste the secret at the prompt")
    return secret


def _store(ctx: Context, name: str, opts: AccountOptions, *, overwrite: bool) -> AccountInfo:
    validate_account_name(name)
    auth: AuthKind = "api_secret" if opts.api_secret else "service_account"
    username = opts.username
    if auth == "service_account":
        username = _ask(ctx, username, "Service-account username", "--username")
    elif username:
        raise ValidationError(
            "--username does not apply to --api-secret (the project API secret alone "
            "identifies the project)",
            hint="drop --username, or drop --api-secret to log in with a service account",
        )
    secret = _read_secret(ctx, secret_stdin=opts.secret_stdin, auth=auth)
    project_id = opts.project_id
    if auth == "service_account":
        project_id = _ask_project_id(ctx, project_id)
    region = _ask_region(ctx, opts.region)
    with _legacy_warnings(ctx):
        info = ctx.config.add(
            name,
            auth=auth,
            username=username or "",
            secret=secret,
            project_id=project_id,
            region=region,
            workspace_id=opts.workspace_id,
            query_url=opts.query_url,
            export_url=opts.export_url,
            timezone=opts.timezone,
            legacy_timezone=opts.legacy_timezone,
            make_default=opts.default,
            overwrite=overwrite,
        )
    where = f"saved account {name!r} ({info.secret}) to {ctx.config.path}"
    if info.default:
        ctx.info(f"{where}; it is the default account")
    else:
        ctx.info(f"{where}; make it the default with `mp auth switch {name}`")
    ctx.info("check it with `mp auth test" + ("" if info.default else f" --account {name}") + "`")
    return info


# -- commands ------------------------------------------------------------------------------


@auth_app.command
def login(
    *, name: str | None = None, opts: AccountOptions = _NO_OPTIONS, ctx: CtxParam
) -> AccountInfo:
    """Save credentials for an account (asks for what is missing when on a terminal).

    Replaces the account's credentials if it exists. The secret is read at a hidden prompt or,
    with --secret-stdin, from standard input; it is never echoed.

    Parameters
    ----------
    name
        Account name (default: --account, else "default").
    opts
        The account's credentials and settings.
    opts.api_secret
        Log in with the legacy project API secret instead of a service account (Mixpanel
        retires it on 2027-03-03).
    """
    return _store(ctx, name or ctx.account or "default", opts, overwrite=True)


@auth_app.command
def add(name: str, /, *, opts: AccountOptions = _NO_OPTIONS, ctx: CtxParam) -> AccountInfo:
    """Add a new named account (fails if the name is taken; see `mp auth login` to replace).

    Parameters
    ----------
    name
        Account name: letters, digits, '-', '_' and '.'.
    opts
        The account's credentials and settings.
    """
    ctx.config.ensure_available(name)  # fail before asking for a secret to throw away
    return _store(ctx, name, opts, overwrite=False)


@auth_app.command
def status(*, ctx: CtxParam) -> AuthStatus:
    """Show the credentials commands would use, and where each value comes from.

    The secret is shown masked. Values come from, in order: the environment (MP_USERNAME,
    MP_SECRET, MP_PROJECT_ID, MP_REGION, MP_WORKSPACE_ID, MP_API_SECRET, MP_QUERY_URL,
    MP_EXPORT_URL), the account named by --account or MP_ACCOUNT, then the default account.
    """
    if ctx.demo:
        with _legacy_warnings(ctx):
            return describe_credentials(ctx.credentials(), config=ctx.config, label="--demo")
    account = ctx.account
    if account and account == os.environ.get("MP_ACCOUNT", "").strip():
        account = None  # let the status say it came from MP_ACCOUNT
    with _legacy_warnings(ctx):
        return auth_status(account, config=ctx.config)


@auth_app.command(name="list")
def list_accounts(*, ctx: CtxParam) -> AccountList:
    """List the configured accounts (secrets masked); the default is marked."""
    listing = ctx.config.account_list()
    if not listing.accounts:
        ctx.info(f"no accounts in {ctx.config.path}; add one with `mp auth login`")
    return listing


@auth_app.command
def switch(name: str, /, *, ctx: CtxParam) -> AccountInfo:
    """Make NAME the default account.

    Parameters
    ----------
    name
        The account to use by default.
    """
    info = ctx.config.set_default(name)
    ctx.info(f"the default account is now {name!r}")
    return info


@auth_app.command
def remove(name: str, /, *, ctx: CtxParam) -> None:
    """Delete the account NAME and its stored secret.

    Parameters
    ----------
    name
        The account to delete.
    """
    _remove(ctx, name)


@auth_app.command
def logout(*, name: str | None = None, ctx: CtxParam) -> None:
    """Delete the stored credentials of the current account (or of --name).

    Parameters
    ----------
    name
        The account to log out of (default: --account, else the default account).
    """
    account = name or ctx.account or ctx.config.default_name
    if account is None:
        raise ConfigError(
            f"there is no account to log out of: no default account in {ctx.config.path}",
            hint="name one with --name NAME (see `mp auth list`)",
        )
    _remove(ctx, account)


def _remove(ctx: Context, name: str) -> None:
    ctx.config.remove(name)
    ctx.info(f"removed account {name!r} from {ctx.config.path}")
    remaining = ctx.config.names()
    default = ctx.config.default_name
    if default is not None:
        ctx.info(f"the default account is {default!r}")
    elif remaining:
        ctx.info(f"no default account now; pick one with `mp auth switch {remaining[0]}`")


@auth_app.command(name="test")
def check(*, ctx: CtxParam) -> AuthCheck:
    """Check the credentials with one cheap authenticated call to Mixpanel.

    Calls the Query API's /events/names (limit 1) and reports the latency; fails with
    Mixpanel's error (exit code 3 for rejected credentials).
    """
    with _legacy_warnings(ctx):
        client = ctx.make_client()
    with client:
        result = verify_credentials(client)
    ctx.info(
        f"ok: authenticated to project {result.project_id} ({result.region}) "
        f"in {result.latency_ms:.0f} ms"
    )
    return result
