"""A blob store on any S3-compatible server (AWS, MinIO, Ceph) over HTTP, signed with SigV4."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterable, AsyncIterator, Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape

import httpx

from logistics.blobs.errors import BlobError, BlobNotFound, BlobStoreUnavailable
from logistics.blobs.interface import StoredBlob
from logistics.blobs.keys import validate_key
from logistics.blobs.s3_url import parse_s3_url
from logistics.blobs.sigv4 import EMPTY_SHA256, canonical_query, sign_headers, uri_encode
from logistics.blobs.upload import UploadStream

logger = logging.getLogger(__name__)

MIN_PART_BYTES = 5 * 1024 * 1024  # S3's smallest part but the last
MAX_PART_BYTES = 5 * 1024 * 1024 * 1024

Params = tuple[tuple[str, str], ...]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Body:
    """A request body kept as the chunks it arrived in, so it is never copied whole."""

    chunks: tuple[bytes, ...]
    size: int
    sha256: str

    async def stream(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


class _PartBuffer:
    """Collects chunks (and their hash) until a part is full."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._hash = hashlib.sha256()
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self._chunks.append(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)

    def take(self) -> _Body:
        body = _Body(tuple(self._chunks), self.size, self._hash.hexdigest())
        self._chunks = []
        self._hash = hashlib.sha256()
        self.size = 0
        return body


@contextlib.contextmanager
def _unreachable_is_unavailable(action: str) -> Iterator[None]:
    try:
        yield
    except httpx.TransportError as exc:
        raise BlobStoreUnavailable(f"S3 {action} failed: {exc!r}") from exc


def _xml_text(document: bytes, tag: str) -> str | None:
    """The text of the first element named ``tag`` (any namespace), or None."""
    try:
        root = ET.fromstring(document)
    except ET.ParseError:
        return None
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == tag:
            return element.text or ""
    return None


async def _error_code(response: httpx.Response) -> str:
    return _xml_text(await response.aread(), "Code") or "no error code"


async def _failure(response: httpx.Response, action: str, code: str | None = None) -> BlobError:
    """The error for an unexpected answer: 5xx and 429 may pass, anything else will not."""
    code = code or await _error_code(response)
    detail = f"S3 {action} failed: HTTP {response.status_code} {code}"
    if response.status_code >= 500 or response.status_code == 429:
        return BlobStoreUnavailable(detail)
    return BlobError(detail)


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
    of ``part_bytes`` parts, so at most one part is held in memory. An upload that fails for
    any reason is aborted, and S3 publishes an object only when it is whole.
    """

    def __init__(
        self,
        url: str,
        *,
        part_bytes: int = MIN_PART_BYTES,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if not MIN_PART_BYTES <= part_bytes <= MAX_PART_BYTES:
            raise ValueError(f"part_bytes must be between {MIN_PART_BYTES} and {MAX_PART_BYTES}")
        self.location = parse_s3_url(url)
        self._part_bytes = part_bytes
        self._clock = clock
        self._client = httpx.AsyncClient(
            base_url=f"{self.location.scheme}://{self.location.host_header}",
            timeout=httpx.Timeout(timeout),
            transport=transport,
        )

    def __repr__(self) -> str:
        loc = self.location
        return f"S3BlobStore({loc.scheme}://{loc.host_header}{loc.bucket_path} {loc.prefix!r})"

    async def _send(
        self,
        method: str,
        path: str,
        params: Params = (),
        *,
        headers: dict[str, str] | None = None,
        body: _Body | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        canonical_uri = uri_encode(path, encode_slash=False)
        query = canonical_query(params)
        signed = sign_headers(
            method=method,
            canonical_uri=canonical_uri,
            params=params,
            headers={"host": self.location.host_header, **(headers or {})},
            payload_hash=body.sha256 if body else EMPTY_SHA256,
            credentials=self.location.credentials,
            region=self.location.region,
            now=self._clock(),
        )
        if body is not None:
            # With a length, httpx streams the chunks as they are instead of chunked encoding.
            signed["content-length"] = str(body.size)
        request = self._client.build_request(
            method,
            f"{canonical_uri}?{query}" if query else canonical_uri,
            headers=signed,
            content=body.stream() if body is not None else None,
        )
        with _unreachable_is_unavailable(f"{method} {path}"):
            return await self._client.send(request, stream=stream)

    async def put(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        max_bytes: int,
        allowed_types: Collection[str],
    ) -> StoredBlob:
        validate_key(key)
        path = self.location.object_path(key)
        upload = UploadStream(chunks, max_bytes=max_bytes, allowed_types=allowed_types)
        buffer = _PartBuffer()
        upload_id: str | None = None
        etags: list[str] = []
        try:
            async with contextlib.aclosing(aiter(upload)) as stream:
                async for chunk in stream:
                    buffer.add(chunk)
                    if buffer.size >= self._part_bytes:
                        if upload_id is None:
                            upload_id = await self._create_multipart(path, upload.content_type)
                        etags.append(
                            await self._upload_part(path, upload_id, len(etags) + 1, buffer.take())
                        )
            if upload_id is None:
                await self._put_object(path, upload.content_type, buffer.take())
            else:
                if buffer.size:
                    etags.append(
                        await self._upload_part(path, upload_id, len(etags) + 1, buffer.take())
                    )
                await self._complete_multipart(path, upload_id, etags)
        except BaseException:
            if upload_id is not None:
                await self._abort_multipart(path, upload_id)
            raise
        return upload.stored(key)

    async def _put_object(self, path: str, content_type: str, body: _Body) -> None:
        response = await self._send("PUT", path, headers={"content-type": content_type}, body=body)
        if response.status_code != 200:
            raise await _failure(response, "PutObject")

    async def _create_multipart(self, path: str, content_type: str) -> str:
        response = await self._send(
            "POST", path, (("uploads", ""),), headers={"content-type": content_type}
        )
        upload_id = _xml_text(response.content, "UploadId")
        if response.status_code != 200 or not upload_id:
            raise await _failure(response, "CreateMultipartUpload")
        return upload_id

    async def _upload_part(self, path: str, upload_id: str, number: int, body: _Body) -> str:
        params = (("partNumber", str(number)), ("uploadId", upload_id))
        response = await self._send("PUT", path, params, body=body)
        etag: str | None = response.headers.get("etag")
        if response.status_code != 200 or not etag:
            raise await _failure(response, "UploadPart")
        return etag

    async def _complete_multipart(self, path: str, upload_id: str, etags: list[str]) -> None:
        parts = "".join(
            f"<Part><PartNumber>{number}</PartNumber><ETag>{escape(etag)}</ETag></Part>"
            for number, etag in enumerate(etags, start=1)
        )
        document = f"<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>".encode()
        body = _Body((document,), len(document), hashlib.sha256(document).hexdigest())
        response = await self._send(
            "POST",
            path,
            (("uploadId", upload_id),),
            headers={"content-type": "application/xml"},
            body=body,
        )
        # S3 may answer 200 and still report an error in the body.
        if response.status_code != 200 or _xml_text(response.content, "Code") is not None:
            raise await _failure(response, "CompleteMultipartUpload")

    async def _abort_multipart(self, path: str, upload_id: str) -> None:
        try:
            response = await self._send("DELETE", path, (("uploadId", upload_id),))
            if response.status_code not in (200, 204, 404):
                raise await _failure(response, "AbortMultipartUpload")
        except BlobError:
            # The caller sees why the upload failed; a bucket lifecycle rule should clean up.
            logger.warning("could not abort multipart upload %s of %s", upload_id, path)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        validate_key(key)
        response = await self._send("GET", self.location.object_path(key), stream=True)
        if response.status_code == 200:
            return _body_chunks(response, key)
        try:
            code = await _error_code(response)
        finally:
            await response.aclose()
        if response.status_code == 404 and code != "NoSuchBucket":
            raise BlobNotFound(key)
        raise await _failure(response, "GetObject", code)

    async def delete(self, key: str) -> None:
        validate_key(key)
        response = await self._send("DELETE", self.location.object_path(key))
        if response.status_code in (200, 204):
            return
        code = await _error_code(response)
        if response.status_code == 404 and code != "NoSuchBucket":
            return
        raise await _failure(response, "DeleteObject", code)

    async def close(self) -> None:
        await self._client.aclose()


async def _body_chunks(response: httpx.Response, key: str) -> AsyncIterator[bytes]:
    try:
        with _unreachable_is_unavailable(f"GET {key}"):
            async for chunk in response.aiter_bytes():
                yield chunk
    finally:
        await response.aclose()
