"""Notebooks and marimo apps that explore a workspace, and the agent skill.

``mp explore notebook`` and ``mp explore marimo`` are :func:`plan_exploration` (what to
explore: the workspace, its days and events) followed by :func:`write_exploration` (the
file). The generated code uses only the public API (``import mixpanel_data as mp``), so it is
a starting point a person or an agent edits. :func:`skill_text` is the agent skill that
``mp skill`` prints.

Example::

    with mp.Workspace(demo=True) as ws:
        spec = plan_exploration(ws, events=["Sign Up", "Purchase"])
    write_exploration(spec, "marimo", "funnel.py")
"""

from __future__ import annotations

from mixpanel_data.explore._jupyter import notebook_json
from mixpanel_data.explore._marimo import marimo_source
from mixpanel_data.explore._skill import skill_text
from mixpanel_data.explore._spec import (
    DEFAULT_DAYS,
    ExploreKind,
    ExploreSpec,
    default_range,
    plan_exploration,
)
from mixpanel_data.explore._write import (
    DEFAULT_OUTPUT,
    ExploreResult,
    render_exploration,
    write_exploration,
)

__all__ = [
    "DEFAULT_DAYS",
    "DEFAULT_OUTPUT",
    "ExploreKind",
    "ExploreResult",
    "ExploreSpec",
    "default_range",
    "marimo_source",
    "notebook_json",
    "plan_exploration",
    "render_exploration",
    "skill_text",
    "write_exploration",
]
