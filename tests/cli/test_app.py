"""The CLI frame: global options, help, version, exit codes, error rendering."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mixpanel_data.cli._errors import exit_code_for, report_error
from mixpanel_data.exceptions import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    ConfigError,
    ExpressionError,
    MixpanelDataError,
    RateLimitError,
    ServerError,
    SQLError,
    ValidationError,
)


def test_help_lists_global_options(run_cli) -> None:
    code, out, _ = run_cli("--help")
    assert code == 0
    for option in ("--account", "--format", "--quiet", "--verbose", "--demo", "--ephemeral"):
        assert option in out


def test_version(run_cli) -> None:
    import mixpanel_data

    code, out, _ = run_cli("--version")
    assert code == 0
    assert mixpanel_data.__version__ in out


def test_unknown_command_is_a_usage_error(run_cli) -> None:
    code, _, err = run_cli("no-such-command")
    assert code == 2
    assert "no-such-command" in err


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (ValidationError("x"), 2),
        (ExpressionError("x", expression="a", position=0), 2),
        (ConfigError("x"), 3),
        (AuthenticationError("x", status_code=401), 3),
        (RateLimitError("x"), 4),
        (ServerError("x", status_code=503), 4),
        (APIConnectionError("x"), 4),
        (BadRequestError("x", status_code=400), 1),
        (SQLError("x"), 1),
        (MixpanelDataError("x"), 1),
        (KeyboardInterrupt(), 130),
    ],
)
def test_exit_codes(exc: BaseException, code: int) -> None:
    assert exit_code_for(exc) == code


def test_error_as_json_object() -> None:
    import io

    stream = io.StringIO()
    report_error(
        BadRequestError("bad date", status_code=400, endpoint="/api/query/x", hint="use ISO"),
        as_json=True,
        stream=stream,
    )
    payload = json.loads(stream.getvalue())
    assert payload == {
        "error": {
            "type": "BadRequestError",
            "message": "bad date",
            "hint": "use ISO",
            "status_code": 400,
            "endpoint": "/api/query/x",
        }
    }


def test_expression_error_points_at_the_position() -> None:
    import io

    stream = io.StringIO()
    report_error(
        ExpressionError("expected ']'", expression='properties["x"', position=14),
        as_json=False,
        stream=stream,
    )
    lines = stream.getvalue().splitlines()
    assert lines[0] == "error: expected ']'"
    assert lines[2].index("^") == 2 + 14


@pytest.mark.parametrize("script", ["mp", "mixpanel-data"])
def test_console_scripts_and_module_start(script: str) -> None:
    import shutil

    exe = shutil.which(script, path=str(__import__("pathlib").Path(sys.executable).parent))
    assert exe is not None, f"{script} is not installed next to {sys.executable}"
    done = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "--format" in done.stdout


def test_python_dash_m() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mixpanel_data", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stdout.strip()


def test_help_imports_no_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from mixpanel_data.cli.app import app\n"
        "try:\n"
        "    app.meta(['--help'], result_action='return_value')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('polars', 'duckdb', 'pyarrow', 'httpx', 'pandas') if m in sys.modules]\n"
        "sys.stderr.write('HEAVY=' + ','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "HEAVY=" in done.stderr
    assert done.stderr.rsplit("HEAVY=", 1)[1].strip() == ""


def test_completion_script_names_every_group() -> None:
    from mixpanel_data.cli.app import _COMMANDS, _module_exists, app

    script = app.generate_completion(shell="bash")
    for name, module, _, _ in _COMMANDS:
        if _module_exists(module):
            assert name in script
    assert "--format" in script
