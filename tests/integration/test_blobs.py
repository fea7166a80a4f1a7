"""Blob stores: the same behaviour on local files and on a real S3 server (moto), plus the pure
parts they rest on (content sniffing, SigV4 against AWS's published examples, URL parsing).

The S3 server runs in a child process with IAM authentication on, so every request our SigV4
code signs is checked by an independent implementation, and its memory stays out of ours.
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
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx
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
from logistics.blobs.s3_url import S3Location, parse_s3_url
from logistics.blobs.sigv4 import (
    EMPTY_SHA256,
    Credentials,
    canonical_query,
    canonical_request,
    sha256_hex,
    sign_headers,
    string_to_sign,
    uri_encode,
)

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


# --- SigV4, against the examples in AWS's "Signature Calculations for the Authorization Header:
# Transferring Payload in a Single Chunk" (S3 API reference) -------------------------------------

AWS_EXAMPLE = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
AWS_EXAMPLE_TIME = datetime(2013, 5, 24, tzinfo=UTC)
AWS_EXAMPLE_HOST = "examplebucket.s3.amazonaws.com"


def test_sigv4_canonical_request_and_string_to_sign_match_the_aws_get_object_example() -> None:
    headers = {
        "Host": AWS_EXAMPLE_HOST,
        "Range": "bytes=0-9",
        "x-amz-content-sha256": EMPTY_SHA256,
        "x-amz-date": "20130524T000000Z",
    }
    request = canonical_request("GET", "/test.txt", [], headers, EMPTY_SHA256)
    assert request == (
        "GET\n/test.txt\n\n"
        "host:examplebucket.s3.amazonaws.com\n"
        "range:bytes=0-9\n"
        f"x-amz-content-sha256:{EMPTY_SHA256}\n"
        "x-amz-date:20130524T000000Z\n\n"
        "host;range;x-amz-content-sha256;x-amz-date\n"
        f"{EMPTY_SHA256}"
    )
    assert string_to_sign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request", request) == (
        "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
    )


@pytest.mark.parametrize(
    ("method", "uri", "params", "extra", "payload", "signed_names", "expected"),
    [
        pytest.param(
            "GET", "/test.txt", [], {"Range": "bytes=0-9"}, b"",
            "host;range;x-amz-content-sha256;x-amz-date",
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            id="get-object",
        ),
        pytest.param(
            "PUT", "/" + uri_encode("test$file.text"), [],
            {"Date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY"},
            b"Welcome to Amazon S3.",
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
            id="put-object",
        ),
        pytest.param(
            "GET", "/", [("lifecycle", "")], {}, b"",
            "host;x-amz-content-sha256;x-amz-date",
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
            id="get-bucket-lifecycle",
        ),
        pytest.param(
            "GET", "/", [("prefix", "J"), ("max-keys", "2")], {}, b"",
            "host;x-amz-content-sha256;x-amz-date",
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
            id="list-objects",
        ),
    ],
)  # fmt: skip
def test_sigv4_signature_matches_the_aws_examples(
    method: str,
    uri: str,
    params: list[tuple[str, str]],
    extra: dict[str, str],
    payload: bytes,
    signed_names: str,
    expected: str,
) -> None:
    headers = sign_headers(
        method=method,
        canonical_uri=uri,
        params=params,
        headers={"Host": AWS_EXAMPLE_HOST, **extra},
        payload_hash=sha256_hex(payload),
        credentials=AWS_EXAMPLE,
        region="us-east-1",
        now=AWS_EXAMPLE_TIME,
    )
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        f"SignedHeaders={signed_names}, Signature={expected}"
    )
    assert headers["x-amz-date"] == "20130524T000000Z"
    assert headers["x-amz-content-sha256"] == sha256_hex(payload)


def test_sigv4_encodes_paths_and_queries_the_s3_way() -> None:
    assert uri_encode("a b/ü~", encode_slash=False) == "a%20b/%C3%BC~"
    assert uri_encode("a/b") == "a%2Fb"
    assert canonical_query([("uploadId", "x/y+z"), ("partNumber", "2"), ("uploads", "")]) == (
        "partNumber=2&uploadId=x%2Fy%2Bz&uploads="
    )


# --- configuration ------------------------------------------------------------------------------


def test_s3_url_defaults_suit_a_self_hosted_server() -> None:
    location = parse_s3_url("s3://minio:se%2Fcr%2Bet%40@minio.local:9000/docs?secure=false")
    assert location.credentials == Credentials("minio", "se/cr+et@")
    assert (location.host, location.port, location.secure) == ("minio.local", 9000, False)
    assert (location.bucket, location.prefix, location.region) == ("docs", "", "us-east-1")
    assert location.path_style
    assert location.object_path("tenants/t/documents/d") == "/docs/tenants/t/documents/d"
    assert "se/cr" not in repr(location)


def test_s3_url_defaults_suit_aws() -> None:
    location = parse_s3_url("s3://AKIA:secret@s3.eu-west-1.amazonaws.com/bengobox/prod/")
    assert (location.port, location.secure, location.path_style) == (443, True, False)
    assert location.host_header == "bengobox.s3.eu-west-1.amazonaws.com"
    assert location.object_path("a/b") == "/prod/a/b"
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


async def s3_call(
    location: S3Location,
    method: str,
    path: str,
    params: tuple[tuple[str, str], ...] = (),
) -> httpx.Response:
    """One request signed with our SigV4, for what the store itself never does."""
    uri = uri_encode(path, encode_slash=False)
    headers = sign_headers(
        method=method,
        canonical_uri=uri,
        params=params,
        headers={"host": location.host_header},
        payload_hash=EMPTY_SHA256,
        credentials=location.credentials,
        region=location.region,
        now=datetime.now(UTC),
    )
    query = canonical_query(params)
    url = f"{location.scheme}://{location.host_header}{uri}" + (f"?{query}" if query else "")
    async with httpx.AsyncClient() as client:
        return await client.request(method, url, headers=headers)


def xml_texts(document: bytes, parent: str, child: str) -> list[str]:
    found = []
    for element in ET.fromstring(document).iter():
        if element.tag.endswith("}" + parent) or element.tag == parent:
            for item in element:
                if item.tag.endswith("}" + child) or item.tag == child:
                    found.append(item.text or "")
    return found


async def create_bucket(location: S3Location) -> None:
    response = await s3_call(location, "PUT", location.bucket_path)
    assert response.status_code == 200, response.text


async def s3_leftovers(location: S3Location) -> list[str]:
    """Every object and every unfinished multipart upload in the bucket."""
    objects = await s3_call(location, "GET", location.bucket_path, (("list-type", "2"),))
    uploads = await s3_call(location, "GET", location.bucket_path, (("uploads", ""),))
    assert objects.status_code == uploads.status_code == 200, (objects.text, uploads.text)
    return [
        *xml_texts(objects.content, "Contents", "Key"),
        *(f"unfinished upload of {key}" for key in xml_texts(uploads.content, "Upload", "Key")),
    ]


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
        head = await s3_call(store.location, "HEAD", store.location.object_path("a/b"))
        # A multipart object's ETag ends in its number of parts: 5 + 5 + 2 MiB.
        assert head.headers["etag"].strip('"').endswith("-3")
        assert head.headers["content-type"] == "image/png"
        assert int(head.headers["content-length"]) == content.size
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
    def slow_down(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, content=b"<Error><Code>SlowDown</Code></Error>")

    store = S3BlobStore("s3://a:b@s3.example.test/docs", transport=httpx.MockTransport(slow_down))
    try:
        with pytest.raises(BlobStoreUnavailable, match="SlowDown"):
            await store.put(
                document_key(), chunks_of(PDF_HEAD), max_bytes=MiB, allowed_types=DOCUMENTS
            )
        with pytest.raises(BlobStoreUnavailable, match="SlowDown"):
            await store.open(document_key())
    finally:
        await store.close()
