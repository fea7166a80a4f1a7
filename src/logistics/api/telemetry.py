"""TelemetryService on both listeners: the rider's location stream, tracks, geofences and the
telemetry policy; live views are in ``api.live``."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from bengobox.logistics.v1 import common_pb2, telemetry_connect, telemetry_pb2
from google.protobuf import empty_pb2, timestamp_pb2

from logistics.api.coldchain import ColdChainEndpoints
from logistics.api.convert_common import optional
from logistics.api.convert_live import task_state
from logistics.api.convert_records import window_from_proto
from logistics.api.convert_tasks import action_stamp
from logistics.api.convert_telemetry import (
    ack_to_proto,
    geofence_changes,
    geofence_from_proto,
    geofence_to_proto,
    pings_from_proto,
    policy_from_proto,
    policy_to_proto,
    track_to_proto,
)
from logistics.api.edge import current_caller
from logistics.api.errors import to_status
from logistics.api.live import LiveEndpoints
from logistics.api.paging import encode_token, page_request
from logistics.api.push import PushStream, Send
from logistics.api.text_check import check_text
from logistics.domain.caller import Caller
from logistics.domain.errors import DomainError, InvalidArgument, ResourceExhausted
from logistics.domain.ids import parse_parent
from logistics.domain.names import GEOFENCES, RIDERS, TELEMETRY_POLICY
from logistics.domain.offers import InboxMessage, OfferToRider, TaskChangeToRider
from logistics.domain.ratelimit import TokenBucket
from logistics.services.coldchain.service import MAX_READINGS
from logistics.services.dispatch.offers import Offers
from logistics.services.dispatch.service import AutoDispatcher
from logistics.services.geofencing import GeofenceService
from logistics.services.telemetry.service import TelemetryService
from logistics.services.telemetry.session import RiderSession

logger = logging.getLogger(__name__)

Ctx = Any


@dataclass(frozen=True)
class StreamLimits:
    max_message_bytes: int = 256 * 1024
    max_pings: int = 1000
    messages_per_second: float = 20.0
    burst: float = 40.0
    keepalive_s: float = 20.0


def _required(present: bool, field: str) -> None:
    if not present:
        raise InvalidArgument.field(field, "is required")


class TelemetryHandler(telemetry_connect.TelemetryService):
    def __init__(
        self,
        telemetry: TelemetryService,
        geofences: GeofenceService,
        limits: StreamLimits,
        offers: Offers,
        dispatcher: AutoDispatcher,
        live: LiveEndpoints,
        coldchain: ColdChainEndpoints,
    ) -> None:
        self._live = live
        self._coldchain = coldchain
        self._telemetry = telemetry
        self._geofences = geofences
        self._limits = limits
        self._offers = offers
        self._dispatcher = dispatcher

    def watch_fleet(
        self, request: AsyncIterator[telemetry_pb2.WatchFleetRequest], ctx: Ctx
    ) -> AsyncIterator[telemetry_pb2.WatchFleetResponse]:
        return self._live.watch_fleet(request)

    def subscribe_fleet(
        self, request: telemetry_pb2.SubscribeFleetRequest, ctx: Ctx
    ) -> AsyncIterator[telemetry_pb2.SubscribeFleetResponse]:
        return self._live.subscribe_fleet(request)

    def track_task(
        self, request: telemetry_pb2.TrackTaskRequest, ctx: Ctx
    ) -> AsyncIterator[telemetry_pb2.TrackTaskResponse]:
        return self._live.track_task(request)

    def stream_locations(
        self, request: AsyncIterator[telemetry_pb2.StreamLocationsRequest], ctx: Ctx
    ) -> AsyncIterator[telemetry_pb2.StreamLocationsResponse]:
        return PushStream(lambda send: self._stream(request, send))

    async def _stream(
        self,
        requests: AsyncIterator[telemetry_pb2.StreamLocationsRequest],
        send: Send[telemetry_pb2.StreamLocationsResponse],
    ) -> None:
        """Acks go out from the loop that reads the batches; offers and keep-alives are sent
        beside them, from the rider's inbox and a timer."""
        caller = current_caller()
        session = await self._telemetry.open_session(caller)
        last_sent = [time.monotonic()]
        open_ = [True]

        async def push(reply: telemetry_pb2.StreamLocationsResponse) -> None:
            if open_[0]:  # an inbox message may come in as the stream ends
                last_sent[0] = time.monotonic()
                await send(reply)

        async def deliver(message: InboxMessage) -> None:
            await push(_inbox_message(message))

        stop_inbox = await self._offers.subscribe_inbox(
            session.tenant, str(session.rider_id), deliver
        )
        keepalive = asyncio.create_task(self._keep_alive(push, last_sent))
        try:
            await self._read(session, requests, push, caller)
        finally:
            open_[0] = False
            keepalive.cancel()
            await stop_inbox()

    async def _keep_alive(
        self, push: Send[telemetry_pb2.StreamLocationsResponse], last_sent: list[float]
    ) -> None:
        """One timer per stream (not one per message): a keep-alive after a quiet spell."""
        period = self._limits.keepalive_s
        while True:
            quiet = time.monotonic() - last_sent[0]
            if quiet >= period:
                await push(_keepalive())
                quiet = 0.0
            await asyncio.sleep(period - quiet)

    async def _read(
        self,
        session: RiderSession,
        requests: AsyncIterator[telemetry_pb2.StreamLocationsRequest],
        push: Send[telemetry_pb2.StreamLocationsResponse],
        caller: Caller,
    ) -> None:
        limits = self._limits
        bucket = TokenBucket(limits.messages_per_second, limits.burst)
        async for message in requests:
            kind = message.WhichOneof("message")
            if kind == "batch":
                batch = message.batch
                self._admit(bucket, message, len(batch.pings), limits.max_pings, "pings")
                ack = await session.handle(pings_from_proto(batch))
                await push(ack_to_proto(ack))
            elif kind == "temperatures":
                readings = message.temperatures.readings
                self._admit(bucket, message, len(readings), MAX_READINGS, "readings")
                await push(await self._coldchain.stream_batch(caller, message.temperatures))
            elif kind == "offer_response":
                await self._answer(caller, message.offer_response, push)

    def _admit(
        self,
        bucket: TokenBucket,
        message: telemetry_pb2.StreamLocationsRequest,
        count: int,
        most: int,
        what: str,
    ) -> None:
        """A batch of pings or of temperature readings within the stream's size and rate
        limits, else RESOURCE_EXHAUSTED (the stream ends)."""
        limits = self._limits
        if message.ByteSize() > limits.max_message_bytes or count > most:
            raise ResourceExhausted(
                f"a batch may hold at most {most} {what} and "
                f"{limits.max_message_bytes} bytes; split it",
                retry_after_s=0.0,
            )
        wait = bucket.take(time.monotonic())
        if wait > 0:
            raise ResourceExhausted(
                f"more than {limits.messages_per_second:g} batches a second; "
                "send larger batches less often",
                retry_after_s=wait,
            )

    async def _answer(
        self,
        caller: Caller,
        answer: telemetry_pb2.OfferResponse,
        push: Send[telemetry_pb2.StreamLocationsResponse],
    ) -> None:
        """Answers are applied in the order they arrive (the app sends its buffer oldest
        first); one with an ``action_id`` gets its outcome back as an ``OfferResult``."""
        result = telemetry_pb2.OfferResult(offer_id=answer.offer_id, action_id=answer.action_id)
        try:
            check_text(answer, "offer_response.")
            result.assigned = await self._dispatcher.respond(
                caller,
                answer.offer_id,
                answer.accept,
                answer.reason or None,
                action_stamp(answer),
            )
        except DomainError as exc:
            # A late or unknown answer does not end the stream.
            logger.info("offer answer refused: %s", exc.message)
            if not answer.action_id:
                return
            result.error.CopyFrom(to_status(exc, "StreamLocations").rpc_status())
        if answer.action_id:
            await push(telemetry_pb2.StreamLocationsResponse(offer_result=result))

    async def get_track(
        self, request: telemetry_pb2.GetTrackRequest, ctx: Ctx
    ) -> telemetry_pb2.GetTrackResponse:
        rider = RIDERS.parse(request.rider, "rider")
        _required(request.HasField("window"), "window")
        window = window_from_proto(request.window, "window")
        track = await self._telemetry.get_track(current_caller(), rider, window.start, window.end)
        return track_to_proto(track)

    async def create_geofence(
        self, request: telemetry_pb2.CreateGeofenceRequest, ctx: Ctx
    ) -> telemetry_pb2.Geofence:
        tenant = parse_parent(request.parent)
        _required(request.HasField("geofence"), "geofence")
        created = await self._geofences.create(
            current_caller(),
            tenant,
            geofence_from_proto(request.geofence),
            optional(request.request_id),
        )
        return geofence_to_proto(tenant, created)

    async def get_geofence(
        self, request: telemetry_pb2.GetGeofenceRequest, ctx: Ctx
    ) -> telemetry_pb2.Geofence:
        name = GEOFENCES.parse(request.name)
        return geofence_to_proto(name.tenant, await self._geofences.get(current_caller(), name))

    async def list_geofences(
        self, request: telemetry_pb2.ListGeofencesRequest, ctx: Ctx
    ) -> telemetry_pb2.ListGeofencesResponse:
        tenant = parse_parent(request.parent)
        filters = ("geofences", tenant)
        page = await self._geofences.list_geofences(
            current_caller(), tenant, page_request(request.page_size, request.page_token, filters)
        )
        return telemetry_pb2.ListGeofencesResponse(
            geofences=[geofence_to_proto(tenant, g) for g in page.items],
            next_page_token=encode_token(page.next, filters),
        )

    async def update_geofence(
        self, request: telemetry_pb2.UpdateGeofenceRequest, ctx: Ctx
    ) -> telemetry_pb2.Geofence:
        _required(request.HasField("geofence"), "geofence")
        name = GEOFENCES.parse(request.geofence.name, "geofence.name")
        updated = await self._geofences.update(
            current_caller(),
            name,
            geofence_changes(request.geofence, list(request.update_mask.paths)),
            optional(request.geofence.etag),
        )
        return geofence_to_proto(name.tenant, updated)

    async def delete_geofence(
        self, request: telemetry_pb2.DeleteGeofenceRequest, ctx: Ctx
    ) -> empty_pb2.Empty:
        name = GEOFENCES.parse(request.name)
        await self._geofences.delete(current_caller(), name, optional(request.etag))
        return empty_pb2.Empty()

    async def get_telemetry_policy(
        self, request: telemetry_pb2.GetTelemetryPolicyRequest, ctx: Ctx
    ) -> telemetry_pb2.TelemetryPolicy:
        tenant = TELEMETRY_POLICY.parse(request.name)
        return policy_to_proto(tenant, await self._telemetry.get_policy(current_caller(), tenant))

    async def update_telemetry_policy(
        self, request: telemetry_pb2.UpdateTelemetryPolicyRequest, ctx: Ctx
    ) -> telemetry_pb2.TelemetryPolicy:
        _required(request.HasField("policy"), "policy")
        tenant = TELEMETRY_POLICY.parse(request.policy.name, "policy.name")
        updated = await self._telemetry.update_policy(
            current_caller(),
            tenant,
            policy_from_proto(request.policy),
            optional(request.policy.etag),
        )
        return policy_to_proto(tenant, updated)


def _inbox_message(message: InboxMessage) -> telemetry_pb2.StreamLocationsResponse:
    """A message sent to the rider's inbox, as the stream sends it."""
    if isinstance(message, OfferToRider):
        offer = message.offer
        expire = timestamp_pb2.Timestamp()
        expire.FromDatetime(offer.expire_time)
        lat, lng = offer.pickup
        return telemetry_pb2.StreamLocationsResponse(
            offer=telemetry_pb2.TaskOffer(
                offer_id=offer.id,
                task=offer.task_id,
                expire_time=expire,
                pickup=common_pb2.GeoPoint(latitude=lat, longitude=lng),
                distance_m=offer.distance_m,
            )
        )
    if isinstance(message, TaskChangeToRider):
        return telemetry_pb2.StreamLocationsResponse(
            task_update=telemetry_pb2.TaskUpdate(
                task=message.task,
                changed_fields=list(message.changed),
                etag=message.etag,
                state=task_state(message.state),
                unassigned=message.unassigned,
            )
        )
    return telemetry_pb2.StreamLocationsResponse(
        offer_withdrawal=telemetry_pb2.OfferWithdrawal(
            offer_id=message.offer_id, reason=message.reason
        )
    )


def _keepalive() -> telemetry_pb2.StreamLocationsResponse:
    now = timestamp_pb2.Timestamp()
    now.GetCurrentTime()
    return telemetry_pb2.StreamLocationsResponse(
        keep_alive=telemetry_pb2.KeepAlive(server_time=now)
    )
