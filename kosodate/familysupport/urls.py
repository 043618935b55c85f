"""/familysupport/: residents' pages (families and supporters); all need a signed-in resident."""

from django.urls import path

from . import views

app_name = "familysupport"

urlpatterns = [
    path("", views.home, name="home"),
    path("join/", views.join, name="join"),
    path("training/", views.training_book, name="training_book"),
    path("profile/", views.profile_edit, name="profile"),
    path("supporters/", views.supporter_search, name="search"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/new/send/", views.request_send, name="request_send"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/ask/", views.request_ask, name="request_ask"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="request_cancel"),
    path("offers/<int:pk>/", views.offer_detail, name="offer_detail"),
    path("offers/<int:pk>/accept/", views.offer_accept, name="offer_accept"),
    path("offers/<int:pk>/decline/", views.offer_decline, name="offer_decline"),
    path("activities/<int:pk>/", views.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/cancel/", views.activity_cancel, name="activity_cancel"),
    path("activities/<int:pk>/no-show/", views.no_show, name="no_show"),
    path("activities/<int:pk>/report/", views.report_file, name="report_file"),
    path("activities/<int:pk>/confirm/", views.report_confirm, name="report_confirm"),
    path("activities/<int:pk>/dispute/", views.report_dispute, name="report_dispute"),
    path("activities/<int:pk>/paid/", views.payment_record, name="payment_record"),
    path("activities/<int:pk>/activity.ics", views.activity_calendar, name="activity_ics"),
    path("statement/", views.statement, name="statement"),
]
