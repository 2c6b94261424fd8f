"""Public result types (frozen msgspec Structs with ``.pl``, ``.df`` and ``.to_dict()``).

The definitions live in private modules per area; this module is the one place users import
them from.
"""

from __future__ import annotations

from mixpanel_data._config import AccountInfo, AccountList, AuthCheck, AuthStatus
from mixpanel_data._result import Record, Result

__all__ = ["AccountInfo", "AccountList", "AuthCheck", "AuthStatus", "Record", "Result"]
