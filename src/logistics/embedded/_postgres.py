"""Embedded PostgreSQL: a cluster made with initdb, the postmaster run as our own child, and
the service's database created in it.

Only the binaries shipped by ``pgserver`` are used; the postmaster is run as our own child
process (pgserver's own API daemonises it through ``pg_ctl`` and listens on a unix socket
only). PostgreSQL refuses to run as root, so under root it runs as the system account
``pgserver`` -- the same account pgserver itself creates -- made with ``useradd`` if missing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import stat
import subprocess
from pathlib import Path

from logistics.embedded._errors import EmbeddedServerError
from logistics.embedded._processes import (
    HOST,
    Account,
    Children,
    run_output,
    run_quiet,
    tail,
    wait_until,
)

_log = logging.getLogger(__name__)

DATABASE = "logistics"
PG_SUPERUSER = "postgres"
# The account pgserver creates when it runs as root; reused so both tools agree on ownership.
PG_SYSTEM_USER = "pgserver"


async def start_postgres(children: Children, bin_dir: Path) -> str:
    """Starts the postmaster (making the cluster first if there is none); returns its URL."""
    pgdata = children.data_dir / "postgres"
    log_path = children.data_dir / "postgres.log"
    account = await asyncio.to_thread(_postgres_account, bin_dir, pgdata)
    if not await asyncio.to_thread((pgdata / "PG_VERSION").exists):
        await _initdb(children, bin_dir, pgdata, log_path, account)

    port = children.port("postgres")
    child = children.spawn(
        "postgres",
        [
            str(bin_dir / "postgres"),
            "-D",
            str(pgdata),
            "-p",
            str(port),
            "-c",
            f"listen_addresses={HOST}",
            "-c",
            "unix_socket_directories=",
        ],
        log_path,
        stop_signal=signal.SIGINT,  # "fast" shutdown: does not wait for clients
        account=account,
        cwd=pgdata,
    )

    async def ready() -> bool:
        rc = await run_quiet(
            [
                str(bin_dir / "pg_isready"),
                "-q",
                "-h",
                HOST,
                "-p",
                str(port),
                "-U",
                PG_SUPERUSER,
                "-d",
                "postgres",
                "-t",
                "1",
            ]
        )
        return rc == 0

    await wait_until(child, ready)
    await _ensure_database(bin_dir, port, log_path)
    return f"postgresql://{PG_SUPERUSER}@{HOST}:{port}/{DATABASE}"


async def _initdb(
    children: Children, bin_dir: Path, pgdata: Path, log_path: Path, account: Account | None
) -> None:
    # Initialise next to the final place and rename, so an interrupted initdb never
    # leaves a half-made cluster that a later start would try to use.
    staging = await asyncio.to_thread(_make_staging_dir, pgdata, account)
    _log.info("initialising a PostgreSQL cluster in %s", pgdata)
    child = children.spawn(
        "initdb",
        [
            str(bin_dir / "initdb"),
            "-D",
            str(staging),
            "-U",
            PG_SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-instructions",
        ],
        log_path,
        stop_signal=signal.SIGTERM,
        account=account,
        cwd=staging,
        track=False,
    )
    try:
        rc = await asyncio.to_thread(child.proc.wait)
    except BaseException:
        child.proc.kill()
        raise
    if rc != 0:
        raise EmbeddedServerError(
            f"initdb failed with exit code {rc}; see {log_path}:\n{tail(log_path)}"
        )
    await asyncio.to_thread(staging.rename, pgdata)


async def _ensure_database(bin_dir: Path, port: int, log_path: Path) -> None:
    psql = [
        str(bin_dir / "psql"),
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        HOST,
        "-p",
        str(port),
        "-U",
        PG_SUPERUSER,
        "-d",
        "postgres",
        "-tA",
        "-c",
    ]
    exists = await run_output(
        [*psql, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"], log_path
    )
    if exists.strip() != "1":
        await run_output([*psql, f'CREATE DATABASE "{DATABASE}"'], log_path)


def _postgres_account(bin_dir: Path, pgdata: Path) -> Account | None:
    """None when we are not root; otherwise the account PostgreSQL must run as.

    That account is created if missing and is let into the directories holding the
    binaries and the data.
    """
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        _log.warning("running as root: creating system user %r for PostgreSQL", PG_SYSTEM_USER)
        cmd = ["useradd", "--system", "--user-group", "--no-create-home", PG_SYSTEM_USER]
        try:
            subprocess.run(cmd, check=True, capture_output=True, text=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", None) or exc
            raise EmbeddedServerError(
                f"PostgreSQL refuses to run as root and the user {PG_SYSTEM_USER!r} could not "
                f"be created ({' '.join(cmd)}: {detail}); create it or run as a normal user"
            ) from exc
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    account = Account(entry.pw_name, entry.pw_uid, entry.pw_gid)
    _ensure_traversable(bin_dir, account)
    _ensure_traversable(pgdata.parent, account)
    return account


def _make_staging_dir(pgdata: Path, account: Account | None) -> Path:
    """An empty directory, owned by ``account``, for initdb to fill before it becomes pgdata."""
    staging = pgdata.with_name(pgdata.name + ".initdb")
    shutil.rmtree(staging, ignore_errors=True)
    if pgdata.exists():
        if any(pgdata.iterdir()):
            raise EmbeddedServerError(
                f"{pgdata} is not empty but holds no PostgreSQL cluster (no PG_VERSION); "
                "move it away to start with a fresh database"
            )
        pgdata.rmdir()
    staging.mkdir(mode=0o700)
    if account is not None:
        os.chown(staging, account.uid, account.gid)
    return staging


def _ensure_traversable(path: Path, account: Account) -> None:
    """Adds o+x to those directories from ``path`` up to / that ``account`` cannot enter."""
    for directory in (path, *path.parents):
        st = directory.stat()
        if st.st_uid == account.uid:
            allowed = st.st_mode & stat.S_IXUSR
        elif st.st_gid == account.gid:
            allowed = st.st_mode & stat.S_IXGRP
        else:
            allowed = st.st_mode & stat.S_IXOTH
        if not allowed:
            _log.warning("allowing user %r to enter %s (chmod o+x)", account.name, directory)
            directory.chmod(stat.S_IMODE(st.st_mode) | stat.S_IXOTH)
