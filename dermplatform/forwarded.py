"""The client's address and scheme, for the whole platform: X-Forwarded-* are believed only from a trusted proxy.

Behind the TLS proxy (deploy/Caddyfile) every request comes from the proxy's address; the client's is in
X-Forwarded-For. Anyone else can send that header too, so it counts only when the request itself comes from an
address in DERM_TRUSTED_PROXIES (addresses or networks; empty: no proxy, REMOTE_ADDR is the client). django-axes
(AXES_CLIENT_IP_CALLABLE) and the audit trail both read client_address(), so a lockout and its audit event always
name the same address.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[_Network, ...]:
    try:
        return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DERM_TRUSTED_PROXIES: {exc}") from exc


def trusted_proxy_networks() -> tuple[_Network, ...]:
    return _networks(tuple(settings.DERM_TRUSTED_PROXIES))


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_trusted_proxy(address: str | None) -> bool:
    parsed = _address(address or "")
    return parsed is not None and any(parsed in network for network in trusted_proxy_networks())


def client_address(request) -> str | None:
    """The address of the client that made `request`.

    From a trusted proxy, the right-most X-Forwarded-For entry that is not itself a trusted proxy: each proxy
    appends the address it saw, so everything left of that entry was written by the client and may be forged.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    if not is_trusted_proxy(remote):
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    nearest_trusted = remote
    for hop in reversed(hops):
        parsed = _address(hop)
        if parsed is None:
            break  # not written by a proxy of ours: the last trusted hop is as far as we can see
        if not is_trusted_proxy(str(parsed)):
            return str(parsed)
        nearest_trusted = str(parsed)
    return nearest_trusted


class UntrustedForwardedHeadersMiddleware:
    """Drops X-Forwarded-For and X-Forwarded-Proto from a request that does not come from a trusted proxy, before
    anything reads them: SECURE_PROXY_SSL_HEADER then believes "https" only from the proxy that terminated TLS."""

    HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR")):
            for header in self.HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
