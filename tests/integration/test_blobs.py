"""Blob stores: the same behaviour on local files and on a real S3 server (moto), plus the pure
parts they rest on (content sniffing, URL parsing).

The S3 server runs in a child process with IAM authentication on, so every request the S3
client signs is checked by an independent implementation, and its memory stays out of ours.
What the store itself never does (create a bucket, list what is left) goes through boto3.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import socket
import subprocess
import sys
import textwrap
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from logistics.blobs import (
    KNOWN_TYPES,
    BlobEmpty,
    BlobError,
    BlobNotFound,
    BlobStore,
    BlobStoreUnavailable,
    BlobTooLarge,
    BlobTypeNotAllowed,
    LocalBlobStore,
    S3BlobStore,
    blob_store_from_url,
    sniff_content_type,
)
from logistics.blobs.s3_url import Credentials, S3Location, parse_s3_url

KiB = 1024
MiB = 1024 * KiB

PDF_HEAD = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
ZIP_HEAD = b"PK\x03\x04\x14\x00\x00\x00\x08\x00"
DOCUMENTS = frozenset({"application/pdf", "image/jpeg", "image/png"})


# --- content sniffing -------------------------------------------------------------------------

HEADS = {
    "application/pdf": b"%PDF-1.4\n",
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF",
    "image/png": PNG_HEAD,
    "image/webp": b"RIFF\x24\x08\x00\x00WEBPVP8 ",
    "image/heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00",
}


@pytest.mark.parametrize(("expected", "head"), sorted(HEADS.items()))
def test_sniff_names_each_supported_type(expected: str, head: bytes) -> None:
    assert sniff_content_type(head) == expected


@pytest.mark.parametrize("brand", [b"heic", b"heix", b"mif1"])
def test_sniff_knows_every_heic_brand(brand: bytes) -> None:
    assert sniff_content_type(b"\x00\x00\x00\x1cftyp" + brand) == "image/heic"


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"%PD",
        ZIP_HEAD,
        b"hello, world\n",
        b"RIFF\x00\x00\x00\x00WAVE",
        b"\x00\x00\x00\x18ftypmp42",
    ],
)
def test_sniff_refuses_to_guess(head: bytes) -> None:
    assert sniff_content_type(head) is None


@given(st.binary(max_size=64))
def test_sniff_never_crashes_on_random_bytes(head: bytes) -> None:
    assert sniff_content_type(head) in {*KNOWN_TYPES, None}


@given(st.sampled_from(sorted(HEADS.items())), st.binary(max_size=64))
def test_sniff_looks_only_at_the_head(case: tuple[str, bytes], tail: bytes) -> None:
    expected, head = case
    assert sniff_content_type(head + tail) == expected


# --- configuration ------------------------------------------------------------------------------


def test_s3_url_defaults_suit_a_self_hosted_server() -> None:
    location = parse_s3_url("s3://minio:se%2Fcr%2Bet%40@minio.local:9000/docs?secure=false")
    assert location.credentials == Credentials("minio", "se/cr+et@")
    assert (location.host, location.port, location.secure) == ("minio.local", 9000, False)
    assert (location.bucket, location.prefix, location.region) == ("docs", "", "us-east-1")
    assert location.path_style
    assert location.endpoint == "http://minio.local:9000"
    assert location.object_key("tenants/t/documents/d") == "tenants/t/documents/d"
    assert "se/cr" not in repr(location)


def test_s3_url_defaults_suit_aws() -> None:
    location = parse_s3_url("s3://AKIA:secret@s3.eu-west-1.amazonaws.com/bengobox/prod/")
    assert (location.port, location.secure, location.path_style) == (443, True, False)
    assert location.endpoint == "https://bengobox.s3.eu-west-1.amazonaws.com"
    assert location.object_key("a/b") == "prod/a/b"
    assert location.region == "eu-west-1"
    assert parse_s3_url("s3://a:b@s3.amazonaws.com/b").region == "us-east-1"
    assert parse_s3_url("s3://a:b@s3.amazonaws.com/b?region=ap-south-1").region == "ap-south-1"


@pytest.mark.parametrize(
    "url",
    [
        "s3://minio.local:9000/docs",  # no credentials
        "s3://a:b@minio.local:9000/",  # no bucket
        "s3://a:b@minio.local:9000/docs?secure=maybe",
        "s3://a:b@minio.local:9000/docs?regoin=eu-west-1",
        "s3://a:b@minio.local:9000/docs/../x",
        "http://a:b@minio.local:9000/docs",
    ],
)
def test_s3_url_mistakes_are_refused(url: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        parse_s3_url(url)


def test_blob_store_from_url_picks_the_store(tmp_path: Path) -> None:
    default = blob_store_from_url(None, tmp_path)
    assert isinstance(default, LocalBlobStore)
    assert default.root == tmp_path
    assert isinstance(blob_store_from_url("", tmp_path), LocalBlobStore)
    chosen = blob_store_from_url("file:///srv/blobs%20x", tmp_path)
    assert isinstance(chosen, LocalBlobStore)
    assert chosen.root == Path("/srv/blobs x")
    s3 = blob_store_from_url("s3://a:b@127.0.0.1:9000/docs?secure=false", tmp_path)
    assert isinstance(s3, S3BlobStore)
    with pytest.raises(ValueError, match="'gs'"):
        blob_store_from_url("gs://bucket/x", tmp_path)
    with pytest.raises(ValueError, match="absolute"):
        blob_store_from_url("file://relative/dir", tmp_path)


# --- a real S3 server ---------------------------------------------------------------------------

MOTO_CHILD = textwrap.dedent(
    """
    import json, logging, os, sys
    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"  # check every request's signature
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends
    from moto.server import ThreadedMotoServer
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    iam = iam_backends[DEFAULT_ACCOUNT_ID]["aws"]
    iam.create_user(region_name="us-east-1", user_name="blobs")
    policy = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    iam.put_user_policy("blobs", "s3", json.dumps(policy))
    key = iam.create_access_key("blobs")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port = server.get_host_and_port()[1]
    print(json.dumps({"port": port, "access_key": key.access_key_id,
                      "secret_key": key.secret_access_key}), flush=True)
    sys.stdin.read()
    server.stop()
    """
)


@dataclass(frozen=True)
class MotoServer:
    port: int
    access_key: str
    secret_key: str

    def url(self, bucket: str, query: str = "secure=false") -> str:
        credentials = f"{quote(self.access_key, safe='')}:{quote(self.secret_key, safe='')}"
        return f"s3://{credentials}@127.0.0.1:{self.port}/{bucket}?{query}"


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    child = subprocess.Popen(
        [sys.executable, "-c", MOTO_CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdin is not None
    try:
        line = child.stdout.readline()
        assert line, "moto server did not start"
        yield MotoServer(**json.loads(line))
    finally:
        child.stdin.close()  # the child stops its server when its stdin closes
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def s3_client(location: S3Location) -> Any:
    """A boto3 client for the store's bucket, for what the store itself never does."""
    return boto3.client(
        "s3",
        endpoint_url=f"{location.scheme}://{location.host}:{location.port}",
        region_name=location.region,
        aws_access_key_id=location.credentials.access_key,
        aws_secret_access_key=location.credentials.secret_key,
        config=boto3.session.Config(s3={"addressing_style": "path"}),
    )


async def create_bucket(location: S3Location) -> None:
    await asyncio.to_thread(s3_client(location).create_bucket, Bucket=location.bucket)


def _leftovers(location: S3Location) -> list[str]:
    client = s3_client(location)
    objects = client.list_objects_v2(Bucket=location.bucket).get("Contents", [])
    uploads = client.list_multipart_uploads(Bucket=location.bucket).get("Uploads", [])
    return [
        *(item["Key"] for item in objects),
        *(f"unfinished upload of {item['Key']}" for item in uploads),
    ]


async def s3_leftovers(location: S3Location) -> list[str]:
    """Every object and every unfinished multipart upload in the bucket."""
    return await asyncio.to_thread(_leftovers, location)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the same behaviour from both stores --------------------------------------------------------


@dataclass(frozen=True)
class Backend:
    store: BlobStore
    leftovers: Callable[[], Awaitable[list[str]]]  # every stored thing, partial or whole


@pytest.fixture(params=["local", "s3"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "local":
        root = tmp_path / "blobs"

        async def local_leftovers() -> list[str]:
            return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

        yield Backend(LocalBlobStore(root), local_leftovers)
        return
    server: MotoServer = request.getfixturevalue("moto_server")
    store = S3BlobStore(server.url(f"blobs-{uuid.uuid4().hex[:16]}"))
    await create_bucket(store.location)
    try:
        yield Backend(store, lambda: s3_leftovers(store.location))
    finally:
        await store.close()


def document_key() -> str:
    return f"tenants/{uuid.uuid4()}/documents/{uuid.uuid4()}"


class Content:
    """Deterministic pseudo-random content, produced chunk by chunk and hashed as it goes."""

    def __init__(self, head: bytes, size: int, chunk: int = 64 * KiB) -> None:
        self.head, self.size, self.chunk = head, size, chunk
        self.sha256 = hashlib.sha256()
        self.sent = 0

    async def chunks(self) -> AsyncIterator[bytes]:
        rng = random.Random(self.size)
        while self.sent < self.size:
            n = min(self.chunk, self.size - self.sent)
            data = rng.randbytes(n)
            if self.sent == 0:
                data = self.head + data[len(self.head) :]
            self.sent += n
            self.sha256.update(data)
            yield data


async def chunks_of(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def read_all(store: BlobStore, key: str) -> bytes:
    return b"".join([chunk async for chunk in await store.open(key)])


async def digest(store: BlobStore, key: str) -> tuple[int, str]:
    sha, size = hashlib.sha256(), 0
    async for chunk in await store.open(key):
        sha.update(chunk)
        size += len(chunk)
    return size, sha.hexdigest()


async def test_multi_chunk_pdf_round_trips(backend: Backend) -> None:
    key = document_key()
    # Tiny chunks first: the type is known only once enough of them have arrived.
    parts = [b"%", b"P", b"DF", b"-1.", b"7\n", *(bytes([i]) * 10_000 for i in range(40))]
    content = b"".join(parts)

    stored = await backend.store.put(
        key, chunks_of(*parts), max_bytes=1 * MiB, allowed_types=DOCUMENTS
    )

    assert stored.key == key
    assert stored.size == len(content)
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert stored.content_type == "application/pdf"
    assert await read_all(backend.store, key) == content
    assert await backend.leftovers() == [key]


async def test_twelve_mib_png_streams_in_bounded_memory(backend: Backend) -> None:
    key = document_key()
    content = Content(PNG_HEAD, 12 * MiB)

    tracemalloc.start()
    try:
        stored = await backend.store.put(
            key, content.chunks(), max_bytes=20 * MiB, allowed_types={"image/png"}
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # S3 holds one 5 MiB part at most, the local store one chunk: neither the whole file.
    assert peak < content.size / 2, f"peak {peak / MiB:.1f} MiB"
    assert (stored.size, stored.sha256) == (content.size, content.sha256.hexdigest())
    assert stored.content_type == "image/png"
    assert await digest(backend.store, key) == (stored.size, stored.sha256)


@pytest.mark.parametrize("size", [100 * KiB, 8 * MiB], ids=["small", "multipart"])
async def test_over_limit_upload_is_refused_and_leaves_nothing(backend: Backend, size: int) -> None:
    key = document_key()
    content = Content(PDF_HEAD, size, chunk=8 * KiB)
    limit = size * 3 // 4

    with pytest.raises(BlobTooLarge) as raised:
        await backend.store.put(key, content.chunks(), max_bytes=limit, allowed_types=DOCUMENTS)

    assert raised.value.max_bytes == limit
    assert content.sent < size, "the store kept reading past the limit"
    with pytest.raises(BlobNotFound):
        await backend.store.open(key)
    assert await backend.leftovers() == []


@pytest.mark.parametrize(
    ("head", "allowed", "detected"),
    [
        (ZIP_HEAD, DOCUMENTS, None),
        (b"just some text, claiming to be a PDF", DOCUMENTS, None),
        (PNG_HEAD, {"application/pdf"}, "image/png"),
    ],
    ids=["zip", "text", "png-where-only-pdf"],
)
async def test_content_of_a_type_not_allowed_is_refused(
    backend: Backend, head: bytes, allowed: set[str], detected: str | None
) -> None:
    key = document_key()

    with pytest.raises(BlobTypeNotAllowed) as raised:
        await backend.store.put(
            key, Content(head, 256 * KiB).chunks(), max_bytes=MiB, allowed_types=allowed
        )

    assert raised.value.detected == detected
    assert (detected or "unknown") in str(raised.value)
    assert await backend.leftovers() == []


@pytest.mark.parametrize("parts", [(), (b"", b"")], ids=["no-chunks", "empty-chunks"])
async def test_empty_upload_is_refused(backend: Backend, parts: tuple[bytes, ...]) -> None:
    with pytest.raises(BlobEmpty):
        await backend.store.put(
            document_key(), chunks_of(*parts), max_bytes=MiB, allowed_types=DOCUMENTS
        )
    assert await backend.leftovers() == []


async def test_opening_a_missing_blob_raises_not_found(backend: Backend) -> None:
    key = document_key()
    with pytest.raises(BlobNotFound) as raised:
        await backend.store.open(key)
    assert raised.value.key == key


async def test_delete_removes_the_blob_and_may_be_repeated(backend: Backend) -> None:
    key = document_key()
    await backend.store.put(key, chunks_of(PDF_HEAD), max_bytes=MiB, allowed_types=DOCUMENTS)

    await backend.store.delete(key)
    await backend.store.delete(key)
    await backend.store.delete(document_key())

    with pytest.raises(BlobNotFound):
        await backend.store.open(key)
    assert await backend.leftovers() == []


async def test_put_replaces_the_blob_under_a_key(backend: Backend) -> None:
    key = document_key()
    await backend.store.put(key, chunks_of(PDF_HEAD, b"v1"), max_bytes=MiB, allowed_types=DOCUMENTS)
    await backend.store.put(key, chunks_of(PDF_HEAD, b"v2"), max_bytes=MiB, allowed_types=DOCUMENTS)
    assert await read_all(backend.store, key) == PDF_HEAD + b"v2"


@pytest.mark.parametrize(
    "key",
    ["../escape", "tenants/../../escape", "/etc/passwd", "a//b", "a/./b", "a/", "", "a\\b", "a b"],
)
async def test_unsafe_keys_are_rejected(backend: Backend, key: str) -> None:
    with pytest.raises(ValueError, match="key"):
        await backend.store.put(key, chunks_of(PDF_HEAD), max_bytes=MiB, allowed_types=DOCUMENTS)
    with pytest.raises(ValueError, match="key"):
        await backend.store.open(key)
    with pytest.raises(ValueError, match="key"):
        await backend.store.delete(key)
    assert await backend.leftovers() == []


class Gate:
    """Content that stops after ``pause_at`` bytes until released, or fails there."""

    def __init__(self, content: Content, pause_at: int) -> None:
        self.content, self.pause_at = content, pause_at
        self.paused = asyncio.Event()
        self.release = asyncio.Event()

    async def chunks(self) -> AsyncIterator[bytes]:
        async for chunk in self.content.chunks():
            yield chunk
            if self.content.sent >= self.pause_at and not self.release.is_set():
                self.paused.set()
                await self.release.wait()


async def test_readers_see_the_old_blob_until_a_replacement_is_whole(backend: Backend) -> None:
    key = document_key()
    old = PDF_HEAD + b"the old version"
    await backend.store.put(key, chunks_of(old), max_bytes=20 * MiB, allowed_types=DOCUMENTS)
    # Past one S3 part, so the replacement is mid-way through a multipart upload.
    gate = Gate(Content(PDF_HEAD, 7 * MiB), pause_at=6 * MiB)
    replacing = asyncio.create_task(
        backend.store.put(key, gate.chunks(), max_bytes=20 * MiB, allowed_types=DOCUMENTS)
    )
    await asyncio.wait_for(gate.paused.wait(), timeout=20)

    assert await read_all(backend.store, key) == old

    gate.release.set()
    stored = await replacing
    assert await digest(backend.store, key) == (7 * MiB, stored.sha256)
    assert await backend.leftovers() == [key]


async def test_a_failed_replacement_keeps_the_old_blob(backend: Backend) -> None:
    key = document_key()
    old = PDF_HEAD + b"the old version"
    await backend.store.put(key, chunks_of(old), max_bytes=MiB, allowed_types=DOCUMENTS)

    with pytest.raises(BlobTooLarge):
        await backend.store.put(
            key, Content(PDF_HEAD, 2 * MiB).chunks(), max_bytes=MiB, allowed_types=DOCUMENTS
        )

    assert await read_all(backend.store, key) == old
    assert await backend.leftovers() == [key]


async def test_cancelled_upload_leaves_nothing(backend: Backend) -> None:
    key = document_key()
    gate = Gate(Content(PDF_HEAD, 8 * MiB), pause_at=6 * MiB)
    uploading = asyncio.create_task(
        backend.store.put(key, gate.chunks(), max_bytes=20 * MiB, allowed_types=DOCUMENTS)
    )
    await asyncio.wait_for(gate.paused.wait(), timeout=20)

    uploading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await uploading

    assert await backend.leftovers() == []


async def test_client_failing_mid_upload_leaves_nothing(backend: Backend) -> None:
    async def dropped_connection() -> AsyncIterator[bytes]:
        async for chunk in Content(PDF_HEAD, 8 * MiB).chunks():
            yield chunk
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await backend.store.put(
            document_key(), dropped_connection(), max_bytes=20 * MiB, allowed_types=DOCUMENTS
        )
    assert await backend.leftovers() == []


# --- S3 only ------------------------------------------------------------------------------------


async def test_s3_prefix_is_put_before_every_key(moto_server: MotoServer) -> None:
    bucket = f"blobs-{uuid.uuid4().hex[:16]}"
    store = S3BlobStore(moto_server.url(f"{bucket}/staging/eu"))
    try:
        await create_bucket(store.location)
        await store.put("a/b", chunks_of(PDF_HEAD), max_bytes=MiB, allowed_types=DOCUMENTS)
        assert await read_all(store, "a/b") == PDF_HEAD
        assert await s3_leftovers(store.location) == ["staging/eu/a/b"]
    finally:
        await store.close()


async def test_s3_large_upload_goes_in_parts_with_the_sniffed_type(
    moto_server: MotoServer,
) -> None:
    store = S3BlobStore(moto_server.url(f"blobs-{uuid.uuid4().hex[:16]}"))
    try:
        await create_bucket(store.location)
        content = Content(PNG_HEAD, 12 * MiB)
        await store.put("a/b", content.chunks(), max_bytes=20 * MiB, allowed_types={"image/png"})
        head = await asyncio.to_thread(
            s3_client(store.location).head_object, Bucket=store.location.bucket, Key="a/b"
        )
        # A multipart object's ETag ends in its number of parts: 5 + 5 + 2 MiB.
        assert head["ETag"].strip('"').endswith("-3")
        assert head["ContentType"] == "image/png"
        assert head["ContentLength"] == content.size
    finally:
        await store.close()


async def test_s3_refuses_a_wrong_secret(moto_server: MotoServer) -> None:
    store = S3BlobStore(
        f"s3://{moto_server.access_key}:not-the-secret@127.0.0.1:{moto_server.port}/x?secure=false"
    )
    try:
        with pytest.raises(BlobError, match="SignatureDoesNotMatch"):
            await store.open("some/key")
    finally:
        await store.close()


async def test_unreachable_s3_is_unavailable() -> None:
    store = S3BlobStore(f"s3://a:b@127.0.0.1:{free_port()}/docs?secure=false", timeout=5)
    try:
        with pytest.raises(BlobStoreUnavailable):
            await store.put(
                document_key(), chunks_of(PDF_HEAD), max_bytes=MiB, allowed_types=DOCUMENTS
            )
        with pytest.raises(BlobStoreUnavailable):
            await store.open(document_key())
        with pytest.raises(BlobStoreUnavailable):
            await store.delete(document_key())
    finally:
        await store.close()


async def test_s3_server_errors_are_unavailable() -> None:
    async def slow_down(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                await reader.readexactly(int(value))
        body = b"<Error><Code>SlowDown</Code><Message>Please reduce your rate</Message></Error>"
        writer.write(
            b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/xml\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(slow_down, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    store = S3BlobStore(f"s3://a:b@127.0.0.1:{port}/docs?secure=false", timeout=5)
    try:
        with pytest.raises(BlobStoreUnavailable, match="503 SlowDown"):
            await store.put(
                document_key(), chunks_of(PDF_HEAD), max_bytes=MiB, allowed_types=DOCUMENTS
            )
        with pytest.raises(BlobStoreUnavailable, match="503 SlowDown"):
            await store.open(document_key())
        with pytest.raises(BlobStoreUnavailable, match="503 SlowDown"):
            await store.delete(document_key())
    finally:
        await store.close()
        server.close()
        await server.wait_closed()
