"""/childcare/: residents' pages (the back office's are in staff_urls.py)."""

from django.urls import path

from . import views

app_name = "childcare"

urlpatterns = [
    path("", views.availability, name="availability"),
    path("day/<str:day>/", views.day_view, name="day"),
    path("facilities/", views.facility_list, name="facility_list"),
    path("facilities/<int:pk>/", views.facility_detail, name="facility_detail"),
    path("facilities/<int:pk>/register/", views.registration_create, name="registration_create"),
    path("facilities/<int:pk>/book/", views.booking_create, name="booking_create"),
    path("facilities/<int:pk>/book/send/", views.booking_send, name="booking_send"),
    path("registrations/", views.registration_list, name="registration_list"),
    path("bookings/", views.booking_list, name="booking_list"),
    path("bookings/<str:code>/", views.booking_detail, name="booking_detail"),
    path("bookings/<str:code>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("bookings/<str:code>/accept/", views.booking_accept, name="booking_accept"),
    path("bookings/<str:code>/calendar.ics", views.booking_ics, name="booking_ics"),
]
