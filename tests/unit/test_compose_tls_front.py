"""docker-compose.yml puts the TLS proxy in front of everything: it alone publishes ports, gunicorn is reachable
inside the network only, and web trusts X-Forwarded-For from exactly the proxy's fixed address, one no other
container can be given. (tests/integration/test_tls_proxy.py runs the same deploy/Caddyfile with a real Caddy.)"""

import ipaddress
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def _default(value: str) -> str:
    """The value compose uses when the variable is unset: "${NAME:-default}" -> "default"."""
    match = re.fullmatch(r"\$\{\w+:-(.*)\}", value)
    return match.group(1) if match else value


def test_only_the_proxy_publishes_ports():
    published = {name for name, service in SERVICES.items() if service.get("ports")}
    assert published == {"proxy"}
    assert SERVICES["web"]["expose"] == ["8000"]
    assert SERVICES["proxy"]["environment"]["DERM_UPSTREAM"] == "web:8000"


def test_the_proxy_runs_the_committed_caddyfile():
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in SERVICES["proxy"]["volumes"]
    assert (ROOT / "deploy" / "Caddyfile").is_file()


def test_web_trusts_exactly_the_proxys_fixed_address():
    proxy_address = _default(SERVICES["proxy"]["networks"]["default"]["ipv4_address"])
    assert SERVICES["web"]["environment"]["DERM_TRUSTED_PROXIES"] == SERVICES["proxy"]["networks"]["default"][
        "ipv4_address"
    ]
    (pool,) = COMPOSE["networks"]["default"]["ipam"]["config"]
    subnet, dynamic = ipaddress.ip_network(_default(pool["subnet"])), ipaddress.ip_network(_default(pool["ip_range"]))
    address = ipaddress.ip_address(proxy_address)
    assert address in subnet and dynamic.subnet_of(subnet)
    assert address not in dynamic  # no other container can be handed the trusted address
