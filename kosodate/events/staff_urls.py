"""/staff/events/: the back office's event pages."""

from django.urls import path

from . import staff_views

app_name = "events_staff"

urlpatterns = [
    path("", staff_views.event_list, name="list"),
    path("new/", staff_views.event_create, name="create"),
    path("<int:copy_from>/copy/", staff_views.event_create, name="copy"),
    path("<int:pk>/", staff_views.event_detail, name="detail"),
    path("<int:pk>/edit/", staff_views.event_edit, name="edit"),
    path("<int:pk>/cancel/", staff_views.event_cancel, name="cancel"),
    path("<int:pk>/participants.csv", staff_views.participants_csv, name="participants_csv"),
    path("<int:pk>/attendance/", staff_views.attendance, name="attendance"),
    path("<int:pk>/message/", staff_views.participants_message, name="message"),
]
