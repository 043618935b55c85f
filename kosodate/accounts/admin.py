"""System administrators' view of accounts data. Residents' households and children, identity
checks, locks and authentication events are read-only here: changes go through My Page or the
counter pages, whose services write the audit log. Opening a household or a child here is
audit-logged too (SECURITY.md: every look at a resident's record)."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from kosodate.core.services import admin_object_viewed

from .models import AccountLock, AuthEvent, Child, Household, IdentityCheck, TermsVersion, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "role", "is_staff", "is_active", "date_joined")
    list_filter = ("role", "identity_status", "is_staff", "is_superuser", "is_active")
    search_fields = ("username", "email", "last_name", "first_name", "last_name_kana")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            "Kosodate",
            {
                "fields": (
                    "role",
                    "last_name_kana",
                    "first_name_kana",
                    "phone",
                    "household",
                    "identity_status",
                    "preferred_language",
                    "password_changed_at",
                    "details_confirmed_at",
                )
            },
        ),
    )
    # The identity status changes only through a recorded identity check at the counter.
    readonly_fields = (
        "household",
        "identity_status",
        "password_changed_at",
        "details_confirmed_at",
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedReadOnlyAdmin(ReadOnlyAdmin):
    """Read-only, and each opened record is written to the audit log."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            admin_object_viewed(actor=request.user, obj=obj, request=request)
        return super().change_view(request, object_id, form_url, extra_context)


class ChildInline(admin.TabularInline):
    model = Child
    fields = ("last_name", "first_name", "last_name_kana", "first_name_kana", "birth_date", "sex")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Household)
class HouseholdAdmin(AuditedReadOnlyAdmin):
    list_display = ("pk", "postal_code", "prefecture", "city", "municipality_code", "created_at")
    list_filter = ("municipality_code",)
    search_fields = ("postal_code", "guardians__username", "guardians__email")
    exclude = ("residence_code",)
    readonly_fields = ("residence_code_masked",)
    inlines = [ChildInline]

    @admin.display(description=_("住民票コード"))
    def residence_code_masked(self, obj):
        return obj.residence_code_masked


@admin.register(Child)
class ChildAdmin(AuditedReadOnlyAdmin):
    list_display = ("pk", "household", "birth_date", "sex", "created_at")
    list_select_related = ("household",)
    date_hierarchy = "birth_date"


@admin.register(TermsVersion)
class TermsVersionAdmin(admin.ModelAdmin):
    """New versions are added here (everyone is asked to accept the newest one in effect). A
    version somebody accepted is kept as it was: it records what they agreed to."""

    list_display = ("version", "title", "effective_at", "created_at")

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.acceptances.exists():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.acceptances.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(IdentityCheck)
class IdentityCheckAdmin(ReadOnlyAdmin):
    list_display = ("checked_at", "user", "method", "purpose", "checked_by")
    list_filter = ("method", "purpose")
    list_select_related = ("user", "checked_by")
    search_fields = ("user__username", "user__email")


@admin.register(AccountLock)
class AccountLockAdmin(ReadOnlyAdmin):
    """Unlocking is done at the counter page (/staff/accounts/), which logs it."""

    list_display = ("user", "failed_count", "locked_until", "last_failure_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email")


@admin.register(AuthEvent)
class AuthEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "user", "ip_address")
    list_filter = ("kind",)
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email", "ip_address")
    date_hierarchy = "created_at"
