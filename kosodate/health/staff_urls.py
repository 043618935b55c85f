from django.urls import path

from . import staff_views

urlpatterns = [
    path("", staff_views.notice_list, name="staff_health_notice_list"),
    path("notices/new/", staff_views.notice_create, name="staff_health_notice_create"),
    path("notices/<int:pk>/edit/", staff_views.notice_edit, name="staff_health_notice_edit"),
    path("schedule/", staff_views.schedule_rules, name="staff_health_schedule"),
    path("schedule/<int:pk>/edit/", staff_views.schedule_rule_edit, name="staff_health_rule_edit"),
    path(
        "checkups/sessions/new/",
        staff_views.checkup_session_create,
        name="staff_health_session_create",
    ),
    path(
        "checkups/sessions/<int:pk>/delete/",
        staff_views.checkup_session_delete,
        name="staff_health_session_delete",
    ),
]
