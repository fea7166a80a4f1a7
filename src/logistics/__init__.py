"""BengoBox Logistics service."""
