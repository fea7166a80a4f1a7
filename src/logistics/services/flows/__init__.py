"""Durable flows (sagas over tasks): the engine, the failed-delivery flow's actions, and
reading flows (see docs/flows.md)."""
