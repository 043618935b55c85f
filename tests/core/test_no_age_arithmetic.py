"""Ages and intervals are counted in one place, kosodate/core/ages.py (issue 11, ARCHITECTURE.md
habit 12). Four copies of the arithmetic once disagreed about a child born on 31 January; this
test fails on any new one, anywhere else in the source tree."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
THE_MODULE = ROOT / "kosodate" / "core" / "ages.py"

# Each pattern is a way ages or intervals get counted by hand.
FORBIDDEN = {
    "relativedelta": re.compile(r"\brelativedelta\b"),
    "date.replace(year=…)": re.compile(r"\.replace\(\s*year\s*="),
    "a birth date plus or minus a timedelta": re.compile(
        r"\bbirth\w*\s*[-+]\s*(\w+\.)?timedelta\b"
    ),
    "a birth date's year, month or day": re.compile(r"\bbirth\w*\.(year|month|day)\b"),
    "years counted in days": re.compile(
        r"timedelta\(\s*days\s*=\s*36[56]\b.*\bbirth|\bbirth.*timedelta\(\s*days\s*=\s*36[56]\b"
    ),
    "a hand-made age or school helper": re.compile(
        r"\bdef\s+(age_in_\w+|age_on|age_at|age_reached|add_months|_add_months|months_between"
        r"|school_entry|interval_end)\b"
    ),
}


def _sources():
    for folder in ("kosodate", "config"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path != THE_MODULE:
                yield path


def offending_lines(paths) -> list[str]:
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            for what, pattern in FORBIDDEN.items():
                if pattern.search(code):
                    name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
                    found.append(f"{name}:{number}: {what}: {line.strip()}")
    return found


def test_no_module_outside_core_ages_counts_ages_or_intervals():
    found = offending_lines(_sources())
    assert not found, (
        "Count ages and intervals with kosodate/core/ages.py (the law's rules, tested once):\n"
        + "\n".join(found)
    )


@pytest.mark.parametrize(
    "line",
    [
        "from dateutil.relativedelta import relativedelta",
        "anniversary = birth.replace(year=birth.year + 1)",
        "youngest = birth_date + timedelta(days=57)",
        "years = on.year - birth_date.year",
        "children = Child.objects.filter(birth_date__gt=today - timedelta(days=366 * 17))",
        "def age_in_months(birth_date, on):",
        "def school_entry(birth):",
    ],
)
def test_the_scan_catches_the_copies_it_replaced(tmp_path, line):
    module = tmp_path / "copy.py"
    module.write_text(line + "\n", encoding="utf-8")
    assert offending_lines([module])
