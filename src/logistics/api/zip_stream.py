"""A zip written as it is sent: the standard library's ``zipfile`` writing to a sink that is
drained after every write (zipfile writes to unseekable streams with data descriptors), so a
member's content is never held whole, and no thread is involved. Members already compressed
(photos) are stored as they are: deflating them costs CPU on the event loop for nothing."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import AsyncIterable, AsyncIterator

COMPRESS_LEVEL = 6  # zlib's default, for the JSON members


class _Sink(io.RawIOBase):
    """Collects what zipfile writes until it is taken; not seekable (so zipfile streams)."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


async def zip_stream(
    members: AsyncIterable[tuple[str, AsyncIterable[bytes], bool]],
) -> AsyncIterator[bytes]:
    """The zip of ``members`` (path, content, whether to deflate it), in order, in pieces as
    they are written. A member's content is consumed only once the earlier members' are."""
    sink = _Sink()
    with zipfile.ZipFile(
        sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
    ) as archive:
        async for path, chunks, deflate in members:
            info = zipfile.ZipInfo(path, _now())
            info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
            with archive.open(info, "w", force_zip64=True) as entry:
                async for chunk in chunks:
                    entry.write(chunk)
                    if data := sink.take():
                        yield data
            if data := sink.take():
                yield data
    yield sink.take()


def _now() -> tuple[int, int, int, int, int, int]:
    return time.localtime(time.time())[:6]  # as ZipFile.writestr dates its members
