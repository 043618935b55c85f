"""Loading the shipped schedule and checkup data into their tables (the `health_load_schedule`
command and the tests). The data of each edition of the 定期接種実施要領 lives in its own
directory (data/r6: 令和6年4月1日施行版, data/r8: 令和8年10月1日改正); the newest is loaded, and a
data migration moves existing rows from one edition to the next. A row that exists is left as
staff corrected it unless `update=True`."""

import json
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
EDITION = "r8"  # 定期接種実施要領 令和8年10月1日改正
SCHEDULE_FILE = DATA_DIR / EDITION / "schedule_ja.json"
CHECKUPS_FILE = DATA_DIR / EDITION / "checkups_ja.json"

VACCINE_FIELDS = (
    "name",
    "name_en",
    "group",
    "sex",
    "order",
    "only_if_started",
    "note",
    "note_en",
    "source",
)
RULE_FIELDS = (
    "band_until",
    "label",
    "label_en",
    "earliest_age",
    "last_until",
    "advised_until",
    "rec_from",
    "rec_until",
    "min_interval",
    "interval_from_dose",
    "rec_interval_from",
    "rec_interval_until",
    "skip_when_late",
    "skip_after_previous",
    "source",
)
CHECKUP_FIELDS = (
    "name",
    "name_en",
    "age_from",
    "age_until",
    "method",
    "place",
    "place_en",
    "note",
    "note_en",
    "legal",
    "order",
    "source",
)


def schedule_data_load(
    *, vaccine_model, rule_model, path: Path = SCHEDULE_FILE, update: bool = False
) -> int:
    """Create missing vaccines and rule rows from the data file (and overwrite existing ones if
    `update`). Returns how many rows were created or changed."""
    from .schedule import rule_from_fields

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    changed = 0
    for item in data["vaccines"]:
        defaults = {field: item.get(field, _empty(field)) for field in VACCINE_FIELDS}
        vaccine, created = vaccine_model.objects.get_or_create(code=item["code"], defaults=defaults)
        if not created and update:
            vaccine_model.objects.filter(pk=vaccine.pk).update(**defaults)
        changed += created or update
        for row in item["rules"]:
            rule_from_fields({"vaccine": item["code"], **row})  # refuses a malformed age
            values = {field: row.get(field, _empty(field)) for field in RULE_FIELDS}
            rule, created = rule_model.objects.get_or_create(
                vaccine=vaccine,
                band_from=row.get("band_from", ""),
                dose_number=row["dose_number"],
                defaults=values,
            )
            if not created and update:
                rule_model.objects.filter(pk=rule.pk).update(**values)
            changed += created or update
    return changed


def checkup_data_load(*, checkup_model, path: Path = CHECKUPS_FILE, update: bool = False) -> int:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    changed = 0
    for item in data["checkups"]:
        defaults = {field: item.get(field, _empty(field)) for field in CHECKUP_FIELDS}
        checkup, created = checkup_model.objects.get_or_create(code=item["code"], defaults=defaults)
        if not created and update:
            checkup_model.objects.filter(pk=checkup.pk).update(**defaults)
        changed += created or update
    return changed


def _empty(field: str):
    if field == "interval_from_dose":
        return None
    if field in ("skip_when_late", "legal", "only_if_started"):
        return False
    if field == "order":
        return 0
    return ""


def schedule_from_file(path: Path = SCHEDULE_FILE):
    """(vaccines, rules) straight from the data file, without the database: what the engine's
    tests use, so each case checks the shipped rows."""
    from .schedule import VaccineInfo, rule_from_fields

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    vaccines, rules = [], []
    for item in data["vaccines"]:
        vaccines.append(
            VaccineInfo(
                code=item["code"],
                name=item["name"],
                group=item.get("group", ""),
                sex=item.get("sex", ""),
                order=item.get("order", 0),
                only_if_started=item.get("only_if_started", False),
            )
        )
        rules.extend(rule_from_fields({"vaccine": item["code"], **row}) for row in item["rules"])
    return vaccines, rules
