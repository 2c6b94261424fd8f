"""A faithful, deterministic Mixpanel-compatible API over a synthetic (or replayed) dataset.

No Mixpanel server is reachable from a test machine, and a new user may have no credentials,
so the package ships the Query API and the Raw Export API as an emulator:

- :class:`Emulator` answers an ``httpx.Request`` in-process (``emulator.transport()`` is an
  ``httpx.MockTransport``), with Mixpanel's exact response shapes, parameter checks and error
  bodies, Basic auth (service account + ``project_id``, or the legacy API secret), optional
  rate-limit budgets (:class:`Limits`) and seeded fault injection (:class:`Faults`);
- :func:`serve` puts the same emulator behind a real HTTP server on 127.0.0.1 (gzip, chunked
  streaming, real connection resets), as ``mp demo serve`` does;
- :func:`demo_credentials` and :func:`demo_transport` route the library and the CLI
  (``--demo``, ``MP_DEMO=1``) to an in-process emulator over :meth:`Dataset.demo`.

Example::

    emulator = Emulator(Dataset.generate(DatasetConfig(seed=7, days=3)), faults="export:429@1")
    client = httpx.Client(transport=emulator.transport(), base_url=emulator.base_url)
    with serve(emulator) as server:  # or over real sockets
        httpx.get(server.url + "/api/2.0/export", params=..., auth=...)
"""

from __future__ import annotations

from mixpanel_data.emulator._app import DEMO_BASE_URL, Emulator
from mixpanel_data.emulator._auth import (
    DEMO_API_SECRET,
    DEMO_PROJECT_ID,
    DEMO_SECRET,
    DEMO_USERNAME,
    demo_accounts,
)
from mixpanel_data.emulator._dataset import DEMO_CONFIG, Dataset
from mixpanel_data.emulator._dataset_types import (
    Bookmark,
    DatasetConfig,
    HardCases,
    SavedCohort,
    SavedFunnel,
)
from mixpanel_data.emulator._demo import (
    demo_client,
    demo_credentials,
    demo_emulator,
    demo_transport,
)
from mixpanel_data.emulator._faults import Fault, FaultKind, Faults, FiredFault
from mixpanel_data.emulator._ratelimit import Limits
from mixpanel_data.emulator._server import EmulatorServer, serve

__all__ = [
    "DEMO_API_SECRET",
    "DEMO_BASE_URL",
    "DEMO_CONFIG",
    "DEMO_PROJECT_ID",
    "DEMO_SECRET",
    "DEMO_USERNAME",
    "Bookmark",
    "Dataset",
    "DatasetConfig",
    "Emulator",
    "EmulatorServer",
    "Fault",
    "FaultKind",
    "Faults",
    "FiredFault",
    "HardCases",
    "Limits",
    "SavedCohort",
    "SavedFunnel",
    "demo_accounts",
    "demo_client",
    "demo_credentials",
    "demo_emulator",
    "demo_transport",
    "serve",
]
