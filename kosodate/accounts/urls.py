"""Accounts URLs, assembled from each area's view module."""

from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("register/", include("kosodate.accounts.views_register")),
    # allauth's one-page sign-up is replaced by the registration wizard; its URL (linked as
    # "account_signup" by allauth's pages and ours) leads there.
    path("accounts/signup/", RedirectView.as_view(pattern_name="register_start")),
    # Sign-in pages sit beside allauth's (/accounts/…) and at /signin-help/: full paths there.
    path("", include("kosodate.accounts.views_signin")),
    path("mypage/", include("kosodate.accounts.views_mypage")),
    # Security settings (/mypage/security/…) and the SMS / email code step (/signin/second-step/).
    path("", include("kosodate.accounts.views_security")),
    path("staff/accounts/", include("kosodate.accounts.staff_views")),
]
