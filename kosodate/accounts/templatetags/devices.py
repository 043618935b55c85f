"""`{{ user_agent|device }}`: "Chrome on Android" from a raw User-Agent string (the user-agents
package reads it), in the page's language, for the sign-in history and the sessions list."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def device(user_agent: str | None) -> str:
    if not user_agent:
        return ""
    # Imported here, not at the top: its parser tables take a tenth of a second to load, and the
    # system checks load every template library at each process start (the worker's included).
    from user_agents import parse

    agent = parse(user_agent)
    browser, system = agent.browser.family, agent.os.family
    if browser == "Other" and system == "Other":
        return _("Unknown browser")
    if system == "Other":
        return browser
    if browser == "Other":
        return system
    return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
