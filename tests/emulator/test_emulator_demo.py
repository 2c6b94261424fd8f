"""``--demo`` plumbing and ``mp demo serve``."""

from __future__ import annotations

import httpx
import pytest

import mixpanel_data.emulator as emulator_pkg
from mixpanel_data.cli.commands import demo as demo_command
from mixpanel_data.emulator import (
    DEMO_BASE_URL,
    DEMO_CONFIG,
    DEMO_PROJECT_ID,
    DEMO_SECRET,
    DEMO_USERNAME,
    EmulatorServer,
    demo_credentials,
    demo_emulator,
    demo_transport,
)


def test_public_names_are_complete():
    public = {name for name in vars(emulator_pkg) if not name.startswith("_")}
    assert len(emulator_pkg.__all__) == len(set(emulator_pkg.__all__))
    assert public - {"annotations"} == set(emulator_pkg.__all__)


def test_demo_credentials_point_at_the_demo_host():
    creds = demo_credentials()
    assert creds.auth_kind == "service_account"
    assert (creds.username, creds.secret, creds.project_id) == (
        DEMO_USERNAME,
        DEMO_SECRET,
        DEMO_PROJECT_ID,
    )
    assert creds.query_url == creds.export_url == DEMO_BASE_URL == "https://demo.mixpanel.invalid"


def test_demo_transport_is_built_once():
    assert demo_transport() is demo_transport()
    assert demo_emulator() is demo_emulator()
    assert demo_emulator().dataset.config == DEMO_CONFIG


def test_demo_transport_answers_the_demo_host():
    creds = demo_credentials()
    with httpx.Client(transport=demo_transport(), auth=creds.basic_auth()) as client:
        export = client.get(
            f"{creds.export_url}/api/2.0/export",
            params={
                "project_id": creds.project_id,
                "from_date": "2024-05-31",
                "to_date": "2024-05-31",
                "limit": 10,
            },
        )
        funnels = client.get(
            f"{creds.query_url}/api/query/funnels/list", params={"project_id": creds.project_id}
        )
    assert export.status_code == 200
    assert len(export.content.splitlines()) == 10
    assert funnels.status_code == 200


def test_cli_defaults_are_the_demo_dataset():
    assert (
        DEMO_CONFIG.seed,
        DEMO_CONFIG.start,
        DEMO_CONFIG.days,
        DEMO_CONFIG.events_per_day,
        DEMO_CONFIG.users,
        DEMO_CONFIG.project_id,
    ) == (
        demo_command._DEMO_SEED,
        demo_command._DEMO_START,
        demo_command._DEMO_DAYS,
        demo_command._DEMO_EVENTS_PER_DAY,
        demo_command._DEMO_USERS,
        demo_command._DEMO_PROJECT_ID,
    )


@pytest.mark.network
def test_mp_demo_serve_prints_settings_serves_and_stops(monkeypatch, capsys):
    from mixpanel_data.cli.app import app

    seen: dict[str, object] = {}

    def wait_then_interrupt(self: EmulatorServer, timeout: float | None = None) -> bool:
        # Stands in for the user: use the server, then press Ctrl-C.
        with httpx.Client(base_url=self.url, auth=(DEMO_USERNAME, DEMO_SECRET)) as client:
            seen["export"] = client.get(
                "/api/2.0/export",
                params={"project_id": 77, "from_date": "2024-03-01", "to_date": "2024-03-02"},
            )
            seen["faulty"] = client.get("/api/query/funnels/list", params={"project_id": 77})
        seen["server"] = self
        raise KeyboardInterrupt

    monkeypatch.setattr(EmulatorServer, "wait", wait_then_interrupt)
    code = app.meta(
        [
            "demo",
            "serve",
            "--seed",
            "3",
            "--start",
            "2024-03-01",
            "--days",
            "2",
            "--events-per-day",
            "40",
            "--users",
            "10",
            "--project-id",
            "77",
            "--faults",
            "funnels/list:503@1",
        ],
        result_action="return_value",
    )
    err = capsys.readouterr().err
    server = seen["server"]
    assert isinstance(server, EmulatorServer)
    assert code == 0
    assert seen["export"].status_code == 200
    assert seen["export"].content.count(b"\n") > 40
    assert seen["faulty"].status_code == 503
    assert f"Mixpanel emulator serving {server.url} (project 77, 2024-03-01..2024-03-02" in err
    assert (
        f"export MP_QUERY_URL={server.url} MP_EXPORT_URL={server.url} "
        f"MP_USERNAME={DEMO_USERNAME} MP_SECRET={DEMO_SECRET} MP_PROJECT_ID=77"
    ) in err
    assert (
        f"echo {DEMO_SECRET} | mp auth add emulator --username {DEMO_USERNAME} --project-id 77 "
        f"--query-url {server.url} --export-url {server.url} --secret-stdin"
    ) in err
    assert "stopping the emulator" in err
    assert repr(server).endswith("closed)")


def test_mp_demo_serve_rejects_a_bad_fault_spec(capsys):
    from mixpanel_data.cli.app import app

    code = app.meta(
        ["demo", "serve", "--days", "1", "--faults", "export:teapot"], result_action="return_value"
    )
    assert code != 0
    assert "bad fault rule 'export:teapot'" in capsys.readouterr().err


def test_profiles_need_a_dataset(capsys, tmp_path):
    from mixpanel_data.cli.app import app

    code = app.meta(
        ["demo", "serve", "--profiles", str(tmp_path / "p.json")], result_action="return_value"
    )
    assert code != 0
    assert "--profiles needs --dataset" in capsys.readouterr().err


@pytest.mark.network
def test_mp_demo_serve_replays_an_export_file(monkeypatch, capsys, tmp_path, small_dataset):
    from mixpanel_data.cli.app import app

    day = small_dataset.days[1]
    body = small_dataset.export_lines(day, time_in_ms=False)
    events = tmp_path / "export.ndjson"
    events.write_bytes(body)
    seen: dict[str, httpx.Response] = {}

    def wait_then_interrupt(self: EmulatorServer, timeout: float | None = None) -> bool:
        with httpx.Client(base_url=self.url, auth=(DEMO_USERNAME, DEMO_SECRET)) as client:
            seen["export"] = client.get(
                "/api/2.0/export",
                params={"project_id": DEMO_PROJECT_ID, "from_date": str(day), "to_date": str(day)},
            )
        raise KeyboardInterrupt

    monkeypatch.setattr(EmulatorServer, "wait", wait_then_interrupt)
    code = app.meta(["demo", "serve", "--dataset", str(events)], result_action="return_value")
    assert code == 0
    assert seen["export"].content == body
    assert f"(project {DEMO_PROJECT_ID}, {day}..{day}," in capsys.readouterr().err
