"""Resolved credentials for one Mixpanel project, and the hosts they point at.

A :class:`Credentials` value is what every API call needs: how to authenticate, which project,
which region (and so which hosts), and optional base-URL overrides for the emulator or a
proxy. It is built by ``resolve_credentials`` (flags > environment > named account > default
account) and never prints its secret: ``repr`` and ``masked()`` show ``****`` plus the last
four characters.
"""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = [
    "API_FAMILIES",
    "REGIONS",
    "ApiFamily",
    "AuthKind",
    "Credentials",
    "Region",
    "base_url",
    "mask_secret",
]

AuthKind = Literal["service_account", "api_secret"]
Region = Literal["us", "eu", "in"]
ApiFamily = Literal["query", "export", "engage"]

REGIONS: tuple[Region, ...] = ("us", "eu", "in")
API_FAMILIES: tuple[ApiFamily, ...] = ("query", "export", "engage")

# Mixpanel docs (overview, raw-event-export, data residency pages): the Query API (reports,
# engage, jql, cohorts) lives on mixpanel.com / eu.mixpanel.com / in.mixpanel.com under
# /api/query; the raw export lives on data.mixpanel.com / data-eu / data-in under /api/2.0.
# A project's region is fixed at creation, and the EU/IN hosts serve only their region.
_QUERY_HOSTS: dict[Region, str] = {
    "us": "https://mixpanel.com",
    "eu": "https://eu.mixpanel.com",
    "in": "https://in.mixpanel.com",
}
_EXPORT_HOSTS: dict[Region, str] = {
    "us": "https://data.mixpanel.com",
    "eu": "https://data-eu.mixpanel.com",
    "in": "https://data-in.mixpanel.com",
}


def mask_secret(secret: str) -> str:
    """Return ``****`` plus the last four characters of a secret (all stars if it is short)."""
    if len(secret) <= 4:
        return "****"
    return "****" + secret[-4:]


class Credentials(msgspec.Struct, frozen=True, kw_only=True):
    """Everything needed to call Mixpanel for one project.

    Parameters
    ----------
    auth_kind
        ``service_account`` (HTTP Basic username + secret, ``project_id`` in every query
        string) or ``api_secret`` (the legacy project API secret as the Basic username with an
        empty password; Mixpanel retires it on 2027-03-03).
    secret
        The service-account secret, or the project API secret.
    username
        The service-account username (empty for ``api_secret``).
    project_id
        The numeric project id (required for service accounts).
    region
        ``us``, ``eu`` or ``in``: picks the hosts.
    workspace_id
        Optional data-view id sent as ``workspace_id``.
    query_url, export_url
        Optional base URLs replacing the region's hosts (the emulator, a proxy). The query
        base serves ``/api/query/*`` (and engage); the export base serves ``/api/2.0/export``.
    timezone
        The project's time zone (IANA name). Exports of projects created before 2023 use it
        for day boundaries and for the ``time`` values; newer projects export in UTC.
    legacy_timezone
        True when the project exports in ``timezone`` rather than UTC (projects created
        before 2023).
    account
        The name of the account these came from (``None`` for env-only credentials).
    """

    auth_kind: AuthKind = "service_account"
    secret: str
    username: str = ""
    project_id: int | None = None
    region: Region = "us"
    workspace_id: int | None = None
    query_url: str | None = None
    export_url: str | None = None
    timezone: str = "UTC"
    legacy_timezone: bool = False
    account: str | None = None

    def __repr__(self) -> str:
        return (
            f"Credentials(auth_kind={self.auth_kind!r}, username={self.username!r}, "
            f"secret={mask_secret(self.secret)!r}, project_id={self.project_id!r}, "
            f"region={self.region!r}, account={self.account!r})"
        )

    __str__ = __repr__

    def masked_secret(self) -> str:
        """The secret as ``****`` + its last four characters."""
        return mask_secret(self.secret)

    def basic_auth(self) -> tuple[str, str]:
        """The (user, password) pair for HTTP Basic auth."""
        if self.auth_kind == "api_secret":
            # Mixpanel docs (project-secret): the secret is the username, the password empty.
            return (self.secret, "")
        return (self.username, self.secret)


def base_url(credentials: Credentials, family: ApiFamily) -> str:
    """Return the scheme+host (+ optional prefix) that serves ``family`` for these credentials.

    Engage is part of the Query API and shares its host.
    """
    if family == "export":
        return (credentials.export_url or _EXPORT_HOSTS[credentials.region]).rstrip("/")
    return (credentials.query_url or _QUERY_HOSTS[credentials.region]).rstrip("/")
