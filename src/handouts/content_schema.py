"""What a content block's front matter and a treatment.yaml may say, checked by pydantic."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from .choices import Layout
from .config_types import WebAddress
from .letter_timeline import Timeline

DEFAULT_LAYOUTS = {
    "aftercare": ["leaflet", "trifold", "card"],
    "risks": ["leaflet", "trifold", "card"],
    "alternatives": ["leaflet"],
}
"""Where standard blocks go unless their front matter says: the card holds aftercare and
when to call; the tri-fold leaves out other options, which its panels have no room for."""


def default_layouts(block_name: str) -> list[str]:
    """The layouts a block goes in when its front matter does not list them."""
    return DEFAULT_LAYOUTS.get(block_name, ["leaflet", "trifold"])


SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _as_list(value: object) -> object:
    """One value is a list of one; an empty (or ``null``) value is an empty list."""
    if value is None or value == "":
        return []
    return [value] if isinstance(value, str | dict) else value


def _iso_date(value: object) -> object:
    if isinstance(value, str) and not ISO_DATE.fullmatch(value):
        raise ValueError(f"{value!r} is not a date; write it as YYYY-MM-DD")
    return value


def _block_names(names: list[str]) -> list[str]:
    for name in names:
        if not SLUG.fullmatch(name):
            raise ValueError(
                f"{name!r} is not a block name (lowercase letters, digits and "
                "hyphens, like 'aftercare')"
            )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{', '.join(map(repr, repeated))} listed more than once")
    return names


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


class Source(BaseModel):
    """Where a block's facts come from: ``{title, publisher, url}``, or one line of text."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    publisher: Annotated[str, Field(min_length=1)] | None
    """Required in a ``{title, publisher}`` mapping; None for a source written as text."""
    url: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _text_is_a_title(cls, data: object) -> object:
        """``sources: [Our clinic protocol]``: the text is the whole reference."""
        return {"title": data.strip(), "publisher": None} if isinstance(data, str) else data

    def __str__(self) -> str:
        """The reference on one line: ``title, publisher``, or the text as written."""
        return ", ".join(part for part in (self.title, self.publisher) if part)


class BlockMeta(BaseModel):
    """A block's front matter: what it is called and how current it is."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    version: str = Field(min_length=1)
    reviewed: IsoDate
    review_due: IsoDate
    sources: Annotated[list[Source], BeforeValidator(_as_list)] = Field(min_length=1)
    layouts: Annotated[list[Layout], BeforeValidator(_as_list)] | None = None
    """Layouts the block goes in; default: see ``default_layouts``."""

    @model_validator(mode="after")
    def _review_after_reviewed(self) -> BlockMeta:
        if self.review_due <= self.reviewed:
            raise ValueError("review_due must be later than reviewed")
        return self


class TreatmentTranslation(BaseModel):
    """A treatment's ``treatment.<language>.yaml``: the words, not the structure."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    also_known_as: Annotated[list[str], BeforeValidator(_as_list)] = []
    summary: str = Field(min_length=1)


class TreatmentMeta(BaseModel):
    """A treatment's ``treatment.yaml``."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    also_known_as: Annotated[list[str], BeforeValidator(_as_list)] = []
    """Other names for it, printed under the title ("also known as ...")."""
    booked_as: Annotated[list[str], BeforeValidator(_as_list)] = []
    """Names booking systems give it (brand names, short forms), never printed: an imported
    appointment's service matches these as it matches the title and ``also_known_as``."""
    summary: str = Field(min_length=1)
    blocks: Annotated[list[str], AfterValidator(_block_names)] = Field(min_length=1)
    video_url: WebAddress = None
    """A video about the treatment; its QR code replaces the booking one on the leaflet."""
    more_information: Annotated[list[Source], BeforeValidator(_as_list)] = Field(
        default=[], max_length=2
    )
    """One or two trusted patient pages (``{title, publisher, url}``) for "More information"."""
    letters: Timeline = []
    """The letters around its appointment (see ``letter_timeline``); none by default."""
