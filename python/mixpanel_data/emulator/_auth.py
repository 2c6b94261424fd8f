"""Authentication as Mixpanel's Query and Export APIs do it.

Mixpanel docs (service-accounts, project-secret, query-api-authentication):

- a service account authenticates with HTTP Basic ``username:secret``; the pair may be
  base64-encoded (standard) or sent as plain text after ``Basic``; ``project_id`` must be in
  the query string of every request;
- the legacy project API secret is the Basic username with an empty password, and needs no
  ``project_id`` because the secret names the project.

Mixpanel does not document the bodies of its Query/Export 401 and 403 answers; the emulator
uses the ``{"error": ..., "status": "error"}`` object of its App API (plain text on export).
A service account without ``project_id`` gets a 400 naming the parameter.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mixpanel_data._credentials import Credentials
from mixpanel_data.emulator._wire import EmulatorHTTPError, Params

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "DEMO_API_SECRET",
    "DEMO_PROJECT_ID",
    "DEMO_SECRET",
    "DEMO_USERNAME",
    "Authenticator",
    "demo_accounts",
]

DEMO_USERNAME = "demo.user.mp-service-account"
DEMO_SECRET = "demo-secret"
DEMO_API_SECRET = "demo-api-secret"
DEMO_PROJECT_ID = 1234567


def demo_accounts(project_id: int = DEMO_PROJECT_ID) -> tuple[Credentials, Credentials]:
    """The credentials the emulator accepts by default: the demo service account and a legacy
    API secret, both for ``project_id``."""
    return (
        Credentials(
            auth_kind="service_account",
            username=DEMO_USERNAME,
            secret=DEMO_SECRET,
            project_id=project_id,
        ),
        Credentials(auth_kind="api_secret", secret=DEMO_API_SECRET, project_id=project_id),
    )


def _unauthorized(message: str) -> EmulatorHTTPError:
    return EmulatorHTTPError(
        401, message, shape="status", headers={"WWW-Authenticate": 'Basic realm="Mixpanel"'}
    )


@dataclass
class Authenticator:
    """Check a request's credentials against the accepted ones and name its project."""

    accepted: Iterable[Credentials]
    _accounts: dict[str, list[tuple[str, int | None]]] = field(default_factory=dict, init=False)
    _secrets: list[tuple[str, int | None]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        for creds in self.accepted:
            if creds.auth_kind == "api_secret":
                self._secrets.append((creds.secret, creds.project_id))
            else:
                self._accounts.setdefault(creds.username, []).append(
                    (creds.secret, creds.project_id)
                )

    def authenticate(self, authorization: str | None, params: Params) -> int:
        """Return the project the request may read, or raise a 400/401/403 error."""
        user, password = _basic_pair(authorization)
        grants = self._accounts.get(user)
        if grants is not None:
            projects = {p for secret, p in grants if hmac.compare_digest(secret, password)}
            if not projects:
                raise _unauthorized("Invalid username or secret for the service account")
            project_id = self._project_param(params)
            if project_id is None:
                raise EmulatorHTTPError(
                    400,
                    "'project_id' is a required parameter when authenticating with a "
                    "service account",
                )
            if project_id not in projects and None not in projects:
                raise EmulatorHTTPError(
                    403,
                    f"Service account {user!r} does not have access to project {project_id}",
                    shape="status",
                )
            return project_id
        if password == "":
            for secret, project in self._secrets:
                if hmac.compare_digest(secret, user) and project is not None:
                    requested = self._project_param(params)
                    if requested is not None and requested != project:
                        raise EmulatorHTTPError(
                            403,
                            f"This project secret does not give access to project {requested}",
                            shape="status",
                        )
                    return project
        raise _unauthorized("Invalid credentials: unknown service account or project secret")

    @staticmethod
    def _project_param(params: Params) -> int | None:
        value = params.raw("project_id")
        if value is None:
            return None
        try:
            return int(value.strip())
        except ValueError:
            raise EmulatorHTTPError(
                400, f"'project_id' must be an integer, got {value!r}"
            ) from None


def _basic_pair(authorization: str | None) -> tuple[str, str]:
    """Split an ``Authorization: Basic`` header into (user, password).

    Accepts the standard base64 form and the plain-text ``user:secret`` form.
    """
    if not authorization or not authorization.strip():
        raise _unauthorized(
            "Authentication required: use HTTP Basic auth with a service account "
            "(username:secret, plus project_id) or the project API secret"
        )
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        raise _unauthorized("Unsupported authorization: use HTTP Basic auth")
    token = token.strip()
    text: str | None = None
    try:
        decoded = base64.b64decode(token, validate=True).decode("utf-8")
        if ":" in decoded:
            text = decoded
    except (binascii.Error, UnicodeDecodeError):
        text = None
    if text is None:
        # Mixpanel docs (service-accounts): the pair may also be sent as plain text.
        if ":" not in token:
            raise _unauthorized("Malformed Basic authorization: expected username:secret")
        text = token
    user, _, password = text.partition(":")
    return user, password
