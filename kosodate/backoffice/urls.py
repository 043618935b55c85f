"""/staff/: the back office. Each domain's staff pages are included from that domain's app."""

from django.urls import include, path

from . import views

app_name = "backoffice"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("", include("kosodate.core.staff_urls")),
]
