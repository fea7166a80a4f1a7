"""Rider telemetry: the ping stream, tracks, the telemetry policy, and presence."""
