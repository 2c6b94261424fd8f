"""Fixtures for the config tests: a manager on the per-test MP_HOME, and sample accounts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mixpanel_data._config import ConfigManager

SECRET = "sa-secret-0123456789-WXYZ"
OTHER_SECRET = "other-secret-abcdef-9876"
API_SECRET = "legacy-api-secret-5555"


@pytest.fixture
def manager(mp_home: Path) -> ConfigManager:
    """A ConfigManager on this test's MP_HOME (no config file yet)."""
    return ConfigManager(mp_home)


@pytest.fixture
def env(mp_home: Path) -> Any:
    """Build an environment mapping: ``env(MP_REGION="eu")`` (MP_HOME is always set)."""

    def build(**values: str) -> dict[str, str]:
        return {"MP_HOME": str(mp_home), **values}

    return build


@pytest.fixture
def two_accounts(manager: ConfigManager) -> ConfigManager:
    """``prod`` (default, us, project 111) and ``staging`` (eu, project 222, data view 7)."""
    manager.add("prod", username="prod.u1.mp-service-account", secret=SECRET, project_id=111)
    manager.add(
        "staging",
        username="stage.u2.mp-service-account",
        secret=OTHER_SECRET,
        project_id=222,
        region="eu",
        workspace_id=7,
        timezone="Europe/Paris",
        legacy_timezone=True,
    )
    return manager
