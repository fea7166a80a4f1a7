"""protoc plugin that hands buf's request to grpc_tools' bundled grpc_python generator.

grpc_tools ships the grpc Python generator inside its protoc, not as a standalone plugin, so
this script writes the request's descriptors to a file, runs grpc_tools.protoc on them with
``--descriptor_set_in`` and returns the files it wrote.
"""

from __future__ import annotations

import pathlib
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def main() -> int:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    response = plugin_pb2.CodeGeneratorResponse()
    with tempfile.TemporaryDirectory() as tmp:
        descriptors = pathlib.Path(tmp, "descriptors.binpb")
        descriptors.write_bytes(
            descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString()
        )
        out = pathlib.Path(tmp, "out")
        out.mkdir()
        args = ["grpc_tools.protoc", f"--descriptor_set_in={descriptors}"]
        args.append(
            f"--grpc_python_out={request.parameter + ':' if request.parameter else ''}{out}"
        )
        args.extend(request.file_to_generate)
        if protoc.main(args) != 0:
            response.error = "grpc_tools.protoc failed to generate grpc stubs"
        else:
            for path in sorted(out.rglob("*.py")):
                generated = response.file.add()
                generated.name = path.relative_to(out).as_posix()
                generated.content = path.read_text()
    sys.stdout.buffer.write(response.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main())
