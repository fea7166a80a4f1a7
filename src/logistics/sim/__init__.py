"""The simulated city: riders and demand that use the service only through its public gRPC
contract, as a rider app and an ordering service would (``logistics simulate``)."""
