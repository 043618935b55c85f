"""A database that cannot be reached (a restart, a failover, a connection ended by the server) is a
503 page telling the person to try again, rendered without the database; other errors stay 500."""

import pytest
from django.db import OperationalError, connection
from django.test import Client

pytestmark = pytest.mark.django_db


def failing_cursor(error):
    def cursor(*args, **kwargs):
        raise error

    return cursor


def test_an_unreachable_database_gives_a_translated_retry_page(monkeypatch):
    client = Client(raise_request_exception=False)
    monkeypatch.setattr(connection, "cursor", failing_cursor(OperationalError("server closed")))
    response = client.get("/announcements/?page=2", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert "しばらくしてからもう一度お試しください" in html
    assert 'href="/announcements/?page=2"' in html
    assert "server closed" not in html


def test_the_retry_page_in_english(monkeypatch):
    client = Client(raise_request_exception=False)
    monkeypatch.setattr(connection, "cursor", failing_cursor(OperationalError("x")))
    html = client.get("/announcements/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Please try again in a moment" in html


def test_any_other_error_is_still_a_500(monkeypatch):
    client = Client(raise_request_exception=False)
    monkeypatch.setattr(connection, "cursor", failing_cursor(ValueError("a bug")))
    assert client.get("/announcements/").status_code == 500
