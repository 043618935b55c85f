"""GET /healthz for load balancers and monitoring: database, cache and the worker queue.

200 when all is well, 503 otherwise. No authentication and nothing personal in the answer, which
is never cached. The maintenance middleware lets it through.
"""

import time
import uuid
from datetime import timedelta

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Min, Q
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_safe
from django_tasks_db.models import DBTaskResult, get_date_max

# A task ready this long and still not picked up means no worker is running (the worker polls
# every second; a long lottery draw may hold one worker, so leave room).
QUEUE_MAX_WAIT = timedelta(minutes=5)


def _timed(check) -> dict:
    started = time.monotonic()
    try:
        result = {"ok": True, **check()}
    except Exception as exc:  # any failure is the answer
        # The class name only: messages may carry host names or credentials from a URL.
        result = {"ok": False, "error": type(exc).__name__}
    result["ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {}


def _cache() -> dict:
    # A key of our own: many web processes share one Redis and check at the same time.
    key, value = f"healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=30)
    try:
        if cache.get(key) != value:
            raise LookupError("the cache did not return what was stored")
    finally:
        cache.delete(key)
    return {}


def _queue() -> dict:
    never = get_date_max()  # django_tasks_db's "no run_after" marker
    stats = DBTaskResult.objects.ready().aggregate(
        ready=Count("pk"),
        # A task is waiting since it was enqueued, or since its run_after if it was deferred.
        oldest_immediate=Min("enqueued_at", filter=Q(run_after=never)),
        oldest_deferred=Min("run_after", filter=~Q(run_after=never)),
    )
    waiting_since = min(
        (t for t in (stats["oldest_immediate"], stats["oldest_deferred"]) if t), default=None
    )
    oldest = max((timezone.now() - waiting_since).total_seconds(), 0.0) if waiting_since else 0.0
    result = {
        "ready": stats["ready"],
        "oldest_ready_seconds": round(oldest, 1),
        "max_wait_seconds": int(QUEUE_MAX_WAIT.total_seconds()),
    }
    if oldest > QUEUE_MAX_WAIT.total_seconds():
        result.update(ok=False, error="no worker is taking tasks")
    return result


def health_report() -> dict:
    """Each check's outcome ({"ok": bool, …, "ms": float}) by name."""
    return {"database": _timed(_database), "cache": _timed(_cache), "queue": _timed(_queue)}


@require_safe
def healthz(request):
    checks = health_report()
    healthy = all(check["ok"] for check in checks.values())
    response = JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def healthz_serving(request):
    """GET /healthz/serving, for the load balancer: this web process answers and reaches the
    database, which is what serving pages needs. Redis and the worker queue are left out on
    purpose: while Redis is down public pages are still served (reads fail open,
    docs/operations.md), and a check that failed then would take every web process out of the
    load balancer at once. /healthz checks everything, for monitoring and alerts."""
    checks = {"database": _timed(_database)}
    healthy = checks["database"]["ok"]
    response = JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )
    response["Cache-Control"] = "no-store"
    return response
