"""accounts' services are split by flow (issue 13, item 6): each module stays readable, and the
email rendering lives in accounts/emails.py, so the allauth adapter and the services no longer
import each other."""

import ast
from pathlib import Path

ACCOUNTS = Path(__file__).resolve().parents[2] / "kosodate" / "accounts"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_each_flow_module_is_under_400_lines():
    modules = sorted((ACCOUNTS / "services").glob("*.py"))
    assert {p.stem for p in modules} >= {
        "registration",
        "signin",
        "mypage",
        "counter",
        "second_step",
    }
    too_long = {p.name: n for p in modules if (n := len(p.read_text().splitlines())) >= 400}
    assert not too_long


def test_services_and_emails_never_import_the_adapter():
    for path in [*(ACCOUNTS / "services").glob("*.py"), ACCOUNTS / "emails.py"]:
        imported = _imports(path)
        assert not {"..adapter", ".adapter", "kosodate.accounts.adapter"} & imported, path.name
    assert not {".services", "kosodate.accounts.services"} & _imports(ACCOUNTS / "emails.py")
