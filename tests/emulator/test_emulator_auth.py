"""Authentication: service accounts (base64 and plain text), legacy secrets, 400/401/403."""

from __future__ import annotations

import base64

import httpx
import pytest

from mixpanel_data._credentials import Credentials
from mixpanel_data.emulator import (
    DEMO_API_SECRET,
    DEMO_PROJECT_ID,
    DEMO_SECRET,
    DEMO_USERNAME,
    Emulator,
)

PATH = "/api/query/funnels/list"


def call(emulator: Emulator, path: str = PATH, **kwargs) -> httpx.Response:
    with httpx.Client(transport=emulator.transport(), base_url=emulator.base_url) as c:
        return c.get(path, **kwargs)


def basic(text: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(text.encode()).decode()}


def test_service_account_base64(shared_emulator):
    response = call(
        shared_emulator,
        headers=basic(f"{DEMO_USERNAME}:{DEMO_SECRET}"),
        params={"project_id": DEMO_PROJECT_ID},
    )
    assert response.status_code == 200


def test_service_account_plain_text_pair(shared_emulator):
    # Mixpanel docs (service-accounts): the pair may be sent without base64.
    response = call(
        shared_emulator,
        headers={"Authorization": f"Basic {DEMO_USERNAME}:{DEMO_SECRET}"},
        params={"project_id": DEMO_PROJECT_ID},
    )
    assert response.status_code == 200


def test_service_account_without_project_id_is_400(shared_emulator):
    response = call(shared_emulator, headers=basic(f"{DEMO_USERNAME}:{DEMO_SECRET}"))
    assert response.status_code == 400
    assert response.json() == {
        "request": PATH,
        "error": "'project_id' is a required parameter when authenticating with a service account",
    }


def test_non_integer_project_id_is_400(shared_emulator):
    response = call(
        shared_emulator,
        headers=basic(f"{DEMO_USERNAME}:{DEMO_SECRET}"),
        params={"project_id": "abc"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "'project_id' must be an integer, got 'abc'"


def test_other_project_is_403(shared_emulator):
    response = call(
        shared_emulator,
        headers=basic(f"{DEMO_USERNAME}:{DEMO_SECRET}"),
        params={"project_id": 999},
    )
    assert response.status_code == 403
    assert response.json() == {
        "error": f"Service account {DEMO_USERNAME!r} does not have access to project 999",
        "status": "error",
    }


@pytest.mark.parametrize("pair", [f"{DEMO_USERNAME}:wrong", "someone.else:demo-secret", "nobody:"])
def test_unknown_credentials_are_401(shared_emulator, pair):
    response = call(shared_emulator, headers=basic(pair), params={"project_id": DEMO_PROJECT_ID})
    assert response.status_code == 401
    assert response.json()["status"] == "error"
    assert "error" in response.json()
    assert response.headers["www-authenticate"] == 'Basic realm="Mixpanel"'


@pytest.mark.parametrize(
    "header",
    [None, "Bearer abc", "Basic ", "Basic bm9jb2xvbg=="],  # last: "nocolon"
)
def test_missing_or_malformed_authorization_is_401(shared_emulator, header):
    headers = {"Authorization": header} if header is not None else {}
    response = call(shared_emulator, headers=headers, params={"project_id": DEMO_PROJECT_ID})
    assert response.status_code == 401


def test_legacy_api_secret_needs_no_project_id(shared_emulator):
    response = call(shared_emulator, headers=basic(f"{DEMO_API_SECRET}:"))
    assert response.status_code == 200


def test_legacy_api_secret_for_another_project_is_403(shared_emulator):
    response = call(shared_emulator, headers=basic(f"{DEMO_API_SECRET}:"), params={"project_id": 5})
    assert response.status_code == 403


def test_export_auth_errors_are_plain_text(shared_emulator):
    response = call(shared_emulator, "/api/2.0/export", headers=basic("x:y"))
    assert response.status_code == 401
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "Invalid credentials: unknown service account or project secret"


def test_configurable_accepted_credentials(small_dataset):
    accepted = [
        Credentials(username="ci.bot.mp-service-account", secret="s3cret", project_id=42),
        Credentials(username="ci.bot.mp-service-account", secret="s3cret", project_id=43),
    ]
    emulator = Emulator(small_dataset, credentials=accepted)
    ok = call(
        emulator, headers=basic("ci.bot.mp-service-account:s3cret"), params={"project_id": 43}
    )
    demo = call(
        emulator, headers=basic(f"{DEMO_USERNAME}:{DEMO_SECRET}"), params={"project_id": 42}
    )
    assert ok.status_code == 200
    assert demo.status_code == 401
    assert emulator.client_credentials().project_id == 42


def test_client_credentials_point_at_the_emulator(shared_emulator):
    creds = shared_emulator.client_credentials("http://127.0.0.1:9")
    assert (creds.username, creds.secret, creds.project_id) == (
        DEMO_USERNAME,
        DEMO_SECRET,
        DEMO_PROJECT_ID,
    )
    assert creds.query_url == creds.export_url == "http://127.0.0.1:9"
