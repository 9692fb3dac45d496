"""Right-to-left pages: keep Latin values (phone numbers, addresses, links) in order.

In an Arabic or Hebrew paragraph the groups of "020 7946 0321" would be laid out right
to left, printing a wrong-looking number. Wrapping such values in an element with
``dir="ltr"`` isolates them, so they read exactly as typed. In left-to-right pages the
wrapper would change nothing, so it is only added there.
"""

from __future__ import annotations

import re

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

RTL_LETTERS = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


@pass_context
def ltr_filter(context: Context, value: object) -> Markup:
    """The ``ltr`` template filter: ``keep_ltr`` on a right-to-left page, else plain text."""
    if context.get("direction") == "rtl":
        return keep_ltr(value)
    return escape(str(value))


def keep_ltr(value: object) -> Markup:
    """``value`` escaped, and isolated left-to-right unless it is itself right-to-left text."""
    text = str(value)
    if not text or RTL_LETTERS.search(text):
        return escape(text)
    return Markup('<span dir="ltr">{}</span>').format(text)
