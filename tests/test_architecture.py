"""The floors the build enforces beyond import-linter (docs/architecture.md): module size."""

from pathlib import Path

KOSODATE = Path(__file__).resolve().parents[1] / "kosodate"
MAX_LINES = 600
# Modules written before the limit, with their size when it came: each may only shrink, and
# leaves this list once under the limit (issue 13: split by flow).
OVER_THE_LIMIT: dict[str, int] = {}


def test_no_module_grows_over_600_lines():
    too_long = {}
    for path in KOSODATE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        name = str(path.relative_to(KOSODATE))
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > OVER_THE_LIMIT.get(name, MAX_LINES):
            too_long[name] = lines
    assert not too_long, f"over {MAX_LINES} lines (split the module by flow): {too_long}"


def test_the_list_of_long_modules_only_names_long_modules():
    for name in OVER_THE_LIMIT:
        path = KOSODATE / name
        if path.exists():
            lines = len(path.read_text(encoding="utf-8").splitlines())
            assert lines > MAX_LINES, f"{name} is {lines} lines now: remove it from OVER_THE_LIMIT"


def test_views_query_no_model_directly():
    """Views read through selectors (access-checked getters) and write through services."""
    offenders = [
        f"{path.relative_to(KOSODATE)}:{number}"
        for path in KOSODATE.rglob("*views*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if ".objects." in line or ".objects\n" in line
    ]
    assert not offenders, offenders


def test_only_core_holidays_reads_the_holiday_calendar():
    """Japan's days off come from one module (core.holidays), for every service: no app builds
    its own table from the `holidays` library."""
    offenders = [
        f"{path.relative_to(KOSODATE)}:{number}"
        for path in KOSODATE.rglob("*.py")
        if path != KOSODATE / "core" / "holidays.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if line.lstrip().startswith(("import holidays", "from holidays"))
    ]
    assert not offenders, offenders
