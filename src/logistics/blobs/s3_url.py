"""The one URL that configures an S3-compatible blob store, parsed into a typed value."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from logistics.blobs.keys import validate_key

DEFAULT_REGION = "us-east-1"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_OPTIONS = frozenset({"region", "secure", "path_style"})
# Loose on purpose (Ceph and old AWS buckets allow more than today's AWS rules), but never a
# character that would need encoding in a host name or path.
_BUCKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# s3.eu-west-1.amazonaws.com, s3-eu-west-1.amazonaws.com, s3.dualstack.eu-west-1.amazonaws.com
_AWS_REGIONAL_HOST = re.compile(r"s3[.-](?:dualstack\.)?([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com")


@dataclass(frozen=True)
class Credentials:
    """An access key and its secret; the secret never shows in ``repr``."""

    access_key: str
    secret_key: str = field(repr=False)


@dataclass(frozen=True)
class S3Location:
    """Where blobs go: the endpoint, the bucket, a key prefix, and how to address them."""

    credentials: Credentials
    host: str  # as in a URL: an IPv6 address keeps its brackets
    port: int
    secure: bool
    bucket: str
    prefix: str  # "" or ends with "/"
    region: str
    path_style: bool

    @property
    def scheme(self) -> str:
        return "https" if self.secure else "http"

    @property
    def host_header(self) -> str:
        """The ``Host`` a request carries (and signs): no port when it is the scheme's default."""
        host = self.host if self.path_style else f"{self.bucket}.{self.host}"
        default = 443 if self.secure else 80
        return host if self.port == default else f"{host}:{self.port}"

    @property
    def endpoint(self) -> str:
        """The base URL requests go to: the server, or the bucket's own host when not path style."""
        return f"{self.scheme}://{self.host_header}"

    def object_key(self, key: str) -> str:
        """The S3 object key that holds the blob ``key``: the prefix, then ``key``."""
        return f"{self.prefix}{key}"


def _flag(options: dict[str, str], name: str, default: bool) -> bool:
    value = options.get(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ValueError(f"S3 URL option {name} must be true or false, not {value!r}")


def _region_of(host: str) -> str:
    match = _AWS_REGIONAL_HOST.fullmatch(host)
    return match.group(1) if match else DEFAULT_REGION


def parse_s3_url(url: str) -> S3Location:
    """Parse ``s3://ACCESS:SECRET@host[:port]/bucket[/prefix][?region=&secure=&path_style=]``.

    See :class:`logistics.blobs.s3.S3BlobStore` for the meaning and defaults of each part.
    """
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise ValueError(f"an S3 blob store URL starts with s3://, not {parts.scheme}://")
    if parts.username is None or parts.password is None:
        raise ValueError("an S3 blob store URL needs ACCESS_KEY:SECRET_KEY@ before the host")
    if not parts.hostname:
        raise ValueError("an S3 blob store URL needs a host")
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = set(options) - _OPTIONS
    if unknown:
        raise ValueError(f"unknown S3 URL options: {', '.join(sorted(unknown))}")
    bucket, _, prefix = parts.path.lstrip("/").partition("/")
    if not _BUCKET.fullmatch(bucket):
        raise ValueError(f"an S3 blob store URL needs a bucket after the host, not {bucket!r}")
    prefix = prefix.strip("/")
    if prefix:
        validate_key(prefix)
        prefix += "/"
    secure = _flag(options, "secure", True)
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    return S3Location(
        credentials=Credentials(unquote(parts.username), unquote(parts.password)),
        host=host,
        port=parts.port or (443 if secure else 80),
        secure=secure,
        bucket=bucket,
        prefix=prefix,
        region=options.get("region") or _region_of(host),
        path_style=_flag(options, "path_style", not host.endswith(".amazonaws.com")),
    )
