"""Markdown to safe HTML: python-markdown for structure, nh3 for safety."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import markdown
import nh3

MARKDOWN_EXTENSIONS = ("tables", "admonition", "sane_lists")

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h3",
    "h4",
    "strong",
    "em",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "a",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "div",
    "span",
    "blockquote",
    "abbr",
}
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


class UnsafeImageError(ValueError):
    """An image that would be fetched from outside the clinic kit."""


def markdown_to_html(text: str, image_folder: Path | None = None) -> str:
    """Convert a content block's Markdown to sanitised HTML.

    Relative image paths are made absolute against ``image_folder`` (the block's
    own folder), so blocks from the kit and the built-in library can mix.
    """
    html = markdown.markdown(text, extensions=list(MARKDOWN_EXTENSIONS), output_format="html")
    return sanitise_html(html, image_folder)


def sanitise_html(html: str, image_folder: Path | None = None) -> str:
    """Strip scripts, event handlers, iframes, styles and foreign URLs from HTML.

    Links may point to web, mail and phone addresses. Images must be relative
    paths (files in the kit) or ``data:`` images; any other image source raises
    ``UnsafeImageError`` instead of being silently dropped from the leaflet.
    """
    for source in _image_sources(html):
        if not IMAGE_SOURCE.match(source):
            raise UnsafeImageError(
                f"image {source!r} is not allowed: put the picture in the clinic kit "
                "and use a relative path"
            )

    def keep_attribute(tag: str, attribute: str, value: str) -> str | None:
        if tag == "a" and attribute == "href":
            return value if LINK_TARGET.match(value) else None
        if tag == "img" and attribute == "src" and image_folder and not value.startswith("data:"):
            return urljoin(image_folder.resolve().as_uri() + "/", value)
        return value

    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        attribute_filter=keep_attribute,
        link_rel="noopener",
        strip_comments=True,
    )


def _image_sources(html: str) -> list[str]:
    """Every ``<img src>`` in ``html``, read with a real HTML parser."""
    sources: list[str] = []

    class ImageFinder(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "img":
                sources.extend(value or "" for name, value in attrs if name == "src")

        handle_startendtag = handle_starttag

    finder = ImageFinder(convert_charrefs=True)
    finder.feed(html)
    finder.close()
    return sources
