"""Fault injection for the AI pipeline: a private Redis (restartable, no persistence), a private PostgreSQL cluster
(restartable), Celery worker and beat processes that can be killed, and the in-process Celery app pointed at that
Redis.

Everything listens on 127.0.0.1 only, and everything started here is stopped in a finalizer.
"""

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
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


class HungBroker:
    """A hung Redis: a listener on 127.0.0.1 that accepts every connection and never answers (as a frozen
    redis-server, or a network partition on a pooled connection, looks to a client)."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind((HOST, 0))
        self.server.listen(64)
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.server.getsockname()[1]}/0"

    def _accept(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:  # closed
                return
            self.accepted.append(conn)  # held open, read from never, answered never

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        try:
            self.server.shutdown(socket.SHUT_RDWR)  # wakes the accept (Linux)
        except OSError:
            pass
        self.server.close()
        self._thread.join(timeout=5)
        for conn in self.accepted:
            conn.close()


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

    def __init__(self, args, *, broker_url, log_path: Path, env=None, app="dermplatform"):
        self.args, self.broker_url, self.log_path, self.extra_env = args, broker_url, log_path, env or {}
        self.app = app
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
                [sys.executable, "-m", "celery", "-A", self.app, *self.args],
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


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own: initdb in a temporary folder, on a free port, 127.0.0.1 only, trust
    authentication, run as the `postgres` OS user when this process is root (initdb refuses root). stop() is a
    real `pg_ctl stop -m fast`: every client connection is cut and new ones are refused until start()."""

    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
        self.bin = Path(bins[-1]) if bins else None
        self.port = free_port()
        self.directory = None

    def _cmd(self, *args) -> list[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command

    def _run(self, *args):
        done = subprocess.run(self._cmd(*args), capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed:\n{done.stdout}\n{done.stderr}\n{self.log_tail()}")

    def init(self):
        if self.bin is None or (os.geteuid() == 0 and not shutil.which("runuser")):
            import pytest

            pytest.skip("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are not installed")
        self.directory = Path(tempfile.mkdtemp(prefix="derm-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run("initdb", "-D", str(self.directory / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync")

    def start(self):
        options = f"-p {self.port} -k {self.directory} -c listen_addresses={HOST} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.directory / "data"), "-l", str(self.directory / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")

    def stop(self):
        self._run("pg_ctl", "-D", str(self.directory / "data"), "-m", "fast", "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return self.directory is not None and (self.directory / "data" / "postmaster.pid").exists()

    def destroy(self):
        try:
            if self.running():
                self.stop()
        finally:
            if self.directory is not None:
                shutil.rmtree(self.directory, ignore_errors=True)

    def create_database(self, name: str):
        import psycopg2

        connection = psycopg2.connect(host=HOST, port=self.port, user="postgres", dbname="postgres")
        try:
            connection.autocommit = True
            connection.cursor().execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()

    def url(self, name: str) -> str:
        return f"postgres://postgres@{HOST}:{self.port}/{name}"

    def log_tail(self, chars=3000) -> str:
        log = self.directory / "server.log" if self.directory else None
        return log.read_text()[-chars:] if log and log.exists() else ""


@contextmanager
def django_database_on(server: PrivatePostgres, name: str):
    """Point this process's default database connection at a private cluster's database, then back."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connections

    keys = ("NAME", "HOST", "PORT", "USER", "PASSWORD")
    default = connections["default"]
    saved = {key: default.settings_dict.get(key) for key in keys}
    default.close()
    default.settings_dict.update(NAME=name, HOST=HOST, PORT=str(server.port), USER="postgres", PASSWORD="")
    ContentType.objects.clear_cache()  # its ids are per database
    try:
        yield
    finally:
        default.close()
        default.settings_dict.update(saved)
        ContentType.objects.clear_cache()


def worker(broker_url, log_path, *, model_dir, pool="solo", env=None, app="dermplatform"):
    args = ["worker", "-Q", "default,inference", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
            "--without-heartbeat"]
    args += ["--pool", "solo"] if pool == "solo" else ["--pool", "prefork", "--concurrency", "1"]
    return CeleryProcess(
        args, broker_url=broker_url, log_path=log_path, env={"DERM_MODEL_DIR": str(model_dir), **(env or {})}, app=app
    )


def beat(broker_url, log_path, schedule_dir: Path, env=None):
    args = ["beat", "--schedule", str(schedule_dir / "celerybeat-schedule"), "--loglevel", "INFO"]
    return CeleryProcess(args, broker_url=broker_url, log_path=log_path, env=env)


def report(request, name: str, **figures) -> str:
    """One line per fault, printed in the terminal summary (tests/conftest.py): the closing note's figures."""
    line = f"FAULT {name}: " + ", ".join(f"{k}={v}" for k, v in figures.items())
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
