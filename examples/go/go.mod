module github.com/bengobox/logistics/examples/go

go 1.19

require (
	github.com/bengobox/logistics/gen/go v0.0.0
	google.golang.org/genproto v0.0.0-20200413115906-b5235f65be36
	google.golang.org/grpc v1.33.3
	google.golang.org/protobuf v1.28.1
)

// The generated code of this repository, not a published version.
replace github.com/bengobox/logistics/gen/go => ../../gen/go
