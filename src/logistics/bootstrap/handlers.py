"""The transport side of a serving process: the edge, one handler per service in one table
that both listeners serve, and the REST routes (documents, bulk CSV, dispute bundles)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bengobox.logistics.v1 import (
    carrier_pb2,
    dispatch_pb2,
    fleet_pb2,
    flow_pb2,
    notification_pb2,
    task_pb2,
    telemetry_pb2,
    transfer_pb2,
    webhook_pb2,
)
from prometheus_client import CollectorRegistry

from logistics.api.auth import Authenticator, JwksCache
from logistics.api.bulk_http import bulk_routes
from logistics.api.carriers import CarrierHandler, carrier_callback_routes
from logistics.api.coldchain import ColdChainEndpoints
from logistics.api.dispute_http import dispute_routes
from logistics.api.document_files import document_file_routes
from logistics.api.edge import Edge, RpcMetrics
from logistics.api.fleet import FleetHandler
from logistics.api.flows import FlowHandler
from logistics.api.live import LiveEndpoints
from logistics.api.notifications import NotificationRuleHandler
from logistics.api.rest import RestEndpoints
from logistics.api.service_table import ServedService, served
from logistics.api.tasks import DispatchHandler, TaskHandler
from logistics.api.telemetry import TelemetryHandler
from logistics.api.transfers import TransferHandler
from logistics.api.webhooks import WebhookHandler
from logistics.bootstrap.core import Core
from logistics.bootstrap.policies import stream_limits
from logistics.bootstrap.serving import Serving
from logistics.config import Settings
from logistics.export_signing import ManifestSigner
from logistics.services.bulk import BulkService
from logistics.services.coldchain.service import ColdChainService
from logistics.services.fleet import FleetService
from logistics.services.flows.service import FlowService
from logistics.services.notifications import NotificationRules
from logistics.services.outlets import OutletRegistry
from logistics.services.tasks.disputes import DisputeExports
from logistics.services.tasks.imports import TaskImporter
from logistics.services.transfers.service import TransferService
from logistics.services.vehicles import VehicleService
from logistics.store.bulk import BulkRepository

__all__ = ["Handlers", "build_authenticator", "build_handlers", "build_signer"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Handlers:
    edge: Edge
    services: list[ServedService]
    rest: RestEndpoints


def build_handlers(core: Core, serving: Serving, registry: CollectorRegistry) -> Handlers:
    settings = core.settings
    edge = Edge(build_authenticator(settings), RpcMetrics(registry))
    fleet = FleetHandler(
        FleetService(core.store, core.outlets),
        VehicleService(core.store),
        core.compliance,
        OutletRegistry(core.store, core.outlets),
    )
    coldchain = ColdChainEndpoints(ColdChainService(core.store, core.clock))
    task = TaskHandler(core.tasks, core.retention, coldchain)
    dispatch = DispatchHandler(
        core.tasks,
        core.dispatching,
        serving.auto,
        serving.batch,
        core.routes,
        core.templates,
        serving.adherence,
    )
    telemetry = TelemetryHandler(
        serving.telemetry,
        core.geofences,
        stream_limits(settings),
        serving.offers,
        serving.auto,
        LiveEndpoints(serving.live_views, serving.tracking),
        coldchain,
    )
    # The services both listeners serve: one row each.
    services = [
        served(fleet_pb2, "FleetService", fleet),
        served(task_pb2, "TaskService", task),
        served(dispatch_pb2, "DispatchService", dispatch),
        served(telemetry_pb2, "TelemetryService", telemetry),
        served(webhook_pb2, "WebhookService", WebhookHandler(serving.webhooks)),
        served(
            notification_pb2,
            "NotificationRuleService",
            NotificationRuleHandler(NotificationRules(core.store)),
        ),
        served(flow_pb2, "FlowService", FlowHandler(FlowService(core.store))),
        served(
            carrier_pb2,
            "CarrierService",
            CarrierHandler(serving.carriers.accounts, serving.carriers.jobs),
        ),
        served(
            transfer_pb2,
            "TransferService",
            TransferHandler(
                TransferService(
                    core.store, core.outlets, core.clock, on_rider_change=core.rider_hooks
                )
            ),
        ),
    ]
    rest = RestEndpoints(
        [
            *document_file_routes(core.compliance, settings.max_document_bytes),
            *bulk_routes(
                BulkService(core.store, core.outlets, BulkRepository(core.store)),
                TaskImporter(core.store, core.outlets, core.clock),
            ),
            *dispute_routes(
                DisputeExports(core.store, core.blobs, serving.tracks),
                build_signer(settings),
                coldchain.csv_log,
            ),
            *carrier_callback_routes(serving.carriers.callbacks),
        ],
        edge,
    )
    return Handlers(edge, services, rest)


def build_signer(settings: Settings) -> ManifestSigner | None:
    """The key that signs dispute bundles (``LOGISTICS_EXPORT_SIGNING_SECRET``, else derived from
    the development JWT secret); without either, bundles go unsigned, said once here."""
    signer = ManifestSigner.from_settings(settings.export_signing_secret, settings.jwt_secret)
    if signer is None:
        logger.warning("LOGISTICS_EXPORT_SIGNING_SECRET is not set: dispute bundles are not signed")
    return signer


def build_authenticator(settings: Settings) -> Authenticator:
    settings.require_auth()
    jwks = (
        JwksCache(settings.jwks_url, lifespan_s=settings.jwks_refresh_seconds)
        if settings.jwks_url
        else None
    )
    return Authenticator(
        secret=settings.jwt_secret,
        jwks=jwks,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
