"""``mp skill``: print the agent skill (SKILL.md) that teaches a coding agent to use mp."""

from __future__ import annotations

import sys

from mixpanel_data.explore import skill_text

__all__ = ["skill"]


def skill() -> int:
    """Print the agent skill: when to use mp, workflows, the command reference.

    The text is Markdown with a front matter (name, description), printed as is whatever
    --format says, so `mp skill > .claude/skills/mixpanel-data/SKILL.md` installs it.
    """
    # Written here rather than returned: the renderer would encode text as a JSON string
    # when stdout is piped, and the skill is a file to save, not data.
    sys.stdout.write(skill_text())
    return 0
