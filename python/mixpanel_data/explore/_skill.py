"""The agent skill: a Markdown file that teaches a coding agent to use ``mp``.

The canonical copy ships inside the package (``mixpanel_data/explore/SKILL.md``), so
``mp skill`` works from an installed wheel; ``docs/SKILL.md`` in the repository is the same
file (a test keeps them identical).
"""

from __future__ import annotations

from importlib.resources import files

from mixpanel_data.exceptions import MixpanelDataError

__all__ = ["skill_text"]


def skill_text() -> str:
    """The agent skill (``SKILL.md``): front matter, workflows and the command reference.

    Raises
    ------
    MixpanelDataError
        The installation lacks the file (a broken or hand-trimmed install).
    """
    resource = files("mixpanel_data.explore").joinpath("SKILL.md")
    try:
        return resource.read_text(encoding="utf-8")
    except OSError as exc:
        raise MixpanelDataError(
            "the agent skill (SKILL.md) is missing from this installation of mixpanel_data",
            hint="reinstall the package: pip install --force-reinstall mixpanel_data",
        ) from exc
