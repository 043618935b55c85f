"""/staff/familysupport/: the centre's back office (advisors only)."""

from django.urls import path

from . import staff_views as views

app_name = "familysupport_staff"

urlpatterns = [
    path("", views.index, name="index"),
    path("members/", views.member_list, name="members"),
    path("members/<int:pk>/", views.member_detail, name="member"),
    path("members/<int:pk>/confirm/", views.member_confirm, name="member_confirm"),
    path("members/<int:pk>/photo/", views.member_photo, name="member_photo"),
    path("members/<int:pk>/approve/", views.supporter_approve, name="supporter_approve"),
    path("members/<int:pk>/insurance/", views.insurance_record, name="insurance"),
    path("sessions/", views.session_list, name="sessions"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("queue/", views.queue, name="queue"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/propose/", views.request_propose, name="propose"),
    path("meetings/", views.meeting_list, name="meetings"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/held/", views.meeting_held, name="meeting_held"),
    path("meetings/<int:pk>/waive/", views.meeting_waive, name="meeting_waive"),
    path("activities/<int:pk>/", views.activity_detail, name="activity"),
    path("activities/<int:pk>/supporter/", views.activity_supporter, name="activity_supporter"),
    path("reports/", views.report_list, name="reports"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
    path("month/", views.month, name="month"),
    path("month/report.csv", views.month_csv, name="month_csv"),
]
