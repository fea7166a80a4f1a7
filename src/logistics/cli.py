"""The ``logistics`` command: serve, dev, worker, migrate, rotate-secrets, token, simulate,
sandbox-carrier."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import signal
import sys
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from logistics.config import ConfigError, Settings
from logistics.logs import configure_logging
from logistics.secrets_box import Keyring, generate_key

if TYPE_CHECKING:
    from logistics.store.webhooks.secrets import ResealReport

logger = logging.getLogger("logistics")

DEV_SCOPES = ["logistics:read", "logistics:dispatch", "logistics:telemetry", "logistics:admin"]


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


async def _serve(settings: Settings) -> None:
    from logistics.app import run_server

    stop = asyncio.Event()
    _stop_on_signals(stop)
    await run_server(settings, stop)


async def _worker(settings: Settings) -> None:
    from logistics.app import run_worker

    stop = asyncio.Event()
    _stop_on_signals(stop)
    await run_worker(settings, stop)


def _database_url(settings: Settings) -> str:
    if settings.database_url is None:
        raise ConfigError("LOGISTICS_DATABASE_URL is not set")
    return settings.database_url


async def _migrate(settings: Settings) -> None:
    """The SQL migrations, then plain-text secrets sealed (and any under an older key)."""
    from logistics.store.migrate import migrate

    url = _database_url(settings)
    settings.require_keyring()
    applied = await migrate(url)
    logger.info("migrations applied", extra={"applied": applied})
    await _seal_secrets(settings, url)


async def _rotate_secrets(settings: Settings) -> int:
    """Re-seals every stored secret under the current key; 1 if any is left under another."""
    report = await _seal_secrets(settings, _database_url(settings))
    if report.remaining:
        print(
            f"logistics: {report.remaining} webhook(s) or carrier account(s) are still not "
            "sealed with key "
            f"{settings.require_keyring().current_id!r} (see the log); keep the older keys "
            "until this command reports none",
            file=sys.stderr,
        )
        return 1
    return 0


async def _seal_secrets(settings: Settings, url: str) -> ResealReport:
    from logistics.store.carrier_secrets import reseal_carrier_credentials
    from logistics.store.db import Database
    from logistics.store.webhooks.secrets import ResealReport, reseal_webhook_secrets

    keyring = settings.require_keyring()
    db = await Database.connect(url, role=settings.database_role, min_size=1, max_size=2)
    try:
        hooks = await reseal_webhook_secrets(db, keyring)
        carriers = await reseal_carrier_credentials(db, keyring)
    finally:
        await db.close()
    report = ResealReport(
        hooks.resealed + carriers.resealed,
        hooks.unreadable + carriers.unreadable,
        hooks.remaining + carriers.remaining,
    )
    logger.info(
        "webhook secrets and carrier credentials sealed with the current key",
        extra={
            "key_id": keyring.current_id,
            "resealed": report.resealed,
            "unreadable": report.unreadable,
            "remaining": report.remaining,
        },
    )
    return report


def _dev_file(data_dir: Path, name: str, make: Callable[[], str]) -> str:
    """A development secret kept under the data dir (made once, readable by its owner only),
    so what depends on it survives restarts."""
    path = data_dir / name
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(make())
    return path.read_text().strip()


def _dev_secret(data_dir: Path) -> str:
    """The development JWT signing secret, so minted tokens survive restarts."""
    return _dev_file(data_dir, "dev-jwt-secret", lambda: secrets.token_urlsafe(48))


def _dev_keyring(data_dir: Path) -> Keyring:
    """The development keyring for secrets at rest, so stored secrets open after a restart."""
    return Keyring.parse(_dev_file(data_dir, "dev-secrets-keys", lambda: generate_key("dev")))


async def _dev(settings: Settings, tenant: str, demo: argparse.Namespace | None = None) -> None:
    """Embedded servers for any URL not set, migrations, then both listeners; with ``demo``,
    the simulator beside them (seeding the tenant first)."""
    from logistics.api.auth import mint_token
    from logistics.app import run_server
    from logistics.embedded import EmbeddedServers
    from logistics.store.migrate import migrate

    stop = asyncio.Event()
    _stop_on_signals(stop)
    if settings.jwt_secret is None and settings.jwks_url is None:
        settings = replace(settings, jwt_secret=_dev_secret(settings.data_dir))
    if settings.secrets_keys is None:
        settings = replace(settings, secrets_keys=_dev_keyring(settings.data_dir))
    servers = EmbeddedServers(
        settings.data_dir,
        need_postgres=settings.database_url is None,
        need_redis=settings.redis_url is None,
        need_nats=settings.nats_url is None,
    )
    urls = await servers.start()
    try:
        settings = replace(
            settings,
            database_url=settings.database_url or urls.database_url,
            redis_url=settings.redis_url or urls.redis_url,
            nats_url=settings.nats_url or urls.nats_url,
        )
        assert settings.database_url is not None
        await migrate(settings.database_url)
        await _seal_secrets(settings, settings.database_url)
        server = asyncio.create_task(run_server(settings, stop, run_timers=True))
        await asyncio.sleep(0.5)
        simulation = None
        if not server.done() and settings.jwt_secret:
            token = mint_token(settings.jwt_secret, tenant=tenant, scopes=DEV_SCOPES)
            print(_banner(settings, token), flush=True)
            if demo is not None:
                from logistics.demo import console_link, run_demo

                print(
                    "The console, signed in as a dispatcher of the demo tenant:\n"
                    f"  {console_link(settings, settings.jwt_secret, tenant)}\n",
                    flush=True,
                )
                simulation = asyncio.create_task(
                    run_demo(settings, settings.jwt_secret, tenant, demo, stop)
                )
        await server
        if simulation is not None:
            await simulation
    finally:
        await servers.stop()


def dev_defaults(settings: Settings, env: Mapping[str, str], host: str | None = None) -> Settings:
    """The settings ``logistics dev`` changes unless they are set: the listeners bind loopback
    only (``host``, else ``LOGISTICS_BIND_HOST``, opens them wider), and tenant URLs may reach
    this machine and its network (webhook receivers on 127.0.0.1)."""
    if host is not None:
        settings = replace(settings, bind_host=host)
    elif not env.get("LOGISTICS_BIND_HOST", "").strip():
        settings = replace(settings, bind_host="127.0.0.1")
    if env.get("LOGISTICS_ALLOW_PRIVATE_TARGETS", "").strip():
        return settings
    return replace(settings, allow_private_targets=True)


def _banner(settings: Settings, token: str) -> str:
    return "\n".join(
        [
            "",
            "BengoBox Logistics is running (Ctrl-C stops it and every embedded server).",
            f"  gRPC:            127.0.0.1:{settings.grpc_port}  (health, reflection)",
            f"  Connect/gRPC-web http://127.0.0.1:{settings.http_port}",
            f"  health:          http://127.0.0.1:{settings.http_port}/healthz  /readyz  /metrics",
            f"  database:        {settings.database_url}",
            f"  redis:           {settings.redis_url}",
            f"  nats:            {settings.nats_url}",
            "",
            "A development token (tenant 'demo', all scopes, valid 24 h):",
            f"  export TOKEN={token}",
            "",
        ]
    )


def _parser() -> argparse.ArgumentParser:
    from logistics.sim.flags import add_simulation_flags

    parser = argparse.ArgumentParser(prog="logistics", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve gRPC and HTTP with the configured servers")
    serve.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    dev = commands.add_parser(
        "dev", help="start embedded servers for unset URLs, migrate, serve (make run)"
    )
    dev.add_argument("--tenant", default="demo", help="tenant of the printed development token")
    dev.add_argument(
        "--demo",
        action="store_true",
        help="seed the tenant with a Nairobi demo city and run simulated riders and orders "
        "(make demo); the simulation flags below apply",
    )
    add_simulation_flags(dev, demo=True)
    dev.add_argument(
        "--host",
        help="address to listen on (default 127.0.0.1, or LOGISTICS_BIND_HOST; 0.0.0.0 for all)",
    )
    commands.add_parser(
        "migrate", help="apply pending SQL migrations, then seal plain-text secrets"
    )
    commands.add_parser(
        "rotate-secrets",
        help="re-seal every stored secret with the current key of LOGISTICS_SECRETS_KEYS",
    )
    commands.add_parser(
        "worker",
        help="run background work: the outbox relay, webhook deliveries, timers, track upkeep",
    )
    token = commands.add_parser("token", help="mint a development token (HS256 shared secret)")
    token.add_argument("--tenant", required=True)
    token.add_argument(
        "--scope", action="append", default=[], help="repeat or space-separate scopes"
    )
    token.add_argument(
        "--rider",
        help="the rider of a rider app token: tenants/{tenant}/riders/{rider} or the bare id",
    )
    token.add_argument(
        "--zone", action="append", help="geofence id of a zone the dispatcher is limited to"
    )
    token.add_argument(
        "--task",
        help="a tracking token that may only follow this task: tenants/{tenant}/tasks/{task} "
        "or the bare id",
    )
    token.add_argument("--subject", default="dev")
    token.add_argument("--ttl", type=int, default=24 * 3600, help="seconds")
    simulate = commands.add_parser(
        "simulate",
        help="seed a demo tenant (Nairobi) and run simulated riders and orders against a server",
    )
    simulate.add_argument(
        "--target", help="the gRPC listener, host:port (default 127.0.0.1:LOGISTICS_GRPC_PORT)"
    )
    simulate.add_argument("--tenant", default="demo", help="tenant to seed and simulate")
    add_simulation_flags(simulate)
    _sandbox_flags(commands)
    return parser


def _sandbox_flags(commands: Any) -> None:
    sandbox = commands.add_parser(
        "sandbox-carrier",
        help="serve the sandbox carrier: an on-demand courier API for tests and trials",
    )
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=4190)
    sandbox.add_argument("--api-key", default="sandbox-key", help="the Bearer key callers send")
    sandbox.add_argument(
        "--signing-secret",
        default=os.environ.get("LOGISTICS_SANDBOX_SIGNING_SECRET", ""),
        help="whsec_ secret that signs callbacks (default: LOGISTICS_SANDBOX_SIGNING_SECRET, "
        "else a new one, printed)",
    )
    sandbox.add_argument("--latency-ms", type=float, default=0.0, help="added to every call")
    sandbox.add_argument("--failure-rate", type=float, default=0.0, help="0-1: calls answered 503")
    sandbox.add_argument("--decline-rate", type=float, default=0.0, help="0-1: quotes declined")
    sandbox.add_argument(
        "--step-seconds",
        type=float,
        default=5.0,
        help="couriers move one status on this often (0: only by POST .../advance)",
    )
    sandbox.add_argument("--quote-ttl", type=float, default=300.0, help="seconds a quote holds")
    sandbox.add_argument("--callback-url", help="for deliveries created without one")
    sandbox.add_argument("--seed", type=int, help="for repeatable prices, couriers and failures")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env(os.environ)
    except ConfigError as exc:
        print(f"logistics: configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    try:
        if args.command == "token":
            return _token(settings, args)
        if args.command == "serve":
            settings.require_servers()
            settings.require_auth()
            settings.require_keyring()
            if settings.serve_processes > 1 and not args.child:
                from logistics.processes import supervise

                return supervise(settings.serve_processes)
            _run(settings, _serve(settings))
        elif args.command == "dev":
            demo = args if args.demo else None
            _run(settings, _dev(dev_defaults(settings, os.environ, args.host), args.tenant, demo))
        elif args.command == "migrate":
            asyncio.run(_migrate(settings))
        elif args.command == "rotate-secrets":
            return asyncio.run(_rotate_secrets(settings))
        elif args.command == "simulate":
            target = args.target or f"127.0.0.1:{settings.grpc_port}"
            secret = settings.jwt_secret or _dev_secret(settings.data_dir)
            _run(settings, _simulate(target, secret, args, settings))
        elif args.command == "sandbox-carrier":
            _run(settings, _sandbox_carrier(args))
        elif args.command == "worker":
            settings.require_keyring()
            _run(settings, _worker(settings))
    except ConfigError as exc:
        print(f"logistics: configuration error: {exc}", file=sys.stderr)
        return 2
    return 0


async def _simulate(target: str, secret: str, args: argparse.Namespace, settings: Settings) -> None:
    from logistics.demo import minter
    from logistics.sim.flags import simulation_config
    from logistics.sim.runner import Simulation

    stop = asyncio.Event()
    _stop_on_signals(stop)
    config = simulation_config(args, args.tenant, settings.osrm_url)
    simulation = Simulation(target, minter(settings, secret, args.tenant), config)
    await simulation.run(stop)
    print(json.dumps(simulation.summary()), flush=True)


async def _sandbox_carrier(args: argparse.Namespace) -> None:
    from logistics.carriers.sandbox import SandboxConfig, SandboxServer

    for flag in ("failure_rate", "decline_rate"):
        if not 0 <= getattr(args, flag) <= 1:
            raise ConfigError(f"--{flag.replace('_', '-')} must be from 0 to 1")
    config = SandboxConfig(
        api_key=args.api_key,
        signing_secret=args.signing_secret,
        latency_s=args.latency_ms / 1000,
        failure_rate=args.failure_rate,
        decline_rate=args.decline_rate,
        step_seconds=args.step_seconds,
        quote_ttl_s=args.quote_ttl,
        callback_url=args.callback_url,
        seed=args.seed,
    )
    stop = asyncio.Event()
    _stop_on_signals(stop)
    async with SandboxServer(config, args.host, args.port) as sandbox:
        print(f"The sandbox carrier: {sandbox.url}  (API key {config.api_key})", flush=True)
        print(f"  callbacks signed with {sandbox.config.signing_secret}", flush=True)
        await sandbox.wait(stop)


def _run(settings: Settings, main: Coroutine[Any, Any, None]) -> None:
    """Runs a long-lived process's main coroutine on the configured event loop."""
    factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    if settings.event_loop == "uvloop":
        import uvloop

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(main)


def _claim_id(value: str | None, tenant: str, collection: str, flag: str) -> str | None:
    """The id a token's claim holds, from a resource name as the RPCs take it or a bare id."""
    from logistics.domain.errors import InvalidArgument
    from logistics.domain.ids import parse_name

    if value is None or "/" not in value:
        return value
    name = parse_name(value, collection, flag)
    if name.tenant != tenant:
        raise InvalidArgument.field(flag, f"names a {collection[:-1]} of tenant {name.tenant}")
    return str(name.id)


def _token(settings: Settings, args: argparse.Namespace) -> int:
    from logistics.api.auth import mint_token
    from logistics.domain.errors import InvalidArgument

    secret = settings.jwt_secret or _dev_secret(settings.data_dir)
    scopes = [s for chunk in args.scope for s in chunk.split()]
    unknown = sorted(set(scopes) - set(DEV_SCOPES))
    if unknown:
        print(f"logistics: unknown scope(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    if not scopes and args.task is None:
        print("logistics: give --scope (or --task for a tracking token)", file=sys.stderr)
        return 2
    try:
        token = mint_token(
            secret,
            tenant=args.tenant,
            scopes=scopes,
            subject=args.subject,
            rider_id=_claim_id(args.rider, args.tenant, "riders", "--rider"),
            zones=args.zone,
            task_id=_claim_id(args.task, args.tenant, "tasks", "--task"),
            ttl_s=args.ttl,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
    except InvalidArgument as exc:
        print(f"logistics: {exc.message}", file=sys.stderr)
        return 2
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
