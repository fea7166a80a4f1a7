"""OpenTelemetry: gRPC server spans for every call but the long-lived streams; exported over
OTLP when an endpoint is set."""

from __future__ import annotations

from typing import Any

from logistics.config import Settings


def grpc_tracing_interceptors(settings: Settings) -> list[Any]:
    from opentelemetry import trace
    from opentelemetry.instrumentation.grpc import aio_server_interceptor, filters

    if settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider(resource=Resource.create({"service.name": settings.service_name}))
        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint))
        )
        trace.set_tracer_provider(provider)
    # Only our services (the instrumentation expects streaming handlers to be async
    # generators, which the health service's Watch is not), and not the long-lived streams: a
    # span hours long says nothing useful, and the instrumentation wraps every message.
    long_lived = filters.any_of(*(filters.method_name(m) for m in LONG_LIVED_STREAMS))
    ours = filters.all_of(filters.service_prefix("bengobox."), filters.negate(long_lived))
    return [aio_server_interceptor(filter_=ours)]  # type: ignore[no-untyped-call]


LONG_LIVED_STREAMS = ("StreamLocations", "WatchFleet", "SubscribeFleet", "TrackTask")
