"""One English term per Japanese term (issue 12 item 9): docs/glossary.md is the table, and the
catalogues, templates and docs follow its enforced rows. A second English term for 利用者番号
("user ID" next to "member number") fails here."""

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GLOSSARY = REPO / "docs" / "glossary.md"


@dataclass(frozen=True)
class Term:
    japanese: str
    english: tuple[str, ...]  # the term, then its bracketed forms ("to register", "short: …")
    never: tuple[str, ...]
    enforced: bool


def glossary_terms(text: str) -> list[Term]:
    terms = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("Japanese", "") or set(cells[0]) <= {"-"}:
            continue
        japanese, english, never, enforced = cells
        main, _, bracket = english.partition(" (")
        forms = [main.strip()]
        for part in bracket.rstrip(")").split(","):
            part = re.sub(r"^(to|short:|long:)\s+", "", part.strip())
            if part and not part.startswith(("the ", "one ")):
                forms.append(part)
        terms.append(
            Term(
                japanese=japanese.split(" (")[0],
                english=tuple(forms),
                never=tuple(w.strip() for w in never.split(",") if w.strip() not in ("", "—")),
                enforced=enforced.startswith("yes"),
            )
        )
    return terms


def catalogue_entries(path: Path):
    """(msgid, msgstr) of each translated entry of a .po file (plural: the first form)."""
    msgid = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith('msgid "'):
            msgid = json.loads(line[6:])
        elif line.startswith(('msgstr "', 'msgstr[0] "')) and msgid:
            yield msgid, json.loads(line.split(" ", 1)[1])


def second_terms(term: Term, entries) -> list[str]:
    """The msgids whose Japanese uses `term` but whose English does not say it."""
    return [
        msgid
        for msgid, msgstr in entries
        if term.japanese in msgstr
        and not any(
            form.lower().replace("-", " ") in msgid.lower().replace("-", " ")
            for form in term.english
        )
    ]


def _tracked(*patterns: str) -> list[Path]:
    out = subprocess.run(  # noqa: S603
        ["git", "ls-files", *patterns],  # noqa: S607
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [REPO / name for name in out]


TERMS = glossary_terms(GLOSSARY.read_text(encoding="utf-8"))
CATALOGUES = _tracked("*.po")


def test_the_glossary_names_member_number_for_riyousha_bangou():
    by_japanese = {t.japanese: t for t in TERMS}
    assert by_japanese["利用者番号"].english[0] == "member number"
    assert by_japanese["利用者番号"].enforced
    assert "user ID" in by_japanese["利用者番号"].never
    assert len(TERMS) >= 10


@pytest.mark.parametrize("term", [t for t in TERMS if t.enforced], ids=lambda t: t.japanese)
def test_every_catalogue_uses_the_glossarys_english_term(term):
    problems = [
        f"{path.relative_to(REPO)}: {msgid!r}"
        for path in CATALOGUES
        for msgid in second_terms(term, catalogue_entries(path))
    ]
    assert not problems, (
        f"{term.japanese} is {term.english[0]!r} in English (docs/glossary.md), not:\n"
        + "\n".join(problems)
    )


def test_a_second_english_term_is_caught():
    """The check itself: "user ID" for 利用者番号 next to "member number" is reported."""
    [term] = [t for t in TERMS if t.japanese == "利用者番号"]
    entries = [
        ("Email address or member number", "メールアドレスまたは利用者番号"),
        ("User ID (利用者番号)", "利用者番号"),
    ]
    assert second_terms(term, entries) == ["User ID (利用者番号)"]


def test_no_never_word_in_the_ui_the_catalogues_or_the_docs():
    never = [(t.japanese, word) for t in TERMS for word in t.never]
    assert never
    files = [
        path
        for path in _tracked("*.po", "*.html", "*.txt", "*.md", "kosodate/*.py", "config/*.py")
        if path != GLOSSARY
    ]
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace").lower()
        found += [
            f"{path.relative_to(REPO)}: {word!r} (say the glossary's term for {japanese})"
            for japanese, word in never
            if re.search(rf"\b{re.escape(word.lower())}\b", text)
        ]
    assert not found, "\n".join(found)
