"""/staff/childcare/: the back office for temporary childcare."""

from django.urls import path

from . import staff_views as v

app_name = "childcare_staff"

urlpatterns = [
    path("", v.index, name="index"),
    path("bookings/<str:code>/", v.booking_detail, name="booking_detail"),
    path("bookings/<str:code>/approve/", v.booking_approve, name="booking_approve"),
    path("bookings/<str:code>/decline/", v.booking_decline, name="booking_decline"),
    path("bookings/<str:code>/attended/", v.booking_attended, name="booking_attended"),
    path("bookings/<str:code>/no-show/", v.booking_no_show, name="booking_no_show"),
    path("registrations/<int:pk>/", v.registration_detail, name="registration_detail"),
    path(
        "registrations/<int:pk>/interview/", v.registration_interview, name="registration_interview"
    ),
    path("registrations/<int:pk>/complete/", v.registration_complete, name="registration_complete"),
    path("registrations/<int:pk>/decline/", v.registration_decline, name="registration_decline"),
    path("facilities/<int:pk>/", v.facility, name="facility"),
    path("facilities/<int:pk>/roster/<str:day>/", v.roster, name="roster"),
    path("facilities/<int:pk>/capacity/", v.capacity, name="capacity"),
    path("facilities/<int:pk>/capacity/day/", v.capacity_day, name="capacity_day"),
    path("facilities/<int:pk>/closures/", v.closures, name="closures"),
    path("facilities/<int:pk>/closures/reopen/", v.closure_reopen, name="closure_reopen"),
    path("facilities/<int:pk>/rules/", v.facility_rules, name="rules"),
    path("utilisation/", v.utilisation, name="utilisation"),
]
