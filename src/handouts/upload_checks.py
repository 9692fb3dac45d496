"""Check a logo or font file uploaded from the browser before it goes into the kit.

The kind of file is decided by its content (magic bytes, then a real parse), never by its
name. An SVG may hold nothing that runs or fetches: no scripts, event handlers,
``javascript:`` or outside links, ``<foreignObject>``, DOCTYPE or entities. Each refusal
is one line naming what was found.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
from pathlib import PurePosixPath, PureWindowsPath

from .errors import InputError

MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_LOGO_SIDE = 4000
"""Pixels along either side of a PNG or JPEG logo (a header logo needs a few hundred)."""
MAX_LOGO_PIXELS = 12_000_000
MAX_FONT_BYTES = 2 * 1024 * 1024
LOGO_KINDS = {"png": ".png", "jpeg": ".jpg", "svg": ".svg"}
"""Each logo kind and the suffix its file is saved with."""
NAME_SUFFIXES = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".svg": "svg"}
FONT_MAGIC = {
    b"\x00\x01\x00\x00": ".ttf",
    b"true": ".ttf",
    b"OTTO": ".otf",
    b"wOFF": ".woff",
    b"wOF2": ".woff2",
}
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
LINK_ATTRIBUTES = {"href", "src"}
"""Attributes (``xlink:href`` too) whose value is fetched or followed."""
ANIMATIONS = {"set", "animate"}
"""Elements that can set an attribute, ``href`` too, after the checks have read it."""
SAFE_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|jpg);base64,", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]*)", re.IGNORECASE)


class UploadRefused(InputError):
    """An uploaded file that does not go into the kit; the message says why, in one line."""


def _refuse(field: str, name: str, problem: str) -> UploadRefused:
    shown = f"{_base_name(name)!r} " if name else ""
    return UploadRefused(f"{field}: {shown}{problem}")


def _base_name(name: str) -> str:
    """The upload's file name without any folders (``../../x.png`` -> ``x.png``)."""
    return PureWindowsPath(PurePosixPath(name).name).name


def check_logo(data: bytes, name: str = "") -> str:
    """The logo's kind (``png``, ``jpeg`` or ``svg``), or UploadRefused saying why not."""
    if not data:
        raise _refuse("logo", name, "is empty; choose the logo file")
    if len(data) > MAX_LOGO_BYTES:
        raise _too_large("logo", name, len(data), MAX_LOGO_BYTES)
    kind = _logo_kind(data)
    if kind is None:
        raise _refuse("logo", name, "is not a PNG, JPEG or SVG image")
    said = NAME_SUFFIXES.get(PurePosixPath(_base_name(name)).suffix.lower())
    if said is not None and said != kind:
        raise _refuse(
            "logo", name, f"is a {kind.upper()} file, not {said.upper()} as its name says"
        )
    if kind == "svg":
        check_svg(data, name)
    else:
        _check_picture(data, name, kind)
    return kind


def _too_large(field: str, name: str, size: int, limit: int) -> UploadRefused:
    megabytes = limit / (1024 * 1024)
    return _refuse(field, name, f"is {size / (1024 * 1024):.1f} MB; at most {megabytes:g} MB")


def _logo_kind(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype", b"<html", b"<")):
        return "svg"  # markup: check_svg decides whether it really is an SVG
    return None


def _check_picture(data: bytes, name: str, kind: str) -> None:
    """A PNG or JPEG that Pillow reads whole, within the pixel limits."""
    from PIL import Image, UnidentifiedImageError

    label = kind.upper()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[label]) as image:
                width, height = image.size
                if max(width, height) > MAX_LOGO_SIDE or width * height > MAX_LOGO_PIXELS:
                    raise _refuse(
                        "logo",
                        name,
                        f"is {width} by {height} pixels; at most {MAX_LOGO_SIDE} pixels a side "
                        f"(a logo prints well at 600 pixels wide)",
                    )
                image.verify()
            with Image.open(io.BytesIO(data), formats=[label]) as image:
                image.load()  # verify() reads the chunks; this decodes every pixel
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse("logo", name, "has far too many pixels (a decompression bomb)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise _refuse("logo", name, f"is not a {label} image that can be read ({error})") from None


def check_svg(data: bytes, name: str = "") -> None:
    """Refuse an SVG that could run code, fetch anything, or expand entities."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    lowered = data.lower()
    if b"<!entity" in lowered:
        raise _refuse("logo", name, "has an ENTITY declaration (entity expansion is refused)")
    if b"<!doctype" in lowered:
        raise _refuse("logo", name, "has a DOCTYPE declaration; save the SVG without one")
    if b"<?xml-stylesheet" in lowered:
        raise _refuse("logo", name, "links a stylesheet (<?xml-stylesheet?>)")
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise _refuse("logo", name, f"is refused: {error}") from None
    except ParseError as error:
        raise _refuse(
            "logo", name, f"is not an SVG image: its XML cannot be read ({error})"
        ) from None
    if root.tag != f"{{{SVG_NAMESPACE}}}svg":
        found = _local(root.tag)
        raise _refuse("logo", name, f"is not an SVG image (its content is <{found}>, not <svg>)")
    for element in root.iter():
        tag = _local(element.tag)
        if tag == "script":
            raise _refuse("logo", name, "has a <script> element")
        if tag == "foreignObject":
            raise _refuse("logo", name, "has a <foreignObject> element (HTML inside the SVG)")
        if tag in ANIMATIONS and element.get("attributeName", "").endswith("href"):
            raise _refuse("logo", name, f"changes a link by animation (<{tag}> of href)")
        for attribute, value in element.attrib.items():
            _check_attribute(name, tag, _local(attribute), value)
        if tag == "style" and element.text:
            _check_css(name, "<style>", element.text)


def _local(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else str(tag)


def _check_attribute(name: str, tag: str, attribute: str, value: str) -> None:
    if attribute.lower().startswith("on"):
        raise _refuse("logo", name, f"has an event handler attribute ({attribute}= on <{tag}>)")
    if "javascript:" in re.sub(r"\s", "", value).lower():
        raise _refuse("logo", name, f"has a javascript: URL (in {attribute}= on <{tag}>)")
    if attribute in LINK_ATTRIBUTES and not _inside(value):
        raise _refuse("logo", name, f"links outside itself ({attribute}={_clip(value)} on <{tag}>)")
    _check_css(name, f"{attribute}= on <{tag}>", value)


def _check_css(name: str, where: str, css: str) -> None:
    if "@import" in css.lower():
        raise _refuse("logo", name, f"imports a stylesheet (@import in {where})")
    for target in CSS_URL.findall(css):
        if not _inside(target):
            raise _refuse("logo", name, f"links outside itself (url({_clip(target)}) in {where})")


def _inside(target: str) -> bool:
    """A same-document ``#fragment`` or an embedded PNG or JPEG: nothing is fetched."""
    target = target.strip()
    return target.startswith("#") or bool(SAFE_DATA_IMAGE.match(target))


def _clip(value: str) -> str:
    value = value.strip()
    return repr(value if len(value) <= 60 else value[:59] + "…")


def check_font(data: bytes, name: str = "", field: str = "font") -> str:
    """The suffix for a TTF, OTF, WOFF or WOFF2 font that fontTools reads, or UploadRefused."""
    from fontTools.ttLib import TTFont, TTLibError

    if not data:
        raise _refuse(field, name, "is empty; choose the font file")
    if len(data) > MAX_FONT_BYTES:
        raise _too_large(field, name, len(data), MAX_FONT_BYTES)
    suffix = FONT_MAGIC.get(data[:4])
    if suffix is None:
        raise _refuse(field, name, "is not a TTF, OTF, WOFF or WOFF2 font file")
    try:
        with TTFont(io.BytesIO(data), lazy=False) as font:
            if "cmap" not in font or not font.getBestCmap():
                raise _refuse(field, name, "is not a font that can be read (no character map)")
    except UploadRefused:
        raise
    except (TTLibError, OSError, AssertionError, KeyError, ValueError, struct.error) as error:
        raise _refuse(field, name, f"is not a font that can be read ({error})") from None
    return suffix


def font_family_name(data: bytes) -> str | None:
    """The family name a font file gives itself, if it gives one."""
    from fontTools.ttLib import TTFont

    with TTFont(io.BytesIO(data), lazy=True) as font:
        name = font["name"].getBestFamilyName() if "name" in font else None
    return name
