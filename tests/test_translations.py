"""Japanese first, English complete: the catalogues are whole, compiled and in step with the source,
and a page rendered in one language shows nothing of the other.

Fixing a failure: `scripts/messages <app>` (or `project`), fill every empty msgstr and remove every
"fuzzy" flag in the .po, then `scripts/messages --compile` (make does it; the .mo files are built,
not committed) and commit the .po.
"""

import gettext
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django import forms
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import AnnouncementFactory, MaintenanceWindowFactory

REPO = Path(__file__).resolve().parents[1]
NOT_OURS = {".venv", "venv", "node_modules", "staticfiles", ".git", "test-artifacts", "__pycache__"}
SOURCE_SUFFIXES = {".py", ".html", ".txt"}


def msgfmt(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """GNU msgfmt (Debian's gettext; `make messages` installs it)."""
    program = shutil.which("msgfmt")
    assert program, "msgfmt is missing: apt-get install gettext"
    return subprocess.run([program, *args], capture_output=True, text=True, check=check)  # noqa: S603


# --- A small .po reader (no polib dependency) -----------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstrs: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    # Extracted comments ("#." lines: {# Translators: … #} in templates, # Translators: in Python).
    comments: list[str] = field(default_factory=list)
    obsolete: bool = False
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    @property
    def untranslated(self) -> bool:
        return not self.msgstrs or any(not text for text in self.msgstrs)


def read_po(path: Path) -> list[Entry]:
    """Entries of a .po file, the header (msgid "") excluded."""
    entries: list[Entry] = []
    entry = Entry()
    current: str | None = None  # which string continuation lines ("...") extend

    def finish():
        nonlocal entry
        if entry.msgid or entry.msgctxt is not None:
            entries.append(entry)
        entry = Entry()

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            finish()
            current = None
            continue
        if line.startswith("#,"):
            if entry.msgstrs:
                finish()
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            if entry.msgstrs:
                finish()
            if line.startswith("#."):
                entry.comments.append(line[2:].strip())
            continue
        keyword, _, rest = line.partition(" ")
        if keyword in {"msgctxt", "msgid"} and entry.msgstrs:
            finish()
        if line.startswith('"'):
            value = json.loads(line)
        else:
            value = json.loads(rest)
            current = keyword
            entry.obsolete = entry.obsolete or obsolete
            entry.line = entry.line or number
        if current == "msgctxt":
            entry.msgctxt = (entry.msgctxt or "") + value
        elif current == "msgid":
            entry.msgid += value
        elif current == "msgid_plural":
            entry.msgid_plural = (entry.msgid_plural or "") + value
        elif current is not None and current.startswith("msgstr"):
            if not line.startswith('"'):
                entry.msgstrs.append("")
            entry.msgstrs[-1] += value
    finish()
    return entries


def live_entries(path: Path) -> list[Entry]:
    return [entry for entry in read_po(path) if not entry.obsolete]


def po_files() -> list[Path]:
    found = []
    for directory, dirnames, filenames in os.walk(REPO):
        dirnames[:] = sorted(d for d in dirnames if d not in NOT_OURS)
        found += [Path(directory, name) for name in filenames if name.endswith(".po")]
    return sorted(found)


def relative(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


PO_FILES = po_files()


def test_a_msgid_means_one_thing_across_the_catalogues():
    """Django merges every catalogue into one table: a msgid translated one way in one app and
    another way in another shows only one of the two, everywhere (the booking form's start time
    read 「開催日(この日以降)」, the events filter's "From"). A short msgid with two meanings takes
    a context (pgettext, `{% translate … context … %}`); the same meaning takes the same words."""
    translations: dict[tuple, dict[tuple, list[str]]] = {}
    for po in PO_FILES:
        for entry in live_entries(po):
            translations.setdefault(entry.key, {}).setdefault(tuple(entry.msgstrs), []).append(
                relative(po)
            )
    clashes = [
        f"{key[1]!r}"
        + (f" (context {key[0]!r})" if key[0] else "")
        + ": "
        + "; ".join(f"{' / '.join(text)} in {', '.join(where)}" for text, where in found.items())
        for key, found in translations.items()
        if len(found) > 1
    ]
    assert not clashes, "one msgid, several translations:\n" + "\n".join(clashes)


@pytest.mark.parametrize("po", PO_FILES, ids=relative)
def test_a_msgid_used_in_two_senses_has_a_context(po):
    """makemessages folds every use of a msgid into one entry, translator comments included: two
    different comments on one entry are two senses sharing one translation."""
    mixed = [
        f"line {entry.line}: {entry.msgid!r}: {entry.comments}"
        for entry in live_entries(po)
        if len(set(entry.comments)) > 1
    ]
    assert not mixed, "give each sense its own context (pgettext):\n" + "\n".join(mixed)


def test_the_sense_checks_notice_a_clash(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        "#. Translators: the start time of a booking\n#. Translators: the earliest event date\n"
        'msgid "From"\nmsgstr "開始時刻"\n\nmsgctxt "start time"\nmsgid "From"\nmsgstr "開始時刻"\n',
        encoding="utf-8",
    )
    entries = read_po(po)
    assert entries[0].comments == [
        "Translators: the start time of a booking",
        "Translators: the earliest event date",
    ]
    assert entries[1].key == ("start time", "From") and not entries[1].comments


def test_the_catalogues_exist():
    """Guards the parametrised tests below against passing by finding nothing."""
    names = {relative(path) for path in PO_FILES}
    assert "locale/ja/LC_MESSAGES/django.po" in names
    assert "kosodate/core/locale/ja/LC_MESSAGES/django.po" in names


def test_the_po_reader_sees_empty_fuzzy_and_plural_entries(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
        '#: a.html\nmsgid "Done"\nmsgstr "完了"\n\n'
        'msgid ""\n"Long "\n"text"\nmsgstr ""\n\n'
        '#, fuzzy, python-format\nmsgid "Hi %(n)s"\nmsgstr "やあ %(n)s"\n\n'
        'msgctxt "month"\nmsgid "May"\nmsgid_plural "Mays"\nmsgstr[0] ""\n\n'
        '#~ msgid "Old"\n#~ msgstr ""\n',
        encoding="utf-8",
    )
    entries = {entry.msgid: entry for entry in read_po(po)}
    assert set(entries) == {"Done", "Long text", "Hi %(n)s", "May", "Old"}
    assert not entries["Done"].untranslated
    assert entries["Long text"].untranslated
    assert "fuzzy" in entries["Hi %(n)s"].flags
    assert entries["May"].msgctxt == "month"
    assert entries["May"].untranslated
    assert entries["Old"].obsolete


# --- (a) complete: no empty msgstr, no fuzzy entry, placeholders intact ------------------------


@pytest.mark.parametrize("po", PO_FILES, ids=relative)
def test_catalogue_has_no_empty_or_fuzzy_entries(po):
    problems = [
        f"line {entry.line}: {'fuzzy' if 'fuzzy' in entry.flags else 'empty'}: {entry.msgid!r}"
        for entry in live_entries(po)
        if entry.untranslated or "fuzzy" in entry.flags
    ]
    assert not problems, (
        f"{relative(po)} has untranslated entries (fill the msgstr, drop the fuzzy flag, then "
        "scripts/messages --compile):\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("po", PO_FILES, ids=relative)
def test_catalogue_placeholders_match(po, tmp_path):
    """msgfmt --check-format: a Japanese string that loses or misspells %(name)s would crash or
    show the raw placeholder."""
    result = msgfmt("--check-format", "-o", str(tmp_path / "check.mo"), str(po), check=False)
    assert result.returncode == 0, result.stderr


# --- (b) compiled: each .mo says what its .po says --------------------------------------------------


def catalogue(mo: Path) -> dict:
    with mo.open("rb") as handle:
        messages = dict(gettext.GNUTranslations(handle)._catalog)
    # The header carries dates that every makemessages run changes; translations are what count.
    messages.pop("", None)
    return messages


@pytest.mark.parametrize("po", PO_FILES, ids=relative)
def test_compiled_catalogue_is_up_to_date(po, tmp_path):
    mo = po.with_suffix(".mo")
    assert mo.is_file(), (
        f"{relative(mo)} is missing: run scripts/messages --compile (or make messages)"
    )
    fresh = tmp_path / "fresh.mo"
    msgfmt("-o", str(fresh), str(po))
    committed, expected = catalogue(mo), catalogue(fresh)
    stale = sorted(
        str(key)
        for key in committed.keys() | expected.keys()
        if committed.get(key) != expected.get(key)
    )
    assert not stale, (
        f"{relative(mo)} is out of date with its .po (run scripts/messages --compile):\n"
        + "\n".join(stale[:20])
    )


def test_up_to_date_check_notices_a_stale_mo(tmp_path):
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    po = tmp_path / "django.po"
    po.write_text(header + 'msgid "Save"\nmsgstr "保存"\n', encoding="utf-8")
    msgfmt("-o", str(tmp_path / "django.mo"), str(po))
    po.write_text(header + 'msgid "Save"\nmsgstr "保存する"\n', encoding="utf-8")
    (tmp_path / "work").mkdir()
    with pytest.raises(AssertionError, match="out of date"):
        test_compiled_catalogue_is_up_to_date(po, tmp_path / "work")


# --- (c) in step with the source: makemessages finds nothing new ------------------------------------


def catalogue_roots() -> dict[str, tuple[Path, list[str]]]:
    """Each catalogue and the source it is made from, as scripts/messages makes it."""
    roots = {"project": (REPO, ["templates", "config"])}
    for apps_py in sorted(REPO.glob("kosodate/*/apps.py")):
        roots[apps_py.parent.name] = (apps_py.parent, ["."])
    return roots


def _copy_sources(source: Path, target: Path):
    def ignore(directory, names):
        return [
            name
            for name in names
            if name in NOT_OURS
            or name in {"locale", "migrations"}
            or (Path(directory, name).is_file() and Path(name).suffix not in SOURCE_SUFFIXES)
        ]

    shutil.copytree(source, target, ignore=ignore, dirs_exist_ok=True)


def missing_from_catalogue(name: str, root: Path, parts: list[str], work: Path) -> list[str]:
    """Run makemessages over a copy of the source, merged with a copy of the committed catalogue,
    and return the msgids the committed one lacks or leaves untranslated."""
    copy = work / name
    for part in parts:
        _copy_sources(root / part, copy / part)
    committed = root / "locale/ja/LC_MESSAGES/django.po"
    (copy / "locale/ja/LC_MESSAGES").mkdir(parents=True)
    if committed.is_file():
        shutil.copy(committed, copy / "locale/ja/LC_MESSAGES/django.po")
    # Without settings makemessages skips django.setup() (twice as fast) and extracts the same
    # strings. -P keeps the copy's directory off sys.path (an app's selectors.py would shadow the
    # standard library's).
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-P", "-m", "django", "makemessages", "-l", "ja", "--no-obsolete"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"makemessages failed for {name}:\n{result.stderr}"
    merged = copy / "locale/ja/LC_MESSAGES/django.po"
    if not merged.is_file():
        return []  # no translatable strings at all
    known = (
        {entry.key for entry in live_entries(committed) if not entry.untranslated}
        if committed.is_file()
        else set()
    )
    return sorted(
        entry.msgid
        for entry in live_entries(merged)
        if entry.key not in known or entry.untranslated or "fuzzy" in entry.flags
    )


def test_every_visible_string_is_in_a_catalogue(tmp_path):
    """A string added to a template or to Python code without a Japanese translation fails here."""
    roots = catalogue_roots()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(
            zip(
                roots,
                pool.map(
                    lambda item: missing_from_catalogue(item[0], *item[1], tmp_path),
                    roots.items(),
                ),
                strict=True,
            )
        )
    report = [
        f"{name} (scripts/messages {name}): {len(missing)} untranslated\n    "
        + "\n    ".join(repr(msgid) for msgid in missing[:15])
        for name, missing in results.items()
        if missing
    ]
    assert not report, "Strings without a Japanese translation:\n" + "\n".join(report)


def test_source_check_notices_a_new_string(tmp_path):
    """The check above really runs makemessages: a template with a fresh string is reported."""
    app = tmp_path / "source" / "demoapp"
    (app / "templates").mkdir(parents=True)
    (app / "templates/demo.html").write_text(
        '{% load i18n %}{% translate "Back to the top page" %} {% translate "A brand-new string" %}'
    )
    (app / "locale/ja/LC_MESSAGES").mkdir(parents=True)
    (app / "locale/ja/LC_MESSAGES/django.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Back to the top page"\nmsgstr "トップページへ戻る"\n',
        encoding="utf-8",
    )
    missing = missing_from_catalogue("demoapp", app, ["."], tmp_path / "work")
    assert missing == ["A brand-new string"]


# --- (d) rendered pages: no English on a Japanese page, no Japanese on an English one ------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
VISIBLE_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description"}
# Words that stay in Latin letters in Japanese text.
LATIN_IN_JAPANESE = {"Cookie", "SMS", "ID", "IP", "PDF", "QR"}
CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60]")


class VisibleText(HTMLParser):
    """Text a person sees or hears, with the language it is marked up in."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []
        self.chunks: list[tuple[str | None, str]] = []
        self.skip = 0

    def lang(self) -> str | None:
        return next((lang for _, lang in reversed(self.stack) if lang), None)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = attrs.get("lang")
        if tag in {"script", "style", "template"}:
            self.skip += 1
        for name in VISIBLE_ATTRIBUTES & attrs.keys():
            self.chunks.append((lang or self.lang(), attrs[name] or ""))
        if tag == "input" and attrs.get("type") in {"submit", "button", "reset"}:
            self.chunks.append((lang or self.lang(), attrs.get("value") or ""))
        if tag not in VOID:
            self.stack.append((tag, lang))

    def handle_endtag(self, tag):
        if tag in {"script", "style", "template"}:
            self.skip = max(0, self.skip - 1)
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.chunks.append((self.lang(), data))


def visible_text(html: str, language: str) -> str:
    """The visible text in `language` (elements marked up in another language left out)."""
    parser = VisibleText()
    parser.feed(html)
    return " ".join(text for lang, text in parser.chunks if lang in (None, language))


def english_words(text: str) -> list[str]:
    text = re.sub(r"https?://\S+|\S+@\S+", " ", text)
    return [word for word in re.findall(r"[A-Za-z]{2,}", text) if word not in LATIN_IN_JAPANESE]


@pytest.fixture
def pages(db, municipality):
    """The project's pages in their richest state (announcements, a planned maintenance, a form
    with errors), rendered in a language: pages('ja') → {name: html}."""
    AnnouncementFactory(importance="urgent")
    AnnouncementFactory(importance="important")
    announcement = AnnouncementFactory()
    soon = timezone.now() + timezone.timedelta(days=1)
    MaintenanceWindowFactory(
        starts_at=soon, ends_at=soon + timezone.timedelta(hours=2), announce_from=timezone.now()
    )

    class ExampleForm(forms.Form):
        email = forms.EmailField(label=translation.gettext_lazy("Email"))
        agree = forms.BooleanField(label=translation.gettext_lazy("Email"))
        hours = forms.ChoiceField(
            label=translation.gettext_lazy("Hours"),
            choices=[("a", "1"), ("b", "2")],
            widget=forms.RadioSelect,
            help_text=translation.gettext_lazy("Show password"),
        )

    def render(language: str) -> dict[str, str]:
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        strict = Client(HTTP_ACCEPT_LANGUAGE=language, enforce_csrf_checks=True)
        strict.cookies["csrftoken"] = "x" * 32  # a cookie, but no token: the "too old page" text
        html = {
            "home": client.get(reverse("home")),
            "announcement_list": client.get(reverse("announcement_list")),
            "announcement_detail": client.get(
                reverse("announcement_detail", args=[announcement.pk])
            ),
            "csrf_failure_no_cookie": Client(
                HTTP_ACCEPT_LANGUAGE=language, enforce_csrf_checks=True
            ).post(reverse("set_language"), {"language": language}),
            "csrf_failure": strict.post(reverse("set_language"), {"language": language}),
        }
        html = {name: response.content.decode() for name, response in html.items()}
        with translation.override(language):
            form = ExampleForm(data={"email": "not an address", "hours": "9"})
            html["form"] = Template("{{ form }}").render(Context({"form": form}))
        return html

    return render


def test_japanese_pages_show_no_english(pages):
    rendered = pages("ja")
    assert '<html lang="ja">' in rendered["home"]
    home = visible_text(rendered["home"], "ja")
    for japanese in (
        "本文へ移動",
        "お知らせ",
        "ログイン",
        "新規登録",
        "このサイトでできること",
        "一時預かり",
    ):
        assert japanese in home
    assert "入力内容を確認してください" in rendered["form"]
    assert "エラー：" in rendered["form"]
    assert "必須" in rendered["form"]
    leftovers = {name: english_words(visible_text(html, "ja")) for name, html in rendered.items()}
    leftovers = {name: words for name, words in leftovers.items() if words}
    assert not leftovers, f"English words on Japanese pages: {leftovers}"


def test_english_pages_show_no_japanese(pages):
    rendered = pages("en")
    assert '<html lang="en">' in rendered["home"]
    home = visible_text(rendered["home"], "en")
    for english in ("Skip to main content", "Sign in", "Register", "What you can do here"):
        assert english in home
    assert "Please check what you entered" in rendered["form"]
    leftovers = {}
    for name, html in rendered.items():
        found = CJK.findall(visible_text(html, "en"))
        if found:
            leftovers[name] = "".join(found)
    assert not leftovers, f"Japanese on English pages: {leftovers}"


def test_the_language_checks_can_fail():
    assert english_words(visible_text('<p>お知らせ</p><p lang="en">English</p>', "ja")) == []
    assert english_words(visible_text("<p>お知らせ Sign in</p>", "ja")) == ["Sign", "in"]
    assert english_words(visible_text('<a aria-label="Close">×</a>', "ja")) == ["Close"]
    assert CJK.findall(visible_text('<p>Sign in</p><button lang="ja">日本語</button>', "en")) == []
    assert CJK.findall(visible_text("<title>ログイン</title>", "en"))
