"""One audit vocabulary (kosodate.core.audit): registered action types with Japanese and English
labels, written only from services, shown on the staff audit page."""

import ast
from pathlib import Path

import pytest
from django.urls import reverse

from kosodate.core import audit
from kosodate.core.models import AuditLog
from tests.factories import AnnouncementFactory

pytestmark = pytest.mark.django_db

KOSODATE = Path(__file__).resolve().parents[2] / "kosodate"


def _audit_calls():
    """(path, call) for every audit.log(...) call in the project (and any old audit_log_record)."""
    for path in KOSODATE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "log"
                and isinstance(func.value, ast.Name)
                and func.value.id == "audit"
            ) or (isinstance(func, ast.Name) and func.id == "audit_log_record"):
                yield path, node


def test_the_audit_log_is_written_only_from_services():
    writers = {
        str(path.relative_to(KOSODATE))
        for path, _ in _audit_calls()
        if not (path.stem.startswith("services") or path.parent.name == "services")
    }
    assert writers == set(), f"audit.log called outside services: {sorted(writers)}"


def test_every_action_written_with_a_literal_key_is_registered():
    unregistered = set()
    for path, call in _audit_calls():
        action = call.args[1] if len(call.args) > 1 else None
        for keyword in call.keywords:
            if keyword.arg == "action":
                action = keyword.value
        if isinstance(action, ast.Constant) and not audit.is_registered(action.value):
            unregistered.add(f"{path.relative_to(KOSODATE)}: {action.value}")
    assert not unregistered, sorted(unregistered)


def test_every_action_has_a_japanese_label():
    from django.utils import translation

    for action in audit.action_types():
        with translation.override("en"):
            english = str(action.label)
        with translation.override("ja"):
            japanese = str(action.label)
        assert english != japanese, f"{action.key} has no Japanese label"


def test_an_unregistered_action_is_refused(municipal_staff):
    with pytest.raises(ValueError, match="not registered"):
        audit.log(municipal_staff, "announcement.typo")
    assert not AuditLog.objects.exists()


def test_log_records_actor_target_subject_and_data(municipal_staff, resident):
    announcement = AnnouncementFactory()
    entry = audit.log(
        municipal_staff,
        "announcement.update",
        announcement,
        subject_user=resident,
        fields=["title"],
    )
    entry.refresh_from_db()
    assert entry.actor == municipal_staff
    assert (entry.target_type, entry.target_id) == ("core.announcement", str(announcement.pk))
    assert entry.subject_user == resident
    assert entry.detail == {"fields": ["title"]}


def test_the_staff_audit_page_names_each_action_in_the_staff_members_language(
    client, municipal_staff, resident
):
    announcement = AnnouncementFactory()
    audit.log(municipal_staff, "announcement.delete", announcement)
    audit.log(municipal_staff, "resident.view", resident, subject_user=resident)
    client.force_login(municipal_staff)

    page = client.get(reverse("backoffice:audit_list")).content.decode()
    assert "お知らせを削除" in page and "利用者情報を閲覧" in page
    assert "announcement.delete" not in page.split("<tbody>", 1)[1]

    page = client.get(
        reverse("backoffice:audit_list"), {"action": "resident.view"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    body = page.split("<tbody>", 1)[1]
    assert "Resident&#x27;s record opened" in body or "Resident's record opened" in body
    assert "Announcement deleted" not in body


def test_the_audit_page_is_for_municipal_staff_only(client, facility_staff, resident):
    client.force_login(facility_staff)
    assert client.get(reverse("backoffice:audit_list")).status_code == 403
    client.force_login(resident)
    assert client.get(reverse("backoffice:audit_list")).status_code == 403
