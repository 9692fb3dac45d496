"""The demo leaflet's assembled HTML is kept in tests/reference/, so changes show as diffs.

After an intended change, refresh it with:
    HANDOUTS_UPDATE_REFERENCE=1 pytest tests/test_reference.py
and review ``git diff tests/reference``.
"""

from __future__ import annotations

import os
from pathlib import Path

from handouts import assemble_html, load_clinic
from handouts.paths import DEMO_CLINIC_DIR, builtin_dir

REFERENCE = Path(__file__).parent / "reference" / "microneedling.html"


def portable(html: str) -> str:
    """Replace this machine's folders with stable names."""
    for name in ("styles", "templates", "content"):
        html = html.replace(builtin_dir(name).as_uri(), f"BUILTIN/{name}")
    return html.replace(DEMO_CLINIC_DIR.as_uri(), "DEMO")


def test_demo_html_matches_reference():
    html = portable(assemble_html(["microneedling"], load_clinic()).html)
    if os.environ.get("HANDOUTS_UPDATE_REFERENCE"):
        REFERENCE.write_text(html, encoding="utf-8")
    assert html == REFERENCE.read_text(encoding="utf-8"), (
        "assembled HTML changed: if intended, refresh with HANDOUTS_UPDATE_REFERENCE=1"
    )
