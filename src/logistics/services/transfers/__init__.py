"""Inventory transfers and shuttles (docs/tasks.md, "Transfers and shuttles")."""
