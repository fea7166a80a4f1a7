"""SQL for CSV imports and exports of riders and vehicles: rows are COPYed into a session's
temp table, checked against the tenant's data, and upserted set-based in one transaction,
with an audit row and an outbox event per changed row; exports read through a cursor.

Staging happens outside the transaction (a temp table, on one pooled connection held for
the import), so the transaction itself is short and starts only once the file is read.
"""

from logistics.store.bulk.repo import BulkRepository
from logistics.store.bulk.staged import StagedImport

__all__ = ["BulkRepository", "StagedImport"]
