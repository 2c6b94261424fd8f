"""Generated and curated notebooks run top to bottom against the demo, without the network.

- the generated Jupyter notebook runs with nbclient (the ``python3`` kernel of this venv);
- every marimo app (the generated one and the curated ones in ``notebooks/``) runs as a
  script (``python app.py``) and exports to HTML (``marimo export html``), which fails when
  a cell fails.

Every run shares one ``MP_HOME`` per module, so the demo month is fetched once and later
runs skip the days already local. marimo's update check is off and ``HOME`` points at a
temp folder, so neither marimo nor Jupyter touches the user's config.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import nbformat
import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CURATED = sorted((REPO / "notebooks").glob("*.py"))
BIN = Path(sys.executable).parent
TIMEOUT = 600
# A vega-lite spec in an exported page: one per chart.
VEGA_LITE = "https://vega.github.io/schema/vega-lite/"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the module: MP_HOME, HOME for marimo/Jupyter, the generated files."""
    return tmp_path_factory.mktemp("execute")


@pytest.fixture
def env(shared: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of every run: the shared MP_HOME, no account, no update checks."""
    home = shared / "home"
    (home / ".ipython").mkdir(parents=True, exist_ok=True)
    values = {
        "MP_HOME": str(shared / "mp-home"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "IPYTHONDIR": str(home / ".ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "MARIMO_SKIP_UPDATE_CHECK": "1",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)  # also for the Jupyter kernel, started in-process
    return {**os.environ, **values}


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert done.returncode == 0, f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def _generate(kind: str, name: str, env: dict[str, str], folder: Path, *extra: str) -> Path:
    target = folder / name
    _run(
        [str(BIN / "mp"), "--demo", "explore", kind, "-o", str(target), "--force", *extra],
        env,
        folder,
    )
    return target


def _export_html(app: Path, env: dict[str, str]) -> str:
    html = app.with_suffix(".html")
    _run([str(BIN / "marimo"), "export", "html", str(app), "-o", str(html), "-f"], env, app.parent)
    return html.read_text(encoding="utf-8")


def test_the_generated_notebook_runs_with_nbclient(env: dict[str, str], shared: Path) -> None:
    from nbclient import NotebookClient

    path = _generate("notebook", "exploration.ipynb", env, shared)
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=TIMEOUT,
        resources={"metadata": {"path": str(shared)}},
    ).execute()
    code = [c for c in notebook.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert errors == []
    # Every cell but the setup and the parameters shows something: frames and charts.
    assert all(c.outputs for c in code[2:])
    charts = [
        o for c in code for o in c.outputs if "alt.Chart" in o.get("data", {}).get("text/plain", "")
    ]
    assert len(charts) == 3


def test_the_generated_marimo_app_runs_as_a_script_and_exports(
    env: dict[str, str], shared: Path
) -> None:
    app = _generate(
        "marimo", "exploration.py", env, shared, "--include-events", "Sign Up", "Purchase"
    )
    _run([sys.executable, str(app)], env, shared)
    html = _export_html(app, env)
    assert html.count(VEGA_LITE) >= 3


@pytest.mark.parametrize("app", CURATED, ids=[p.stem for p in CURATED])
def test_a_curated_app_runs_as_a_script_and_exports(
    app: Path, env: dict[str, str], shared: Path
) -> None:
    copy = shared / app.name
    copy.write_text(app.read_text(encoding="utf-8"), encoding="utf-8")
    _run([sys.executable, str(copy)], env, shared)
    html = _export_html(copy, env)
    assert html.count(VEGA_LITE) >= 2


def test_the_curated_apps_are_there() -> None:
    assert [p.stem for p in CURATED] == ["funnel_analysis", "quickstart", "retention"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.network
def test_marimo_run_serves_the_generated_app(env: dict[str, str], shared: Path) -> None:
    app = _generate("marimo", "served.py", env, shared)
    port = _free_port()
    server = subprocess.Popen(
        [
            str(BIN / "marimo"),
            "run",
            str(app),
            "--headless",
            "--no-token",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=shared,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        page = _wait_for_page(f"http://127.0.0.1:{port}/", server)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output, _ = server.communicate(timeout=60)
    assert page.status_code == 200, output
    assert "marimo" in page.text


def _wait_for_page(url: str, server: subprocess.Popen[str]) -> httpx.Response:
    """Poll until the server answers (or exits): it starts in a few seconds on a quiet machine."""
    deadline = time.monotonic() + 120
    while True:
        if server.poll() is not None:
            output = server.stdout.read() if server.stdout else ""
            pytest.fail(f"marimo run exited with {server.returncode}:\n{output}")
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
