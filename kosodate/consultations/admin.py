"""The consultations' data a system administrator keeps: rules, topics and their routing, emergency
words, answer templates and who has the consultations role. Consultations themselves are not in
the admin: they are opened only through the audited staff pages."""

from django.contrib import admin

from .models import AnswerTemplate, ConsultationRules, EmergencyWord, StaffMember, Topic


@admin.register(ConsultationRules)
class ConsultationRulesAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return not ConsultationRules.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "profession", "order", "active")
    list_editable = ("profession", "order", "active")


@admin.register(EmergencyWord)
class EmergencyWordAdmin(admin.ModelAdmin):
    list_display = ("word", "kind", "active")
    list_filter = ("kind", "active")


@admin.register(AnswerTemplate)
class AnswerTemplateAdmin(admin.ModelAdmin):
    list_display = ("title", "topic", "order")
    list_filter = ("topic",)


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ("user", "profession", "active")
    list_filter = ("profession", "active")
    raw_id_fields = ("user",)
