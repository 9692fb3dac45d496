"""Markdown to safe HTML: python-markdown for structure, nh3 for safety."""

from __future__ import annotations

import re
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import markdown
import nh3
from markupsafe import escape

from .bidi import keep_ltr
from .nesting import HTML_TOO_DEEP, TooDeep, check_block_nesting

MARKDOWN_EXTENSIONS = ("tables", "admonition", "sane_lists")

SHIFTED_HEADING = re.compile(r"<(/?)h([1-6])\b", re.IGNORECASE)
ALLOWED_TAGS = {
    "p", "br", "hr", "h3", "h4", "pre", "code", "strong", "em", "b", "i", "ul", "ol", "li",
    "a", "img", "table", "thead", "tbody", "tr", "th", "td", "div", "span", "blockquote", "abbr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "th": {"align"},
    "td": {"align"},
}
# Admonitions ("!!! tip") become callout boxes; nothing else may set a class.
# (nh3 wants "class" left out of ALLOWED_ATTRIBUTES when classes are listed here.)
ALLOWED_CLASSES = {
    "div": {"admonition", "note", "tip", "warning", "important", "danger", "caution"},
    "p": {"admonition-title"},
}
URL_SCHEMES = {"https", "http", "mailto", "tel", "data"}
LINK_TARGET = re.compile(r"^(?:https?://|mailto:|tel:|#)", re.IGNORECASE)
IMAGE_SOURCE = re.compile(
    r"^(?:data:image/(?:png|jpeg|gif|webp|svg\+xml)[;,]|(?![a-z][a-z0-9+.-]*:)(?![/\\]))",
    re.IGNORECASE,
)


class UnsafeMarkup(ValueError):
    """Markdown that cannot become a safe, printable section; the message says why."""


class UnsafeImageError(UnsafeMarkup):
    """An image that would be fetched from outside the clinic kit."""


class NestedTooDeeply(UnsafeMarkup):
    """Lists, quotes or HTML nested deeper than Markdown and WeasyPrint can take."""


def markdown_to_html(
    text: str,
    image_folder: Path | None = None,
    placeholders: Mapping[str, str] | None = None,
    keep_values_ltr: bool = False,
) -> str:
    """Convert a content block's Markdown to sanitised HTML.

    Relative image paths are made absolute against ``image_folder`` (the block's
    own folder), so blocks from the kit and the built-in library can mix.
    ``placeholders`` maps tokens left in ``text`` to plain-text values; they are
    put in, HTML-escaped, after sanitising, so a value is never read as markup.
    ``keep_values_ltr`` (right-to-left text) keeps Latin values such as phone numbers
    in their own order. Text nested too deeply raises ``NestedTooDeeply`` (blocks read by
    ``content.read_block`` have been measured already).
    """
    try:
        check_block_nesting(text)
        html = markdown.markdown(text, extensions=list(MARKDOWN_EXTENSIONS), output_format="html")
        html = SHIFTED_HEADING.sub(_shift_heading, html)
        html = sanitise_html(html, image_folder, link_values=placeholders or {})
    except TooDeep as error:
        raise NestedTooDeeply(str(error)) from None
    except RecursionError:
        raise NestedTooDeeply(HTML_TOO_DEEP) from None
    for token, value in (placeholders or {}).items():
        html = html.replace(f'="{token}"', f'="{escape(value)}"')  # a link's target
        html = html.replace(token, keep_ltr(value) if keep_values_ltr else escape(value))
    return html


def sanitise_html(
    html: str, image_folder: Path | None = None, link_values: Mapping[str, str] | None = None
) -> str:
    """Strip scripts, event handlers, iframes, styles and foreign URLs from HTML.

    Links may point to web, mail and phone addresses (``link_values`` lets a
    placeholder token stand for one). Images must be relative paths (files in the
    kit) or ``data:`` images; any other image, or one without a source, raises
    ``UnsafeImageError`` instead of silently leaving a gap in the leaflet.
    """
    link_values = link_values or {}
    for source in image_sources(html):
        if not IMAGE_SOURCE.match(source):
            raise UnsafeImageError(
                f"image {source!r} is not allowed: put the picture in the clinic kit "
                "and use a relative path"
            )

    def keep_attribute(tag: str, attribute: str, value: str) -> str | None:
        if tag == "a" and attribute == "href":
            target = link_values.get(value, value)
            return value if LINK_TARGET.match(target) else None
        if tag == "img" and attribute == "src" and image_folder and not value.startswith("data:"):
            return urljoin(image_folder.resolve().as_uri() + "/", value)
        return value

    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        attribute_filter=keep_attribute,
        link_rel="noopener",
        strip_comments=True,
    )
    if any(not source for source in image_sources(clean, with_missing=True)):
        raise UnsafeImageError(
            "an image has no picture file: give it one, like ![Description](picture.png)"
        )
    return clean


def _shift_heading(match: re.Match[str]) -> str:
    """Headings inside a block sit below its title: # and ## become h3, the rest h4."""
    level = int(match.group(2))
    return f"<{match.group(1)}h{3 if level <= 3 else 4}"


def image_sources(html: str, with_missing: bool = False) -> list[str]:
    """Every image source in ``html`` (``img`` and ``image`` tags), read with an HTML parser.

    With ``with_missing``, an image without a ``src`` counts as an empty source.
    """
    sources: list[str] = []

    class ImageFinder(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in ("img", "image"):
                found = [value or "" for name, value in attrs if name == "src"]
                sources.extend(found or ([""] if with_missing else []))

        handle_startendtag = handle_starttag

    finder = ImageFinder(convert_charrefs=True)
    finder.feed(html)
    finder.close()
    return sources
