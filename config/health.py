"""/healthz: does the database answer a query and the broker a PING? For a load balancer or an orchestrator.

No login and no session: the view reads neither, so a probe sets no cookie. Failures are logged, not shown:
an error message can name hosts.
"""

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

BROKER_TIMEOUT = 1.0  # seconds: a probe must answer before the load balancer gives up on it
HEALTHY = {"ok", "eager"}


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with each part "ok" (the broker "eager" when tasks run in the web process), else 503 naming the failure."""
    parts = {"database": database_status(), "broker": broker_status()}
    return JsonResponse(parts, status=200 if set(parts.values()) <= HEALTHY else 503)


def database_status() -> str:
    """Whether the database answers SELECT 1: "ok" or "unavailable"."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        logger.warning("healthz: the database did not answer: %s", type(error).__name__)
        return "unavailable"
    return "ok"


def broker_status() -> str:
    """Whether Redis (REDIS_URL) answers a PING within BROKER_TIMEOUT: "ok", "unavailable"; "eager" without one."""
    if not settings.REDIS_URL:
        return "eager"
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=BROKER_TIMEOUT, socket_timeout=BROKER_TIMEOUT
    )
    try:
        client.ping()
    except redis.RedisError as error:
        logger.warning("healthz: the broker did not answer a PING: %s", type(error).__name__)
        return "unavailable"
    finally:
        client.close()
    return "ok"
