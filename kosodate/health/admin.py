"""Where a system administrator corrects the schedule rows when the national schedule changes
(each row keeps its source) and the checkups the municipality holds."""

from django.contrib import admin

from .models import (
    Checkup,
    CheckupSession,
    DoseRecord,
    HealthNotice,
    ScheduleRule,
    Vaccine,
)


class ScheduleRuleInline(admin.TabularInline):
    model = ScheduleRule
    extra = 0


@admin.register(Vaccine)
class VaccineAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "group", "sex", "order"]
    inlines = [ScheduleRuleInline]


@admin.register(ScheduleRule)
class ScheduleRuleAdmin(admin.ModelAdmin):
    list_display = [
        "vaccine",
        "band_from",
        "band_until",
        "dose_number",
        "label",
        "earliest_age",
        "min_interval",
        "last_until",
        "updated_at",
    ]
    list_filter = ["vaccine"]


class CheckupSessionInline(admin.TabularInline):
    model = CheckupSession
    extra = 0


@admin.register(Checkup)
class CheckupAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "age_from", "age_until", "method", "legal"]
    inlines = [CheckupSessionInline]


@admin.register(HealthNotice)
class HealthNoticeAdmin(admin.ModelAdmin):
    list_display = ["title", "age_from_months", "age_to_months", "published", "published_at"]


@admin.register(DoseRecord)
class DoseRecordAdmin(admin.ModelAdmin):
    list_display = ["child", "vaccine", "given_on", "created_at"]
    raw_id_fields = ["child", "recorded_by"]
