"""Every URL pattern of the project, as concrete paths: for tests that must cover each one
(no 500 on extreme values, Cache-Control on private pages). A new URL is walked without a line
here; only a new kind of path parameter needs a value below."""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, PathConverter, SlugConverter, StringConverter
from django.urls.resolvers import RegexPattern, RoutePattern


@dataclass(frozen=True)
class Pattern:
    route: str  # the pattern as written, for test ids
    name: str  # namespace:name, or the route when unnamed
    parts: tuple  # literal strings and (parameter name, converter or None) pairs

    def path(self, value_for) -> str | None:
        """The path with each parameter replaced by `value_for(name, converter)`; None when a
        value does not fit the parameter (so the URL would not route here)."""
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            name, converter = part
            value = str(value_for(name, converter))
            if converter is not None and not re.fullmatch(converter.regex, value):
                return None
            out.append(value)
        return "/" + "".join(out)


_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(\w+)>([^()]*)\)")


def _parts(pattern, converters: dict) -> list:
    text = str(pattern)
    parts: list = []
    if isinstance(pattern, RoutePattern):
        last = 0
        for match in _ROUTE_PARAM.finditer(text):
            parts.append(text[last : match.start()])
            name = match["parameter"]
            parts.append((name, converters.get(name)))
            last = match.end()
        parts.append(text[last:])
    else:
        assert isinstance(pattern, RegexPattern)
        text = text.removeprefix("^").removesuffix("$")
        last = 0
        for match in _REGEX_GROUP.finditer(text):
            parts.append(text[last : match.start()])
            parts.append((match[1], _RegexConverter(match[2])))
            last = match.end()
        parts.append(text[last:])
    return [p for p in parts if p != ""]


class _RegexConverter:
    """A named group of a regex pattern (admin's app_label, allauth's keys), with a value that
    routes to it: the first alternative of a list of names (admin/<app_label>/ routes only the
    installed apps' labels), or a word."""

    def __init__(self, regex: str):
        self.regex = regex
        first = regex.split("|")[0]
        self.sample = next(v for v in (first, "x", "1") if re.fullmatch(regex, v))


def _walk(patterns, prefix: list, namespace: str | None) -> Iterator[Pattern]:
    for entry in patterns:
        converters = getattr(entry.pattern, "converters", {})
        parts = prefix + _parts(entry.pattern, converters)
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            if entry.namespace and namespace:
                ns = f"{namespace}:{entry.namespace}"
            yield from _walk(entry.url_patterns, parts, ns)
        else:
            assert isinstance(entry, URLPattern)
            route = "".join(p if isinstance(p, str) else f"<{p[0]}>" for p in parts)
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield Pattern(route=route, name=name or route, parts=tuple(parts))


def url_patterns() -> list[Pattern]:
    """Every URL pattern the project routes, Django's admin and allauth included."""
    return list(_walk(get_resolver().url_patterns, [], None))


def converter_kind(converter) -> str:
    if isinstance(converter, IntConverter):
        return "int"
    if isinstance(converter, SlugConverter):
        return "slug"
    if isinstance(converter, PathConverter):
        return "path"
    if isinstance(converter, StringConverter):
        return "str"
    return "regex"
