"""/events/: residents' pages (the list and detail are open to everyone)."""

from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("", views.event_list, name="list"),
    path("calendar/", views.event_calendar, name="calendar"),
    path("<int:pk>/", views.event_detail, name="detail"),
    path("<int:pk>/apply/", views.application_create, name="apply"),
    path("mine/", views.application_list, name="mine"),
    path("mine/<int:pk>/", views.application_detail, name="application_detail"),
    path("mine/<int:pk>/cancel/", views.application_cancel, name="application_cancel"),
    path("mine/<int:pk>/accept/", views.offer_accept, name="offer_accept"),
    path("mine/<int:pk>/event.ics", views.application_ics, name="application_ics"),
]
