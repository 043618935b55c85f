from django.contrib import admin
from django.db import models
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import registry, services
from .forms import AnnouncementForm, MaintenanceWindowForm, MunicipalityForm
from .models import (
    Announcement,
    AuditLog,
    MaintenanceWindow,
    Municipality,
    NotificationPreference,
    OutboundMessage,
)


def _adopt(obj: models.Model, created: models.Model) -> None:
    """Make the admin's unsaved instance the row a create service just saved: the admin goes on
    to log and redirect with its own instance."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(created, field.attname))
    obj._state.adding = False
    obj._state.db = created._state.db


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    """The one municipality row: profile, counter, services, account rules."""

    form = MunicipalityForm
    fieldsets = (
        (
            _("Profile"),
            {"fields": ("name", "name_en", "code", "system_name", "system_name_en")},
        ),
        (
            _("Counter (窓口)"),
            {
                "description": _("Shown at the bottom of every page and named in emails."),
                "fields": (
                    "counter_name",
                    "counter_name_en",
                    "counter_address",
                    "counter_address_en",
                    "counter_phone",
                    "counter_email",
                    "counter_hours",
                    "counter_hours_en",
                ),
            },
        ),
        (
            _("Services"),
            {
                "description": _("Which services this municipality offers."),
                "fields": Municipality.SERVICE_FLAGS,
            },
        ),
        (
            _("Account rules"),
            {
                "description": _(
                    "Defaults follow the security requirements; a municipality may tighten them."
                ),
                "fields": (
                    "lockout_threshold",
                    "lockout_minutes",
                    "password_requires_letters_and_digits",
                    "password_change_reminder_days",
                    "email_second_step_enabled",
                    "trusted_browser_days",
                    "require_counter_identity_check",
                    "identity_check_instructions",
                    "identity_check_instructions_en",
                    "allow_outside_residents",
                    "ask_residence_code",
                ),
            },
        ),
    )
    readonly_fields = ("updated_at",)

    def get_fieldsets(self, request, obj=None):
        """A service's switch only for a service that is installed: switching on one that is
        not would promise families something with nothing behind it."""
        installed = {service.flag for service in registry.services()}
        return [
            (
                title,
                {
                    **options,
                    "fields": tuple(
                        name
                        for name in options["fields"]
                        if name not in Municipality.SERVICE_FLAGS or name in installed
                    ),
                },
            )
            for title, options in self.fieldsets
        ]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not Municipality.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # There is only ever one row: open it instead of listing it.
        if Municipality.objects.filter(pk=Municipality.SINGLETON_ID).exists():
            return redirect(
                reverse("admin:core_municipality_change", args=[Municipality.SINGLETON_ID])
            )
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        services.municipality_save(
            municipality=obj, actor=request.user, changed_fields=form.changed_data, request=request
        )


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    form = AnnouncementForm
    list_display = ("title", "importance", "published", "starts_at", "ends_at")
    list_filter = ("importance", "published")
    search_fields = ("title", "title_en", "body")
    fields = (
        "title",
        "title_en",
        "body",
        "body_en",
        "importance",
        "starts_at",
        "ends_at",
        "published",
    )

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in services.ANNOUNCEMENT_EDITABLE_FIELDS}
        if change:
            services.announcement_update(
                announcement=obj, actor=request.user, request=request, **data
            )
        else:
            _adopt(obj, services.announcement_create(actor=request.user, request=request, **data))
        if "published" in form.changed_data:
            change_published = (
                services.announcement_publish
                if form.cleaned_data["published"]
                else services.announcement_unpublish
            )
            change_published(announcement=obj, actor=request.user, request=request)

    def delete_model(self, request, obj):
        services.announcement_delete(announcement=obj, actor=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for announcement in queryset:
            services.announcement_delete(
                announcement=announcement, actor=request.user, request=request
            )


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    """System administrators schedule windows here (and can end one while it is on: the admin
    stays reachable during maintenance)."""

    form = MaintenanceWindowForm
    list_display = ("starts_at", "ends_at", "announce_from", "message", "created_by")
    fields = ("starts_at", "ends_at", "announce_from", "message", "message_en")
    date_hierarchy = "starts_at"

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in services.MAINTENANCE_EDITABLE_FIELDS}
        if change:
            services.maintenance_window_update(
                window=obj, actor=request.user, request=request, **data
            )
        else:
            _adopt(
                obj, services.maintenance_window_create(actor=request.user, request=request, **data)
            )

    def delete_model(self, request, obj):
        services.maintenance_window_delete(window=obj, actor=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for window in queryset:
            services.maintenance_window_delete(window=window, actor=request.user, request=request)


class DeliveryProblemFilter(admin.SimpleListFilter):
    title = _("delivery problem")
    parameter_name = "problem"

    def lookups(self, request, model_admin):
        return [
            ("any", _("Failed or stuck")),
            ("failed", _("Failed")),
            ("stuck", _("Stuck (waiting far too long)")),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "any":
                return queryset.needing_attention()
            case "failed":
                return queryset.failed()
            case "stuck":
                return queryset.stuck()
        return queryset


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    """The outbox: every email and SMS. Staff find the ones that could not be delivered with the
    "delivery problem" filter and send them again with the retry action (docs/operations.md).
    Nothing here is edited or deleted."""

    list_display = (
        "created_at",
        "channel",
        "recipient",
        "subject",
        "kind",
        "status",
        "attempts",
        "next_attempt_at",
    )
    list_filter = (DeliveryProblemFilter, "status", "channel", "kind")
    search_fields = ("recipient", "subject")
    actions = ["retry"]
    fields = (
        "channel",
        "recipient",
        "user",
        "kind",
        "subject",
        "body",
        "redacted",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "sent_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The list (and its retry action) needs the change permission; a single message is only
        # ever looked at.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send again (failed or stuck messages)"), permissions=["change"])
    def retry(self, request, queryset):
        retried = sum(
            services.message_retry(message=message, actor=request.user, request=request)
            for message in queryset
        )
        if retried:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message was queued to be sent again.",
                    "%(count)d messages were queued to be sent again.",
                    retried,
                )
                % {"count": retried},
                level="success",
            )
        if skipped := len(queryset) - retried:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message was left alone: it is neither failed nor stuck.",
                    "%(count)d messages were left alone: they are neither failed nor stuck.",
                    skipped,
                )
                % {"count": skipped},
                level="warning",
            )


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only: nobody edits or deletes the audit trail through the admin."""

    list_display = ("created_at", "actor", "action", "target_type", "target_id", "ip_address")
    list_filter = ("action",)
    search_fields = ("action", "target_id", "actor__email", "subject_user__email")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email", "sms_urgent", "updated_at"]
    raw_id_fields = ["user"]
