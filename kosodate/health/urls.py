from django.urls import path

from . import views

urlpatterns = [
    path("", views.health_home, name="health_home"),
    path("settings/", views.health_preferences, name="health_preferences"),
    path("children/<int:pk>/", views.health_child, name="health_child"),
    path("children/<int:pk>/print/", views.health_child_print, name="health_child_print"),
    path("children/<int:pk>/schedule.ics", views.health_child_ics, name="health_child_ics"),
    path("children/<int:pk>/hepatitis-b/", views.health_child_hepb_hbig, name="health_child_hepb"),
    path("children/<int:pk>/doses/new/", views.health_dose_add, name="health_dose_add"),
    path(
        "children/<int:pk>/doses/<int:dose_pk>/delete/",
        views.health_dose_delete,
        name="health_dose_delete",
    ),
    path("children/<int:pk>/doses/restore/", views.health_dose_restore, name="health_dose_restore"),
]
