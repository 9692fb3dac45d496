"""QR codes on leaflets: the clinic's booking page or a treatment's video, as SVG.

The link is always printed beside the code too, for anyone who cannot scan it.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno


@dataclass(frozen=True)
class QrCode:
    """A QR code ready for the template."""

    url: str
    text: str
    """The link as printed: without ``https://``."""
    image: str
    """The code as an SVG ``data:`` URL (black on white, for any phone to read)."""
    caption: str
    """What scanning gives, in the leaflet's language."""
    kind: str = "booking"
    """``booking`` or ``video``: a personal copy shows a booking code in its panel."""


def qr_code(url: str, caption: str, kind: str = "booking") -> QrCode:
    """A QR code for ``url`` (error correction M: still reads when a little worn)."""
    code = segno.make(url, error="m", micro=False)
    image = code.svg_data_uri(border=2, dark="#000000", light="#ffffff", xmldecl=False)
    text = url.split("://", 1)[-1].rstrip("/")
    return QrCode(url=url, text=text, image=image, caption=caption, kind=kind)
