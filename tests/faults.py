"""Fault injection for the AI pipeline: a private Redis (restartable, no persistence), Celery worker and beat
processes that can be killed, and the in-process Celery app pointed at that Redis.

Everything listens on 127.0.0.1 only, and everything started here is stopped in a finalizer.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import redis
from django.db import connection

from tests.worker import ROOT, _wait_until_ready, settings_db_url

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_for(condition, timeout, step=0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())


class PrivateRedis:
    """redis-server on its own port, without persistence: a restart loses every queued message."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host=HOST, port=self.port, socket_timeout=5)

    def start(self):
        if not shutil.which("redis-server"):
            import pytest

            pytest.skip("redis-server is not installed")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        if not wait_for(self._ping, timeout=10, step=0.1):
            raise RuntimeError("private redis-server did not start")

    def _ping(self) -> bool:
        try:
            return self.client().ping()
        except redis.RedisError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()  # like a crash: nothing is saved
            self.proc.wait(timeout=10)
        self.proc = None

    def restart(self):
        self.stop()
        self.start()


@contextmanager
def celery_app_on(app, broker_url: str):
    """Point this process's Celery app (which the upload publishes through) at another broker."""
    keys = ("broker_url", "broker_read_url", "broker_write_url")
    saved = {key: app.conf.get(key) for key in keys}

    def point_at(url):
        # kombu keeps its pools per connection URL: dropping the app's references is enough.
        app.conf.update({key: url for key in keys})
        app._pool = None
        app.amqp._producer_pool = None

    point_at(broker_url)
    try:
        yield
    finally:
        point_at(None)
        app.conf.update(saved)


class CeleryProcess:
    """`celery worker` or `celery beat` in its own process group, against the test database and a broker."""

    def __init__(self, args, *, broker_url, log_path: Path, env=None):
        self.args, self.broker_url, self.log_path, self.extra_env = args, broker_url, log_path, env or {}
        self.proc = None

    def env(self):
        env = dict(os.environ, CELERY_BROKER_URL=self.broker_url)
        if connection.vendor == "postgresql":
            env["DATABASE_URL"] = settings_db_url(connection.settings_dict["NAME"])
        env.update(self.extra_env)
        return env

    def start(self, wait_ready=True):
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "dermplatform", *self.args],
                cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        if wait_ready:
            _wait_until_ready(self.proc, self.log_path)
        return self

    def children(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    def kill_hard(self):
        """SIGKILL the main process and its children (the pool process), as the OOM killer would."""
        pids = [self.proc.pid, *self.children()]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)

    def log_tail(self, chars=4000) -> str:
        return self.log_path.read_text()[-chars:] if self.log_path.exists() else ""


class TcpProxy:
    """A TCP relay on 127.0.0.1 in front of PostgreSQL: down() drops every connection and refuses new ones, as a
    restarting database does for its clients; up() serves again. Only the processes sent through it see the fault."""

    def __init__(self, upstream_port: int):
        self.port = free_port()
        self.upstream = (HOST, upstream_port)
        self.connections: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.server = None

    def up(self):
        self.server = socket.create_server((HOST, self.port))
        self.server.settimeout(0.2)
        threading.Thread(target=self._accept, args=(self.server,), daemon=True).start()

    def down(self):
        server, self.server = self.server, None
        if server is not None:
            server.close()
        with self.lock:
            doomed, self.connections = self.connections, set()
        for sock in doomed:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, server):
        while self.server is server:
            try:
                client, _ = server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            with self.lock:
                self.connections |= {client, upstream}
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def worker(broker_url, log_path, *, model_dir, pool="solo", env=None):
    args = ["worker", "-Q", "default,inference", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
            "--without-heartbeat"]
    args += ["--pool", "solo"] if pool == "solo" else ["--pool", "prefork", "--concurrency", "1"]
    return CeleryProcess(args, broker_url=broker_url, log_path=log_path, env={"DERM_MODEL_DIR": str(model_dir), **(env or {})})


def beat(broker_url, log_path, schedule_dir: Path, env=None):
    args = ["beat", "--schedule", str(schedule_dir / "celerybeat-schedule"), "--loglevel", "INFO"]
    return CeleryProcess(args, broker_url=broker_url, log_path=log_path, env=env)


REPORTS: list[str] = []


def report(request, name: str, **figures) -> str:
    """One line per fault, printed in the terminal summary (tests/integration/conftest.py): the closing note's figures."""
    line = f"FAULT {name}: " + ", ".join(f"{k}={v}" for k, v in figures.items())
    REPORTS.append(line)
    request.node.user_properties.append(("fault", line))
    return line


def outcome(images) -> dict:
    """images queued, predictions at the end, images lost (none), images with more than one (duplicated)."""
    from diagnosis.models import Prediction

    ids = [image.pk for image in images]
    per_image = [Prediction.objects.filter(image_id=i).count() for i in ids]
    return {
        "images_queued": len(ids),
        "predictions": sum(per_image),
        "lost": sum(1 for n in per_image if n == 0),
        "duplicated": sum(1 for n in per_image if n > 1),
    }


def lesion_uploads(n: int, offset: int = 0) -> list:
    """n distinct small JPEG uploads (an upload refuses exact duplicates)."""
    from tests.images import jpeg_bytes, upload

    uploads = []
    for i in range(offset, offset + n):
        color = (30 + (i * 37) % 200, 40 + (i * 53) % 190, 50 + (i * 17) % 180)
        uploads.append(upload(jpeg_bytes(size=(96, 72), color=color, seed=i * 7), f"lesion-{i}.jpg"))
    return uploads
