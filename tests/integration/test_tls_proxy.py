"""The deployment's TLS front, for real: Debian's caddy runs deploy/Caddyfile (the file docker-compose mounts) in
front of a real gunicorn in production mode, on loopback ports.

The outside client connects from 127.0.0.2 and the proxy reaches gunicorn from 127.0.0.1 (DERM_TRUSTED_PROXIES),
so the test tells the client's address from the proxy's: the audit must name 127.0.0.2, never the proxy, and never
an X-Forwarded-For the client made up.
"""

import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import urllib.parse

import pytest
from axes.models import AccessAttempt
from django.db import connection

from dermplatform import settings as project_settings
from dermplatform.audit.models import Action, AuditEvent
from tests.factories import PASSWORD, StaffFactory
from tests.faults import free_port, wait_for
from tests.worker import ROOT, settings_db_url

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CADDY = shutil.which("caddy")
CLIENT = "127.0.0.2"  # the outside client's address; Linux answers on all of 127.0.0.0/8
PROXY = "127.0.0.1"  # where caddy's connections to gunicorn come from
SPOOFED = "203.0.113.9"
SECRET_KEY = "proxy-test-" + "k9Vq" * 14


class _Connection(http.client.HTTPSConnection):
    """HTTPS to caddy from CLIENT, by the name its certificate is for (SNI "localhost")."""

    def connect(self):
        sock = socket.create_connection((PROXY, self.port), self.timeout, (CLIENT, 0))
        self.sock = self._context.wrap_socket(sock, server_hostname="localhost")


def _request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers={"Accept": "application/json", **(headers or {})})
    response = conn.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def _listening(port) -> bool:
    try:
        socket.create_connection((PROXY, port), timeout=1).close()
        return True
    except OSError:
        return False


def _stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, tmp_path_factory):
    """gunicorn (production settings, trusting the proxy) and caddy in front of it, for the module's tests;
    stopped whatever happens."""
    if CADDY is None:
        pytest.skip("the caddy binary is not installed (Debian package caddy; .ci/run installs it)")
    if connection.vendor != "postgresql":
        pytest.skip("the proxy test runs gunicorn against the PostgreSQL test database")
    tmp_path = tmp_path_factory.mktemp("tls_proxy")
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    with django_db_blocker.unblock():
        database_url = settings_db_url(connection.settings_dict["NAME"])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DERM_"))}
    app_env = dict(
        env, DATABASE_URL=database_url, DJANGO_PRODUCTION="1", DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="localhost", DERM_TRUSTED_PROXIES=PROXY, DJANGO_STATIC_ROOT=str(tmp_path / "static"),
    )
    # Production serves the hashed static files of collectstatic's manifest: the sign-in page needs them.
    collected = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput"], cwd=ROOT, env=app_env,
                               capture_output=True, text=True, timeout=300)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    proxy_env = dict(
        env, HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"),
        DERM_SITE_ADDRESS="localhost", DERM_UPSTREAM=f"{PROXY}:{app_port}",
        DERM_HTTP_PORT=str(http_port), DERM_HTTPS_PORT=str(https_port),
    )
    started = []
    with open(tmp_path / "gunicorn.log", "w") as app_log, open(tmp_path / "caddy.log", "w") as proxy_log:
        started.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "dermplatform.wsgi", "--bind", f"{PROXY}:{app_port}", "--workers", "1"],
            cwd=ROOT, env=app_env, stdout=app_log, stderr=subprocess.STDOUT,
        ))
        started.append(subprocess.Popen(
            [CADDY, "run", "--config", str(ROOT / "deploy" / "Caddyfile"), "--adapter", "caddyfile"],
            cwd=tmp_path, env=proxy_env, stdout=proxy_log, stderr=subprocess.STDOUT,
        ))

    def logs() -> str:
        return "\n".join(f"--- {name}\n{(tmp_path / name).read_text()[-4000:]}" for name in ("gunicorn.log", "caddy.log"))

    try:
        assert wait_for(lambda: _listening(app_port), 60), logs()
        root = tmp_path / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        assert wait_for(root.exists, 30), logs()  # caddy's own CA, made at start (`tls internal`)
        context = ssl.create_default_context(cafile=str(root))

        def connect():
            return _Connection("localhost", https_port, context=context, timeout=30)

        def handshake() -> bool:  # the site's certificate is issued just after start
            try:
                conn = connect()
                conn.connect()
                conn.close()
                return True
            except OSError:
                return False

        assert wait_for(handshake, 30), logs()

        class Stack:
            app = app_port
            http = http_port
            https = https_port
            log = staticmethod(logs)

        Stack.connect = staticmethod(connect)
        yield Stack
    finally:
        for process in reversed(started):
            _stop(process)


def _token_request(conn, password, **headers):
    body = json.dumps({"username": "front-desk", "password": password})
    return _request(conn, "POST", "/api/token/", body, {"Content-Type": "application/json", **headers})


def test_https_reaches_the_app_and_the_audit_names_the_real_client(stack, settings):
    # Hashed as production checks it (tests otherwise hash fast, with a hasher gunicorn does not accept).
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    StaffFactory(username="front-desk")

    status, _headers, body = _token_request(stack.connect(), PASSWORD)
    # Production settings redirect plain HTTP: a 200 means the app believed the proxy's X-Forwarded-Proto.
    assert status == 200, stack.log()
    assert "token" in json.loads(body)
    issued = AuditEvent.objects.get(action=Action.TOKEN_ISSUED)
    assert issued.client_address == CLIENT

    # What the client claims in X-Forwarded-For is not believed: neither by the audit nor by the lockout.
    status, _headers, _body = _token_request(stack.connect(), "wrong", **{"X-Forwarded-For": SPOOFED})
    assert status == 400, stack.log()
    failed = AuditEvent.objects.get(action=Action.SIGN_IN_FAILED)
    assert failed.client_address == CLIENT
    assert AccessAttempt.objects.get().ip_address == CLIENT


def _cookies(headers_list) -> dict:
    return dict(value.split(";", 1)[0].split("=", 1) for name, value in headers_list if name.lower() == "set-cookie")


def test_a_browser_signs_in_through_the_proxy(stack, settings):
    # The page's CSRF checks (origin, referer) and secure cookies hold with production settings behind the proxy.
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    StaffFactory(username="front-desk")
    origin = f"https://localhost:{stack.https}"

    conn = stack.connect()
    conn.request("GET", "/accounts/login/")
    page = conn.getresponse()
    set_cookies = [value for name, value in page.getheaders() if name.lower() == "set-cookie"]
    page.read()
    assert page.status == 200, stack.log()
    assert all("Secure" in cookie for cookie in set_cookies)
    csrf = _cookies(page.getheaders())["csrftoken"]

    form = urllib.parse.urlencode({"username": "front-desk", "password": PASSWORD, "csrfmiddlewaretoken": csrf})
    conn = stack.connect()
    conn.request("POST", "/accounts/login/", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf}",
        "Origin": origin, "Referer": f"{origin}/accounts/login/", "X-Forwarded-For": SPOOFED,
    })
    signed_in = conn.getresponse()
    signed_in.read()
    assert signed_in.status == 302, stack.log()
    session = [v for n, v in signed_in.getheaders() if n.lower() == "set-cookie" and v.startswith("sessionid=")]
    assert session and "Secure" in session[0] and "HttpOnly" in session[0]
    assert AuditEvent.objects.get(action=Action.SIGN_IN).client_address == CLIENT


def test_plain_http_is_redirected_to_https(stack):
    conn = http.client.HTTPConnection(PROXY, stack.http, timeout=30)
    status, headers, _body = _request(conn, "GET", "/accounts/login/?next=/", headers={"Host": "localhost"})
    assert status in (301, 302, 307, 308)
    assert headers["Location"] == f"https://localhost:{stack.https}/accounts/login/?next=/"


def test_gunicorn_believes_forwarded_headers_only_from_the_proxy(stack):
    # Reaching gunicorn directly (in compose it is not published) with made-up forwarded headers: the app neither
    # takes the request for HTTPS nor the claimed address.
    StaffFactory(username="front-desk")
    direct = socket.create_connection((PROXY, stack.app), timeout=30, source_address=(CLIENT, 0))
    conn = http.client.HTTPConnection(PROXY, stack.app, timeout=30)
    conn.sock = direct
    status, headers, _body = _token_request(
        conn, "wrong", Host="localhost", **{"X-Forwarded-Proto": "https", "X-Forwarded-For": SPOOFED}
    )
    assert status == 301 and headers["Location"].startswith("https://localhost/"), stack.log()
    assert not AuditEvent.objects.filter(client_address=SPOOFED).exists()
