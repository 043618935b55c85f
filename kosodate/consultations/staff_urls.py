"""/staff/consultations/: the professionals' pages."""

from django.urls import path

from . import staff_views

app_name = "consultations_staff"

urlpatterns = [
    path("", staff_views.queue, name="queue"),
    path("<int:pk>/", staff_views.detail, name="detail"),
    path("<int:pk>/thread/", staff_views.thread_partial, name="thread"),
    path("<int:pk>/answer/", staff_views.answer, name="answer"),
    path("<int:pk>/chat/", staff_views.chat, name="chat"),
    path("<int:pk>/note/", staff_views.note, name="note"),
    path("<int:pk>/take/", staff_views.take, name="take"),
    path("<int:pk>/assign/", staff_views.assign, name="assign"),
    path("<int:pk>/handover/", staff_views.handover, name="handover"),
    path("<int:pk>/outcome/", staff_views.outcome, name="outcome"),
    path("<int:pk>/photos/<str:key>/", staff_views.photo, name="photo"),
    path("slots/", staff_views.slots, name="slots"),
    path("report/", staff_views.report, name="report"),
    path("report.csv", staff_views.report_csv, name="report_csv"),
]
