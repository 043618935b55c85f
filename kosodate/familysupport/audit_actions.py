"""ファミサポ's audit vocabulary (kosodate.core.audit), registered from apps.py."""

from django.utils.translation import gettext_lazy as _

from kosodate.core import audit

ACTIONS = {
    "familysupport.member.apply": _("Family support: membership applied for"),
    "familysupport.member.confirm": _("Family support: membership confirmed"),
    "familysupport.session.create": _("Family support: session published"),
    "familysupport.session.attendance": _("Family support: attendance recorded"),
    "familysupport.supporter.approve": _("Family support: supporter approved"),
    "familysupport.insurance.record": _("Family support: insurance recorded"),
    "familysupport.request.create": _("Family support: request sent"),
    "familysupport.request.ask": _("Family support: supporters asked"),
    "familysupport.request.cancel": _("Family support: request withdrawn"),
    "familysupport.request.propose": _("Family support: supporter proposed"),
    "familysupport.offer.accept": _("Family support: request accepted"),
    "familysupport.meeting.schedule": _("Family support: first meeting arranged"),
    "familysupport.meeting.held": _("Family support: first meeting held"),
    "familysupport.meeting.waive": _("Family support: first meeting waived"),
    "familysupport.activity.cancel": _("Family support: activity cancelled"),
    "familysupport.activity.change": _("Family support: activity changed"),
    "familysupport.activity.no_show": _("Family support: no-show recorded"),
    "familysupport.activity.supporter": _("Family support: activity given to another supporter"),
    "familysupport.report.file": _("Family support: activity report filed"),
    "familysupport.report.confirm": _("Family support: report confirmed"),
    "familysupport.report.dispute": _("Family support: report disputed"),
    "familysupport.report.settle": _("Family support: dispute settled"),
    "familysupport.payment.record": _("Family support: payment recorded"),
    "familysupport.month.close": _("Family support: month closed"),
    "familysupport.record.view": _("Family support: member's record viewed"),
    "familysupport.report.csv": _("Family support: national report downloaded"),
}

for _key, _label in ACTIONS.items():
    audit.register(_key, _label)
