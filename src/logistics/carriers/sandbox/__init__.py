"""The sandbox carrier (``logistics sandbox-carrier``): an on-demand courier API of our own,
served over real HTTP, for tests, ``make demo`` and tenants trying carriers before a contract.
See docs/carriers.md."""

from __future__ import annotations

from logistics.carriers.sandbox.model import FLOW, SandboxBook, SandboxConfig
from logistics.carriers.sandbox.server import SandboxServer

__all__ = ["FLOW", "SandboxBook", "SandboxConfig", "SandboxServer"]
