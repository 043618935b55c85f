"""/healthz: database, cache and worker queue, 200 or 503, for load balancers and monitoring."""

from datetime import timedelta

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.db import OperationalError, connection
from django.utils import timezone

from kosodate.core import services
from kosodate.core.tasks import message_deliver_task

from ..worker import run_worker

pytestmark = pytest.mark.django_db


class BrokenCache(LocMemCache):
    """A cache server that has gone away."""

    def set(self, *args, **kwargs):
        raise ConnectionError("cache unreachable")


def test_healthy_is_200_with_every_check_and_nothing_cached(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    data = response.json()
    assert data["status"] == "ok"
    assert set(data["checks"]) == {"database", "cache", "queue"}
    assert all(check["ok"] for check in data["checks"].values())
    assert data["checks"]["queue"]["ready"] == 0
    assert data["checks"]["queue"]["max_wait_seconds"] == 300


def test_no_sign_in_is_needed_and_head_works(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_a_broken_cache_is_503(client, settings):
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.BrokenCache"}}
    response = client.get("/healthz")
    assert response.status_code == 503
    data = response.json()
    assert data["status"] == "error"
    assert data["checks"]["cache"] == {
        "ok": False,
        "error": "ConnectionError",
        "ms": data["checks"]["cache"]["ms"],
    }
    assert data["checks"]["database"]["ok"]
    # The load balancer's check leaves the cache out: pages are still served (reads fail open).
    serving = client.get("/healthz/serving")
    assert serving.status_code == 200 and serving.json()["status"] == "ok"
    assert serving["Cache-Control"] == "no-store"


def test_the_load_balancers_check_fails_with_the_database(client, monkeypatch):
    from kosodate.core import health

    def broken():
        raise OperationalError("could not connect to server at db.internal:5432")

    monkeypatch.setattr(health, "_database", broken)
    response = client.get("/healthz/serving")
    assert response.status_code == 503
    assert response.json()["checks"]["database"]["error"] == "OperationalError"
    assert "db.internal" not in response.text


def test_a_broken_database_is_503_and_does_not_leak_the_error_text(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError('connection to server at "db.internal" failed: password=secret')

    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", refuse)
        response = client.get("/healthz")
    assert response.status_code == 503
    data = response.json()
    assert data["checks"]["database"]["ok"] is False
    assert data["checks"]["database"]["error"] == "OperationalError"
    assert "secret" not in response.text
    assert "db.internal" not in response.text


def test_a_task_nobody_picks_up_for_five_minutes_means_no_worker_and_is_503(
    client, municipality, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(timezone.now(), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.message_sms_send(to="+819012345678", body="コード 123456")

    time_machine.shift(timedelta(minutes=4))
    queue = client.get("/healthz").json()["checks"]["queue"]
    assert queue == {
        "ok": True,
        "ready": 1,
        "oldest_ready_seconds": 240.0,
        "max_wait_seconds": 300,
        "ms": queue["ms"],
    }

    time_machine.shift(timedelta(minutes=2))
    response = client.get("/healthz")
    assert response.status_code == 503
    queue = response.json()["checks"]["queue"]
    assert queue["ok"] is False
    assert queue["oldest_ready_seconds"] == 360.0
    assert queue["error"] == "no worker is taking tasks"

    run_worker()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["queue"]["ready"] == 0


def test_a_deferred_task_waits_from_its_due_time_not_from_when_it_was_queued(client, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    message_deliver_task.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(message_id=0)
    assert client.get("/healthz").json()["checks"]["queue"]["ready"] == 0

    time_machine.shift(timedelta(hours=1, minutes=1))
    response = client.get("/healthz")
    assert response.status_code == 200
    queue = response.json()["checks"]["queue"]
    assert (queue["ready"], queue["oldest_ready_seconds"]) == (1, 60.0)
