"""Transport edge: grpcio servicers, Connect handlers, auth, proto <-> domain, error mapping."""
