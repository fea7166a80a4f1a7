"""Request decoding for the Connect listener that reports bad bodies as INVALID_ARGUMENT.

connect-python decodes a request before any interceptor runs and reports a body it cannot
parse (unknown JSON field, bad enum name, truncated protobuf) as ``unknown``. Its codecs are a
process-wide registry, so ``install()`` replaces the proto and JSON entries with codecs that
raise ``invalid_argument`` naming what was wrong.
"""

from __future__ import annotations

from typing import Any

from connectrpc import _codec
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from google.protobuf import json_format
from google.protobuf.message import DecodeError


class StrictProtoBinaryCodec(_codec.ProtoBinaryCodec):  # type: ignore[type-arg]
    def decode(self, data: bytes | bytearray, message: Any) -> Any:
        try:
            return super().decode(data, message)
        except DecodeError as exc:
            raise ConnectError(Code.INVALID_ARGUMENT, f"malformed request body: {exc}") from None


class StrictProtoJSONCodec(_codec.ProtoJSONCodec):  # type: ignore[type-arg]
    def decode(self, data: bytes | bytearray, message: Any) -> Any:
        try:
            return super().decode(data, message)
        except (json_format.ParseError, UnicodeDecodeError, ValueError) as exc:
            raise ConnectError(Code.INVALID_ARGUMENT, f"malformed request body: {exc}") from None


def install() -> None:
    binary, json = StrictProtoBinaryCodec(), StrictProtoJSONCodec()
    for name, codec in list(_codec._codecs.items()):
        _codec._codecs[name] = json if isinstance(codec, _codec.ProtoJSONCodec) else binary
