"""The analytics package exposes an explicit, sorted public surface."""

from __future__ import annotations

import mixpanel_data.analytics as analytics


def test_all_is_sorted_and_complete() -> None:
    public = {
        name
        for name, value in vars(analytics).items()
        if not name.startswith("_")
        and getattr(value, "__module__", "").startswith(analytics.__name__)
    }
    public -= {"expr"}
    assert sorted(analytics.__all__) == analytics.__all__
    assert set(analytics.__all__) == public
