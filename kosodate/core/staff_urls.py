"""Core's back-office pages, included under /staff/ by kosodate.backoffice.urls."""

from django.urls import path

from . import staff_views

urlpatterns = [
    path("announcements/", staff_views.announcement_list, name="announcement_list"),
    path("announcements/new/", staff_views.announcement_create, name="announcement_create"),
    path("announcements/<int:pk>/", staff_views.announcement_edit, name="announcement_edit"),
    path(
        "announcements/<int:pk>/unpublish/",
        staff_views.announcement_unpublish,
        name="announcement_unpublish",
    ),
    path(
        "announcements/<int:pk>/publish/",
        staff_views.announcement_publish,
        name="announcement_publish",
    ),
    path("maintenance/", staff_views.maintenance_list, name="maintenance_list"),
    path("maintenance/new/", staff_views.maintenance_create, name="maintenance_create"),
    path("audit/", staff_views.audit_list, name="audit_list"),
    path("maintenance/<int:pk>/end/", staff_views.maintenance_end, name="maintenance_end"),
]
