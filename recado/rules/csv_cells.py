"""What a cell of an exported CSV may hold: a spreadsheet reads a cell that starts with
``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return before one) as a formula, so a
client's name like ``=HYPERLINK(...)`` would run in the operator's Excel (OWASP, CSV
injection). Such a cell is written with a leading apostrophe: shown as text, never run."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The longest cell an export writes: a peer's text is bounded like on the pages.
CELL_MAX = 2000


def safe_cell(value: object) -> str:
    """``value`` as text a spreadsheet shows as written; None is an empty cell."""
    if value is None:
        return ""
    text = str(value)[:CELL_MAX]
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
