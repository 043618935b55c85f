from django import template

from ..navigation import navigation_for

register = template.Library()


@register.inclusion_tag("backoffice/includes/navigation.html", takes_context=True)
def staff_navigation(context):
    request = context["request"]
    return {"items": navigation_for(request.user, request.path)}
