from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FamilySupportConfig(AppConfig):
    name = "kosodate.familysupport"
    label = "familysupport"
    verbose_name = _("Family support")
