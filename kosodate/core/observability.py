"""What operators see of a running system: a request id on every log line (carried into the
background tasks a request enqueued), JSON log lines in production, and Prometheus metrics at
/metrics (docs/operations.md, "Monitoring").

Metrics come from prometheus-client. Under gunicorn each request lands in one of several processes,
so set PROMETHEUS_MULTIPROC_DIR (an empty folder per start; `make prod-local` does) and /metrics adds
up every process. Counts that live in the database (the outbox backlog, failed tasks) are read at
scrape time, so they agree whichever process answers and include the workers' work.
"""

import hmac
import ipaddress
import logging
import os
import re
import time
import uuid
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Min, Q
from django.http import HttpResponse, HttpResponseNotFound
from django.tasks.signals import task_enqueued, task_finished, task_started
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from .client_ip import client_ip

_request_id: ContextVar[str] = ContextVar("request_id", default="-")
_task_id: ContextVar[str] = ContextVar("task_id", default="-")
# nginx's $request_id is 32 hex digits; accept any short token of that alphabet from the proxy.
_REQUEST_ID = re.compile(r"[0-9A-Za-z_-]{8,64}")
# How long a task may wait in the queue and still find the id of the request that enqueued it.
TASK_REQUEST_ID_TTL = 24 * 3600

REQUEST_SECONDS = Histogram(
    "kosodate_request_duration_seconds",
    "Time from the request reaching Django to the response leaving it.",
    ["method", "view", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
LOCK_WAIT_SECONDS = Histogram(
    "kosodate_lock_wait_seconds",
    "Time spent waiting for the row locks of a scarce resource (core.capacity).",
    ["resource"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


def request_id() -> str:
    """The id of the request (or of the request that enqueued the task) being handled, or "-"."""
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Adds request_id and task_id to every record, for the formatters."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        record.task_id = _task_id.get()
        return True


class RequestIdMiddleware:
    """First in the chain: names the request (the load balancer's X-Request-ID when it sent a
    well-formed one, else a new id), answers with the id in X-Request-ID so that a resident's
    error report can be found in the logs, and times the request for /metrics."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = _request_id.set(rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        match = getattr(request, "resolver_match", None)
        REQUEST_SECONDS.labels(
            request.method if request.method in _METHODS else "other",
            (match.view_name if match else "") or "unmatched",
            str(response.status_code),
        ).observe(time.perf_counter() - started)
        response["X-Request-ID"] = rid
        return response


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


# --- the request id, carried into the background task --------------------------------------------
# Tasks take only their own arguments, so the id travels beside them: the web process notes it in
# the shared cache (Redis in production) under the task's id, the worker reads it back when the task
# starts. With the local-memory cache of a development run the worker simply logs "-".


def _task_cache_key(task_id) -> str:
    return f"task-request-id:{task_id}"


def _note_request_id(sender, task_result, **kwargs) -> None:
    rid = _request_id.get()
    if rid == "-":
        return
    key = _task_cache_key(task_result.id)

    def note() -> None:
        try:
            cache.set(key, rid, TASK_REQUEST_ID_TTL)
        except Exception:  # a log correlation is never worth failing a booking for
            logging.getLogger(__name__).warning("Could not note the request id of a task")

    # Once committed (the task exists only then): a service that enqueues while it holds a lock
    # (the events application) makes no Redis round trip under it. Outside a transaction: now.
    transaction.on_commit(note)


_task_tokens: dict[str, tuple] = {}


def _task_begins(sender, task_result, **kwargs) -> None:
    try:
        rid = cache.get(_task_cache_key(task_result.id)) or "-"
    except Exception:
        rid = "-"
    _task_tokens[str(task_result.id)] = (_request_id.set(rid), _task_id.set(str(task_result.id)))


def _task_ends(sender, task_result, **kwargs) -> None:
    tokens = _task_tokens.pop(str(task_result.id), None)
    if tokens:
        _request_id.reset(tokens[0])
        _task_id.reset(tokens[1])


def connect_task_signals() -> None:
    """Called once from CoreConfig.ready()."""
    task_enqueued.connect(_note_request_id, dispatch_uid="kosodate-request-id-enqueued")
    task_started.connect(_task_begins, dispatch_uid="kosodate-request-id-started")
    task_finished.connect(_task_ends, dispatch_uid="kosodate-request-id-finished")


# --- /metrics --------------------------------------------------------------------------------------


class DatabaseCountsCollector:
    """Gauges read from the database at scrape time: what is waiting and what has failed."""

    def collect(self):
        from django_tasks_db.models import DBTaskResult  # a library's model, not an app of ours

        from .models import OutboundMessage

        waiting = [OutboundMessage.Status.QUEUED, OutboundMessage.Status.SENDING]
        outbox = OutboundMessage.objects.aggregate(
            backlog=Count("pk", filter=Q(status__in=waiting)),
            failed=Count("pk", filter=Q(status=OutboundMessage.Status.FAILED)),
            oldest=Min("created_at", filter=Q(status__in=waiting)),
        )
        yield GaugeMetricFamily(
            "kosodate_outbox_backlog", "Emails and SMS queued or being sent.", outbox["backlog"]
        )
        age = (timezone.now() - outbox["oldest"]).total_seconds() if outbox["oldest"] else 0.0
        yield GaugeMetricFamily(
            "kosodate_outbox_oldest_waiting_seconds",
            "Age of the oldest email or SMS not yet sent.",
            max(age, 0.0),
        )
        yield GaugeMetricFamily(
            "kosodate_outbox_failed",
            "Messages that failed for good (staff must act).",
            outbox["failed"],
        )
        tasks = DBTaskResult.objects.aggregate(
            failed=Count("pk", filter=Q(status="FAILED")),
            ready=Count("pk", filter=Q(status="READY")),
        )
        yield GaugeMetricFamily(
            "kosodate_tasks_failed", "Background tasks that ended in an error.", tasks["failed"]
        )
        yield GaugeMetricFamily(
            "kosodate_tasks_ready", "Background tasks waiting for a worker.", tasks["ready"]
        )


_database_counts = DatabaseCountsCollector()
_single_process_ready = False


def _registry() -> CollectorRegistry:
    global _single_process_ready
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(_database_counts)
        return registry
    if not _single_process_ready:
        REGISTRY.register(_database_counts)
        _single_process_ready = True
    return REGISTRY


def _metrics_allowed(request) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    # The client's address by the same trusted-proxy rule as the rate limits: behind nginx the
    # socket's address is always the proxy's.
    try:
        return ipaddress.ip_address(client_ip(request) or "").is_loopback
    except ValueError:
        return False


@require_safe
@never_cache
def metrics(request):
    """Prometheus text format, for the loopback (or a bearer METRICS_TOKEN) only; anyone else gets
    a 404, as if there were nothing here."""
    if not _metrics_allowed(request):
        return HttpResponseNotFound()
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
