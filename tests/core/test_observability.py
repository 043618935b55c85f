"""Operators can follow a request through the logs (into the task it enqueued), read JSON lines,
and scrape metrics that only the loopback (or a token holder) may see."""

import json
import logging

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory
from django_tasks_db.models import DBTaskResult
from prometheus_client import REGISTRY
from pythonjsonlogger.json import JsonFormatter

from kosodate.core import observability
from kosodate.core.capacity import capacity_locked
from kosodate.core.models import OutboundMessage
from kosodate.core.observability import RequestIdFilter, RequestIdMiddleware, request_id
from kosodate.core.tasks import message_deliver_task

pytestmark = pytest.mark.django_db


class Keep(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []
        self.addFilter(RequestIdFilter())

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def kept():
    handler = Keep()
    logger = logging.getLogger("kosodate.test_observability")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)


def run_through_middleware(view, **headers):
    request = RequestFactory().get("/", headers=headers)
    return RequestIdMiddleware(view)(request)


def test_every_line_of_a_request_carries_its_id_and_the_response_names_it(kept):
    def view(request):
        logging.getLogger("kosodate.test_observability").info("inside")
        return HttpResponse()

    response = run_through_middleware(view)
    rid = response["X-Request-ID"]
    assert len(rid) == 32
    assert [r.request_id for r in kept.records] == [rid]
    assert request_id() == "-"  # and nothing leaks to the next request


def test_the_load_balancers_id_is_kept_and_a_malformed_one_replaced():
    ok = run_through_middleware(lambda r: HttpResponse(), **{"X-Request-ID": "a1b2c3d4e5f6a7b8"})
    assert ok["X-Request-ID"] == "a1b2c3d4e5f6a7b8"
    bad = run_through_middleware(lambda r: HttpResponse(), **{"X-Request-ID": "x\nInjected: 1"})
    assert bad["X-Request-ID"] != "x\nInjected: 1" and "\n" not in bad["X-Request-ID"]


def test_json_lines_have_the_request_id(settings):
    formatter = JsonFormatter(
        **{k: v for k, v in settings.LOGGING["formatters"]["json"].items() if k != "()"}
    )
    record = logging.LogRecord("kosodate.x", logging.INFO, __file__, 1, "booked %s", ("A1",), None)
    RequestIdFilter().filter(record)
    line = json.loads(formatter.format(record))
    assert line["message"] == "booked A1" and line["level"] == "INFO"
    assert line["request_id"] == "-" and "time" in line


def test_a_task_enqueued_by_a_request_logs_with_that_requests_id(
    django_capture_on_commit_callbacks,
):
    def view(request):
        message_deliver_task.enqueue(message_id=1)
        return HttpResponse()

    with django_capture_on_commit_callbacks(execute=True):
        rid = run_through_middleware(view)["X-Request-ID"]
    task = DBTaskResult.objects.get()
    assert cache.get(observability._task_cache_key(task.id)) == rid
    # In the worker (another process): the task starts, its lines carry the request's id.
    result = task.task_result
    observability._task_begins(None, task_result=result)
    try:
        assert request_id() == rid
    finally:
        observability._task_ends(None, task_result=result)
    assert request_id() == "-"


def test_metrics_answer_the_loopback_only(client, settings):
    client.get("/healthz")
    OutboundMessage.objects.create(
        channel=OutboundMessage.Channel.EMAIL, recipient="a@example.jp", subject="s", body="b"
    )
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    text = response.content.decode()
    assert (
        'kosodate_request_duration_seconds_count{method="GET",status="200",view="healthz"}' in text
    )
    assert "kosodate_outbox_backlog 1.0" in text
    assert "kosodate_tasks_failed" in text
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.5").status_code == 404


def test_behind_the_proxy_the_clients_address_counts_not_the_proxys(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    outside = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert outside.status_code == 404
    inside = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert inside.status_code == 200


def test_a_token_opens_metrics_from_anywhere(client, settings):
    settings.METRICS_TOKEN = "s3cret-token-for-the-scraper"
    far = {"REMOTE_ADDR": "203.0.113.5"}
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **far).status_code == 404
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token-for-the-scraper", **far)
    assert ok.status_code == 200


def test_lock_waits_are_measured():
    def locked_count():
        return (
            REGISTRY.get_sample_value(
                "kosodate_lock_wait_seconds_count", {"resource": "core.OutboundMessage"}
            )
            or 0
        )

    before = locked_count()
    with capacity_locked(OutboundMessage.objects.all()):
        pass
    assert locked_count() == before + 1
