"""System administrators set up facilities, their staff and the municipality's rules here; the
day-to-day work (bookings, capacity per day, closures) happens in the back office."""

from django.contrib import admin
from django.core.cache import cache

from .models import Booking, BookingEvent, ChildcareRules, Facility, FacilityStaff, Registration
from .rules import RULES_CACHE_KEY


@admin.register(ChildcareRules)
class ChildcareRulesAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return not ChildcareRules.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.pk = ChildcareRules.SINGLETON_ID
        super().save_model(request, obj, form, change)
        cache.delete(RULES_CACHE_KEY)


class FacilityStaffInline(admin.TabularInline):
    model = FacilityStaff
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = ["name", "area", "capacity_mode", "requires_interview", "is_active"]
    list_filter = ["area", "is_active", "capacity_mode"]
    search_fields = ["name", "name_en", "address"]
    inlines = [FacilityStaffInline]


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["facility", "child", "status", "interview_at", "created_at"]
    list_filter = ["status", "facility"]
    raw_id_fields = ["child", "household", "requested_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    can_delete = False
    readonly_fields = ["status", "actor", "note", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Read-only: every change to a booking goes through the services (locks, notices)."""

    list_display = ["code", "facility", "date", "child", "status", "created_at"]
    list_filter = ["status", "facility", "date"]
    search_fields = ["code"]
    inlines = [BookingEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
