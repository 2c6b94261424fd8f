"""``--demo`` / ``MP_DEMO=1``: the whole library and CLI against an in-process emulator.

The demo emulator serves ``Dataset.demo()`` (a fixed seed), is built once per process on
first use, and answers at the fake host ``https://demo.mixpanel.invalid`` (the ``.invalid``
top-level domain can never resolve, so nothing leaves the machine even if the transport were
bypassed).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from mixpanel_data._credentials import Credentials
    from mixpanel_data.api import MixpanelClient
    from mixpanel_data.emulator._app import Emulator

__all__ = ["demo_client", "demo_credentials", "demo_emulator", "demo_transport"]

_lock = threading.Lock()
_emulator: Emulator | None = None
_transport: httpx.MockTransport | None = None


def demo_emulator() -> Emulator:
    """The process-wide demo :class:`Emulator` (built on first call)."""
    global _emulator
    with _lock:
        if _emulator is None:
            from mixpanel_data.emulator._app import Emulator
            from mixpanel_data.emulator._dataset import Dataset

            _emulator = Emulator(Dataset.demo())
        return _emulator


def demo_credentials() -> Credentials:
    """Credentials for the demo project, pointing both API families at the demo host.

    The demo service account (``demo.user.mp-service-account`` / ``demo-secret``), the demo
    dataset's project id and time zone, ``query_url`` and ``export_url`` set to
    ``https://demo.mixpanel.invalid``, which :func:`demo_transport` answers.
    """
    return demo_emulator().client_credentials()


def demo_transport() -> httpx.BaseTransport:
    """The in-process transport that answers the demo host (built once per process)."""
    global _transport
    emulator = demo_emulator()
    with _lock:
        if _transport is None:
            _transport = emulator.transport()
        return _transport


def demo_client() -> MixpanelClient:
    """A :class:`MixpanelClient` wired to the in-process demo emulator.

    It runs without Mixpanel's rate budget: the emulator has nothing to protect, and the
    60-queries-per-hour default would only stall a demo or a notebook session.
    """
    from mixpanel_data.api import MixpanelClient, RateLimits

    return MixpanelClient(
        demo_credentials(), transport=demo_transport(), limits=RateLimits.unlimited()
    )
