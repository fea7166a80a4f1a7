"""Events: signing (Standard Webhooks); the outbox relay and webhooks follow."""
