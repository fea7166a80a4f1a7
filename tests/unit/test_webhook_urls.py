"""Which webhook URLs are accepted when saved: https to a host that may be public, unless
private targets are allowed (development), which also accepts http to localhost."""

from __future__ import annotations

import uuid

import pytest

from logistics.domain.errors import InvalidArgument
from logistics.services.webhooks import WebhookSpec, validate_webhook

INTERNAL = [
    "https://127.0.0.1/in",
    "https://127.0.0.1:8443/in",
    "https://2130706433/in",
    "https://[::1]/in",
    "https://[::ffff:127.0.0.1]/in",
    "https://10.0.0.8/in",
    "https://192.168.1.20:8080/in",
    "https://169.254.169.254/latest/meta-data/",
    "https://[fd00:ec2::254]/latest",
    "https://100.64.0.1/in",
    "https://0.0.0.0/in",
    "https://localhost/in",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://redis/in",
    "https://payments.svc.cluster.local/in",
]


def url_problem(url: str, *, allow_private: bool = False) -> str | None:
    try:
        validate_webhook(WebhookSpec(uuid.uuid4(), url), allow_private=allow_private)
    except InvalidArgument as exc:
        [violation] = exc.violations
        assert violation.field == "webhook.url"
        return violation.description
    return None


@pytest.mark.parametrize("url", INTERNAL)
def test_a_url_of_an_internal_host_is_refused_naming_the_field(url: str) -> None:
    problem = url_problem(url)
    assert problem is not None
    assert "must not name" in problem or "fully qualified" in problem


@pytest.mark.parametrize("url", INTERNAL)
def test_private_targets_allowed_accept_internal_https_urls(url: str) -> None:
    assert url_problem(url, allow_private=True) is None


@pytest.mark.parametrize("url", ["http://localhost:9/in", "http://127.0.0.1:8080/hooks"])
def test_plain_http_to_localhost_is_accepted_only_when_private_targets_are(url: str) -> None:
    assert url_problem(url) is not None
    assert url_problem(url, allow_private=True) is None


@pytest.mark.parametrize("allow_private", [False, True])
def test_plain_http_to_any_other_host_is_refused(allow_private: bool) -> None:
    for url in ("http://hooks.example.com/in", "http://10.0.0.8/in"):
        assert url_problem(url, allow_private=allow_private) is not None


@pytest.mark.parametrize(
    "url",
    ["https://hooks.example.com/in", "https://8.8.8.8/in", "https://[2606:4700:4700::1111]/in"],
)
def test_https_to_a_public_host_is_accepted(url: str) -> None:
    assert url_problem(url) is None
