from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChildcareConfig(AppConfig):
    name = "kosodate.childcare"
    label = "childcare"
    verbose_name = _("Temporary childcare")
