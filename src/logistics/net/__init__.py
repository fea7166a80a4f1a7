"""Outbound network calls to addresses the service does not control (tenant-supplied URLs).

``addresses`` holds the pure rules (what may be reached); ``outbound`` the httpx transport
that enforces them on the address actually connected to. Import each module directly: the
rules are usable where httpx is not. ``retry_after`` reads the wait an answer asks for.
"""
