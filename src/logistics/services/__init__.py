"""Use cases: async application services that speak plain domain values, never protobuf."""
