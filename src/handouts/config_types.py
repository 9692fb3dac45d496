"""The value types clinic.yaml and treatment.yaml are checked with.

Text, colours, email and web addresses, language codes: each an ``Annotated`` type that
validates (and tidies) one value, with a message saying how to write it.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

from babel import Locale, UnknownLocaleError
from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo

HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
EMAIL = re.compile(r"[^@\s,;:<>()\[\]\\\"]+@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_][\w-]*[^\W_]")
"""An address: a local part, then a domain of letters in any script (``пример.рф``),
digits and hyphens, whose last label is no number (``.xn--p1ai`` is an IDN's ASCII form)."""
LANGUAGE = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z]{2,4})?")
URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?!\d)")
"""``https:``, ``ftp:``, ``javascript:``... but not ``example.com:8080``."""
BARE_WEB_ADDRESS = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d+)?(?:[/?#]\S*)?")
"""``www.example.com/book``: a host name with a dot, then an optional port and path."""


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


def without_blanks(data: Any) -> Any:
    """A key left empty (or ``null``) counts as not written, so its default applies."""
    if isinstance(data, dict):
        return {key: value for key, value in data.items() if value not in ("", None)}
    return data


def _colour_given(value: Any, info: ValidationInfo) -> Any:
    """An empty colour, with a hint when YAML read an unquoted ``#1f6f78`` as a comment."""
    if value not in ("", None):
        return value
    key = info.field_name
    comment = getattr(value, "comment", "").split()
    if comment and HEX_COLOUR.fullmatch(comment[0]):
        raise ValueError(
            f"is empty; a colour starts with #, which YAML reads as a comment: "
            f'put it in quotes, like {key}: "{comment[0]}"'
        )
    raise ValueError(f'is empty; write a colour in quotes, like {key}: "#1f6f78"')


def _hex_colour(value: str) -> str:
    if not HEX_COLOUR.fullmatch(value):
        raise ValueError(f"{value!r} is not a hex colour (write it like '#1f6f78')")
    return value.lower()


def _email(value: str) -> str:
    if not EMAIL.fullmatch(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


def _web_address(value: str) -> str:
    """A web address; ``www.example.com`` is taken as ``https://www.example.com``."""
    if value.startswith(("https://", "http://")):
        return value
    if URL_SCHEME.match(value):
        raise ValueError(f"{value!r} must start with https://")
    if not BARE_WEB_ADDRESS.fullmatch(value):
        raise ValueError(f"{value!r} is not a web address (write it like www.example.com)")
    return f"https://{value}"


def is_loopback(host: str) -> bool:
    """True for this computer: ``localhost``, ``127.x.x.x`` or ``::1``."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def primary_language(language: str) -> str:
    """The part of a language code that content files use: ``en-GB`` -> ``en``."""
    return language.replace("_", "-").split("-")[0].lower()


def check_language(value: str) -> str:
    """``value`` if it is a language code Babel knows, else ValueError."""
    problem = ValueError(f"{value!r} is not a language code (use e.g. 'en', 'en-GB' or 'es')")
    if not LANGUAGE.fullmatch(value):
        raise problem
    try:
        Locale.parse(value.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        raise problem from None
    return value


Text = Annotated[str, Field(min_length=1, max_length=200)]
ShortText = Annotated[str, Field(max_length=300)]
OptionalText = Annotated[ShortText | None, BeforeValidator(_blank_to_none)]
HexColour = Annotated[str, BeforeValidator(_colour_given), AfterValidator(_hex_colour)]
Email = Annotated[str, AfterValidator(_email)]
OptionalEmail = Annotated[Email | None, BeforeValidator(_blank_to_none)]
WebAddress = Annotated[
    str | None,
    BeforeValidator(_blank_to_none),
    AfterValidator(lambda value: value and _web_address(value)),
]


def _time_zone(value: str) -> str:
    """An IANA time zone name the machine's zone database knows (``Europe/London``)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{value!r} is not a time zone; write its IANA name, like Europe/London"
        ) from None
    return value


TimeZoneName = Annotated[OptionalText, AfterValidator(lambda value: value and _time_zone(value))]
