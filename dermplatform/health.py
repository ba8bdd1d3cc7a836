import logging

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


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

    200 {"status": "ok", ...}; 503 {"status": "degraded", ...} naming the part that failed in "checks".
    """
    checks = {
        "database": "ok" if _database_ok() else "unavailable",
        "broker": "ok" if _broker_ok() else "unavailable",
    }
    healthy = all(state == "ok" for state in checks.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503)
