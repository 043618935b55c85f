from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from kosodate.core import dev_views, health, notification_views, observability
from kosodate.core import views as core_views

# The Django admin signs in through allauth: the same lockout, second step and event log.
admin.site.login = secure_admin_login(admin.site.login)

# A database that could not be reached is a 503 "try again" page, not a 500 (kosodate.core.views).
handler500 = "kosodate.core.views.server_error"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("announcements/", core_views.announcement_list, name="announcement_list"),
    path("announcements/<int:pk>/", core_views.announcement_detail, name="announcement_detail"),
    path("manifest.webmanifest", core_views.manifest, name="manifest"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", health.healthz, name="healthz"),
    path("healthz/serving", health.healthz_serving, name="healthz_serving"),
    path("metrics", observability.metrics, name="metrics"),
    path("dev/outbox/", dev_views.outbox_list, name="dev_outbox"),
    path("dev/outbox/<int:pk>/", dev_views.outbox_detail, name="dev_outbox_detail"),
    path("events/", include("kosodate.events.urls")),
    path("staff/events/", include("kosodate.events.staff_urls")),
    path("staff/health/", include("kosodate.health.staff_urls")),
    path("childcare/", include("kosodate.childcare.urls")),
    path("staff/childcare/", include("kosodate.childcare.staff_urls")),
    path("consultations/", include("kosodate.consultations.urls")),
    path("staff/consultations/", include("kosodate.consultations.staff_urls")),
    path("familysupport/", include("kosodate.familysupport.urls")),
    path("staff/familysupport/", include("kosodate.familysupport.staff_urls")),
    path("notifications/", notification_views.notification_list, name="notification_list"),
    path(
        "notifications/<int:pk>/read/",
        notification_views.notification_read,
        name="notification_read",
    ),
    path(
        "notifications/read-all/",
        notification_views.notification_read_all,
        name="notification_read_all",
    ),
    path("staff/", include("kosodate.backoffice.urls")),
    path("health/", include("kosodate.health.urls")),
    path("", include("kosodate.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
