"""A blob store on the local file system, for development and single-node deployments."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Collection, Iterator
from pathlib import Path
from typing import BinaryIO

from logistics.blobs.errors import BlobNotFound, BlobStoreUnavailable
from logistics.blobs.interface import StoredBlob
from logistics.blobs.keys import validate_key
from logistics.blobs.upload import UploadStream

READ_CHUNK_BYTES = 64 * 1024


@contextlib.contextmanager
def _os_errors(action: str) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise BlobStoreUnavailable(f"cannot {action}: {exc}") from exc


def _create(path: Path) -> BinaryIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("xb")


def _commit(file: BinaryIO, temporary: Path, path: Path) -> None:
    file.flush()
    os.fsync(file.fileno())
    file.close()
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _delete(path: Path) -> None:
    # A key naming a directory or passing through a file holds no blob either.
    with contextlib.suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError):
        path.unlink()


class LocalBlobStore:
    """Blobs as files under ``root``, one per key (``root/tenants/<t>/documents/<d>``).

    A blob is written to a hidden temporary file beside its final path, synced and then renamed
    over it, so a reader sees the old blob or the whole new one. File I/O runs in worker threads.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key))

    async def put(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        max_bytes: int,
        allowed_types: Collection[str],
    ) -> StoredBlob:
        path = self._path(key)
        upload = UploadStream(chunks, max_bytes=max_bytes, allowed_types=allowed_types)
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
        file: BinaryIO | None = None
        try:
            async with contextlib.aclosing(aiter(upload)) as stream:
                async for chunk in stream:
                    with _os_errors(f"write blob {key!r}"):
                        if file is None:
                            file = await asyncio.to_thread(_create, temporary)
                        await asyncio.to_thread(file.write, chunk)
            if file is None:  # pragma: no cover - UploadStream raises BlobEmpty first
                raise RuntimeError("an upload stream ended without content")
            with _os_errors(f"write blob {key!r}"):
                await asyncio.to_thread(_commit, file, temporary, path)
        except BaseException:
            # Synchronous on purpose: a cancelled task must still remove its partial file.
            if file is not None:
                file.close()
            temporary.unlink(missing_ok=True)
            raise
        return upload.stored(key)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            file = await asyncio.to_thread(path.open, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise BlobNotFound(key) from exc
        except OSError as exc:
            raise BlobStoreUnavailable(f"cannot open blob {key!r}: {exc}") from exc
        return _read(file, key)

    async def delete(self, key: str) -> None:
        path = self._path(key)
        with _os_errors(f"delete blob {key!r}"):
            await asyncio.to_thread(_delete, path)

    async def close(self) -> None:
        """Nothing to release: every file is closed when its call or stream ends."""


async def _read(file: BinaryIO, key: str) -> AsyncIterator[bytes]:
    try:
        while True:
            with _os_errors(f"read blob {key!r}"):
                chunk = await asyncio.to_thread(file.read, READ_CHUNK_BYTES)
            if not chunk:
                return
            yield chunk
    finally:
        file.close()
