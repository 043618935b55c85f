"""The one way the system writes CSV: every cell a spreadsheet could run as a formula is
neutralised (CSV/formula injection, OWASP; ASVS 1.2.10).

A resident types their child's allergies; staff open the participants list in Excel. A cell that
starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which spreadsheets skip
before looking for one) is read as a formula: ``=HYPERLINK(...)`` becomes a live link that can
send the row to anyone. Such a cell gets a leading apostrophe, which spreadsheets show as text and
hide; the full-width forms are included, since Japanese input methods produce them. Numbers stay
numbers (a negative count is not a formula); only text is touched.

Use ``csv_response(filename, rows)`` for a download, or ``csv_writer(file)`` to write elsewhere:
never ``csv.writer`` directly.
"""

import csv as _csv
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse

# Leading characters that make a cell a formula (or hide one): OWASP's list, and their
# full-width forms.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

# Excel on Japanese Windows reads a CSV without a byte-order mark as Shift_JIS.
BOM = "\ufeff"


def csv_cell(value: Any) -> Any:
    """`value` as it may go into a CSV cell: text that a spreadsheet would run is made inert;
    None becomes an empty cell; numbers and everything else are left to the csv module."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvWriter:
    """`csv.writer` with every cell passed through `csv_cell`."""

    def __init__(self, file, **kwargs):
        self._writer = _csv.writer(file, **kwargs)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(file, **kwargs) -> SafeCsvWriter:
    """A CSV writer on `file` that neutralises formulas (keyword arguments as `csv.writer`)."""
    return SafeCsvWriter(file, **kwargs)


def csv_response(filename: str, rows: Iterable[Iterable[Any]]) -> HttpResponse:
    """A UTF-8 CSV download (with a byte-order mark for Excel) of `rows`, neutralised."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write(BOM)
    csv_writer(response).writerows(rows)
    return response
