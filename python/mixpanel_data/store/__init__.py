"""The storage layer: the only code that talks to DuckDB (see DESIGN.md §2 and §4).

:class:`Database` opens the file (read-only or read-write, waiting briefly for another
process's lock and naming it when it gives up), runs transactions and maps every DuckDB
exception to the library's own. The private modules hold the rest: statement
classification (``_sql``), error mapping (``_errors``), running user SQL (``_results``),
introspection (``_introspect``), streaming export (``_export``), file layout and
workspaces (``_files``), compaction and reset (``_admin``), pruning (``_prune``) and the
cleanup of ephemeral databases (``_ephemeral``).
"""

from __future__ import annotations

from mixpanel_data.store._database import READ_LOCK_TIMEOUT, WRITE_LOCK_TIMEOUT, Database
from mixpanel_data.store._sql import quote_ident, quote_literal

__all__ = ["READ_LOCK_TIMEOUT", "WRITE_LOCK_TIMEOUT", "Database", "quote_ident", "quote_literal"]
