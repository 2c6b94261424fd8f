"""The api layer: one HTTP client for every Mixpanel call.

:class:`MixpanelClient` handles hosts, auth, parameter encoding, rate limits, retries and
error mapping; the endpoint modules (export, engage, reports) build on it. :class:`RateLimits`
and :class:`RateBudget` configure the client-side rate limits, and :func:`iter_body` reads a
streamed export body with body-level faults mapped to ``ExportTruncatedError``.
"""

from __future__ import annotations

from mixpanel_data.api._body import iter_body
from mixpanel_data.api._client import MixpanelClient
from mixpanel_data.api._ratelimit import RateBudget, RateLimiter, RateLimits

__all__ = ["MixpanelClient", "RateBudget", "RateLimiter", "RateLimits", "iter_body"]
