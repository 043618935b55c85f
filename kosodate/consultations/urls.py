"""/consultations/: families' pages."""

from django.urls import path

from . import views

app_name = "consultations"

urlpatterns = [
    path("", views.home, name="home"),
    path("ask/", views.ask, name="ask"),
    path("check-words/", views.check_words, name="check_words"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/thread/", views.thread_partial, name="thread"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/photos/<str:key>/", views.photo, name="photo"),
    path("sessions/", views.sessions, name="sessions"),
    path("sessions/<int:slot_pk>/book/", views.book, name="book"),
]
