"""One rule for the client's address and scheme: X-Forwarded-For and X-Forwarded-Proto count only from a trusted
proxy (DERM_TRUSTED_PROXIES), and then only as far as the proxies we trust wrote them."""

import pytest
from django.test import RequestFactory

from dermplatform.forwarded import client_address

PROXY = "10.9.0.2"


def _request(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        ([], "198.51.100.7", "203.0.113.1", "198.51.100.7"),  # no proxy configured: the header is anyone's
        ([PROXY], "198.51.100.7", "203.0.113.1", "198.51.100.7"),  # not from the proxy: ignored
        ([PROXY], PROXY, "198.51.100.7", "198.51.100.7"),  # from the proxy: the address it saw
        ([PROXY], PROXY, "203.0.113.1, 198.51.100.7", "198.51.100.7"),  # what the client added is not believed
        (["10.9.0.0/24"], PROXY, "203.0.113.1, 198.51.100.7, 10.9.0.3", "198.51.100.7"),  # a chain of our proxies
        (["10.9.0.0/24"], PROXY, "10.9.0.3", "10.9.0.3"),  # only our proxies: the farthest of them
        ([PROXY], PROXY, "", PROXY),  # the proxy sent no header
        ([PROXY], PROXY, "not-an-address, 198.51.100.7", "198.51.100.7"),
        ([PROXY], PROXY, "198.51.100.7, garbage", PROXY),  # a malformed hop ends what can be believed
        (["2001:db8::/64"], "2001:db8::1", "2001:db8:ffff::9", "2001:db8:ffff::9"),
    ],
)
def test_client_address(settings, trusted, remote, forwarded, expected):
    settings.DERM_TRUSTED_PROXIES = trusted
    assert client_address(_request(remote, forwarded)) == expected


@pytest.mark.django_db
def test_forwarded_https_is_believed_only_from_the_proxy(client, settings):
    # Production's pair of settings: redirect plain HTTP, and take the proxy's word that the client used HTTPS.
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.DERM_TRUSTED_PROXIES = [PROXY]
    spoofed = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="198.51.100.7")
    assert spoofed.status_code == 301 and spoofed["Location"].startswith("https://")
    proxied = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR=PROXY)
    assert proxied.status_code == 200
