"""A blob store on any S3-compatible server (AWS, MinIO, Ceph), through the obstore client.

obstore (Python bindings of the Rust ``object_store`` crate) does the HTTP, SigV4 signing and
multipart uploads; this module adds our key rules, the upload checks of
:class:`~logistics.blobs.upload.UploadStream` and the translation of its errors into ours.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterable, AsyncIterator, Collection, Iterator
from datetime import timedelta

import obstore
from obstore.exceptions import BaseError, NotFoundError
from obstore.store import S3Store

from logistics.blobs.errors import BlobError, BlobNotFound, BlobStoreUnavailable
from logistics.blobs.interface import StoredBlob
from logistics.blobs.keys import validate_key
from logistics.blobs.s3_url import parse_s3_url
from logistics.blobs.upload import UploadStream

MIN_PART_BYTES = 5 * 1024 * 1024  # S3's smallest part but the last
MAX_PART_BYTES = 5 * 1024 * 1024 * 1024
READ_CHUNK_BYTES = 64 * 1024  # obstore's default read chunk is 10 MB: far too much to hold

# obstore reports an HTTP failure as text: "... status code: 503 Service Unavailable: <body>".
_STATUS = re.compile(r"status code: (\d{3})")
_CODE = re.compile(r"<Code>([^<]+)</Code>")
# obstore raises its own classes, except for a 404 (the built-in FileNotFoundError) and any
# failure of a writer (a plain OSError).
_ObstoreError = (BaseError, OSError)


def _failure(exc: Exception, action: str) -> BlobError:
    """Our error for one of obstore's: 5xx, 429 and no answer at all may pass, the rest won't."""
    text = str(exc)
    status = _STATUS.search(text)
    if status is None:  # the request got no answer: refused, reset, timed out
        return BlobStoreUnavailable(f"S3 {action} failed: {text.splitlines()[0]}")
    code = _CODE.search(text)
    detail = f"S3 {action} failed: HTTP {status.group(1)} {code.group(1) if code else ''}".rstrip()
    if status.group(1).startswith("5") or status.group(1) == "429":
        return BlobStoreUnavailable(detail)
    return BlobError(detail)


def _missing_object(exc: Exception) -> bool:
    """A 404 for the object, not for the bucket (a missing bucket is a configuration error)."""
    return isinstance(exc, FileNotFoundError | NotFoundError) and "NoSuchBucket" not in str(exc)


@contextlib.contextmanager
def _translated(action: str) -> Iterator[None]:
    try:
        yield
    except _ObstoreError as exc:
        raise _failure(exc, action) from exc


class S3BlobStore:
    """Blobs as objects in one bucket of an S3-compatible server, configured by one URL::

        s3://ACCESS_KEY:SECRET_KEY@host[:port]/bucket[/prefix][?option=value&...]

    - ``ACCESS_KEY``, ``SECRET_KEY``: percent-encoded (a ``/`` in a secret is ``%2F``).
    - ``host[:port]``: the endpoint, e.g. ``s3.eu-west-1.amazonaws.com`` or
      ``minio:9000``; the port defaults to 443, or 80 with ``secure=false``.
    - ``bucket``: must exist; ``prefix`` (optional) is put before every key.
    - ``region``: the SigV4 signing region; by default the one in an AWS regional host name
      (``s3.eu-west-1.amazonaws.com``), else ``us-east-1`` (MinIO's and Ceph's default).
    - ``secure``: ``true`` (default) for HTTPS, ``false`` for plain HTTP.
    - ``path_style``: ``true`` addresses ``host/bucket/key`` (MinIO, Ceph, moto), ``false``
      ``bucket.host/key``; the default is virtual-hosted for ``*.amazonaws.com``, path style
      for any other host.

    Uploads of less than ``part_bytes`` go in one PUT; larger ones stream as a multipart upload
    of ``part_bytes`` parts, one in flight at a time, so about two parts are held in memory. An
    upload that fails or is cancelled is aborted, and S3 publishes an object only when it is
    whole. Requests are not retried here: a failure is ``BlobStoreUnavailable`` at once, and the
    caller (ultimately the client, told UNAVAILABLE) decides.
    """

    def __init__(
        self, url: str, *, part_bytes: int = MIN_PART_BYTES, timeout: float = 30.0
    ) -> None:
        if not MIN_PART_BYTES <= part_bytes <= MAX_PART_BYTES:
            raise ValueError(f"part_bytes must be between {MIN_PART_BYTES} and {MAX_PART_BYTES}")
        self.location = location = parse_s3_url(url)
        self._part_bytes = part_bytes
        self._store = S3Store(
            location.bucket,
            endpoint=location.endpoint,
            region=location.region,
            access_key_id=location.credentials.access_key,
            secret_access_key=location.credentials.secret_key,
            virtual_hosted_style_request=not location.path_style,
            client_options={
                "allow_http": not location.secure,
                "connect_timeout": timedelta(seconds=timeout),
                "timeout": timedelta(seconds=timeout),
            },
            retry_config={"max_retries": 0, "retry_timeout": timedelta(seconds=timeout)},
        )

    def __repr__(self) -> str:
        return f"S3BlobStore({self.location.endpoint} {self.location.prefix!r})"

    async def put(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        max_bytes: int,
        allowed_types: Collection[str],
    ) -> StoredBlob:
        validate_key(key)
        upload = UploadStream(chunks, max_bytes=max_bytes, allowed_types=allowed_types)
        async with contextlib.aclosing(aiter(upload)) as stream:
            # The type, and so the object's Content-Type, is known once a chunk came through.
            first = await anext(stream)
            writer = obstore.open_writer_async(
                self._store,
                self.location.object_key(key),
                attributes={"Content-Type": upload.content_type},
                buffer_size=self._part_bytes,
                max_concurrency=1,
            )
            # The caller's chunks may fail with an OSError too: that one is theirs, not ours.
            source_error: BaseException | None = None
            try:
                # Leaving the writer by an exception (a refused or failed upload, a
                # cancellation) aborts it: nothing is published and no part is left behind.
                async with writer:
                    chunk = first
                    while True:
                        await writer.write(chunk)
                        try:
                            chunk = await anext(stream)
                        except StopAsyncIteration:
                            break
                        except BaseException as exc:
                            source_error = exc
                            raise
            except _ObstoreError as exc:
                if exc is source_error:
                    raise
                raise _failure(exc, f"PUT {key}") from exc
        return upload.stored(key)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        validate_key(key)
        try:
            result = await obstore.get_async(self._store, self.location.object_key(key))
        except _ObstoreError as exc:
            if _missing_object(exc):
                raise BlobNotFound(key) from exc
            raise _failure(exc, f"GET {key}") from exc
        return _body_chunks(result, key)

    async def delete(self, key: str) -> None:
        validate_key(key)
        try:
            await obstore.delete_async(self._store, self.location.object_key(key))
        except _ObstoreError as exc:
            if not _missing_object(exc):
                raise _failure(exc, f"DELETE {key}") from exc

    async def close(self) -> None:
        """Nothing to release: obstore's connection pool goes with the store."""


async def _body_chunks(result: obstore.GetResult, key: str) -> AsyncIterator[bytes]:
    with _translated(f"GET {key}"):
        async for chunk in result.stream(min_chunk_size=READ_CHUNK_BYTES):
            yield bytes(chunk)
