import logging
from collections.abc import Callable

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)

# Parts that apps report on (registered in their AppConfig.ready, so that this module imports no app): name →
# a function answering "ok" or what is wrong. This process serves without them (the scheduler, say), so they
# turn the status to "degraded" but keep the answer 200: a load balancer must not take every web server out of
# service because the scheduler stopped. Monitors read "status".
REPORTED_CHECKS: dict[str, Callable[[], str]] = {}


def check_register(name: str, check: Callable[[], str]) -> None:
    REPORTED_CHECKS[name] = check


def _reported(name: str, check: Callable[[], str]) -> str:
    try:
        return check()
    except Exception:  # the part's own state is unknown (the database is down, say): not healthy
        logger.warning("health check: %s could not be checked", name, exc_info=True)
        return "unknown"


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not healthy"
        logger.warning("health check: the database did not answer", exc_info=True)
        return False
    return True


def _broker_ok() -> bool:
    """The broker answers within its socket timeout (CELERY_BROKER_SOCKET_TIMEOUT): refused, unanswered and hung
    alike count as unreachable, found in about that time, never after the web server's own timeout."""
    from dermplatform.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=1)
            if conn.transport.driver_type == "redis":
                conn.default_channel.client.ping()
    except Exception:  # any broker failure means "not healthy"
        logger.warning("health check: the broker did not answer", exc_info=True)
        return False
    return True


@never_cache
@login_not_required
def healthz(request):
    """Health for load balancers and compose: the process answers, and the database and the broker each answer.

    200 {"status": "ok", ...}; 503 {"status": "degraded", ...} naming the part that failed in "checks". A part
    this process serves without (REPORTED_CHECKS: the scheduler) makes it 200 {"status": "degraded", ...}.
    """
    checks = {
        "database": "ok" if _database_ok() else "unavailable",
        "broker": "ok" if _broker_ok() else "unavailable",
    }
    serving = all(state == "ok" for state in checks.values())
    # They read the database: without it their state is unknown, and asking would only wait again.
    database = checks["database"] == "ok"
    checks.update({name: _reported(name, check) if database else "unknown" for name, check in REPORTED_CHECKS.items()})
    healthy = all(state == "ok" for state in checks.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if serving else 503)
