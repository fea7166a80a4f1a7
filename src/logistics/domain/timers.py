"""A timer that has come due: what it is for (``kind``), on which resource, and when."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DueTimer:
    id: int
    kind: str
    subject_id: uuid.UUID
    due_time: datetime
