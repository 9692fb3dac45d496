"""``appointments:`` in clinic.yaml: how to read the clinic's booking export.

Which header holds each value, what the services are called, how dates are written.
Each key is optional; without any, a file with our own column names imports as it is.
"""

from __future__ import annotations

import codecs
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from .config_types import OptionalText, without_blanks
from .content_schema import SLUG
from .feed_settings import FeedUrl, IcalSettings

DEFAULT_HEADERS = {
    "id": "id",
    "patient_name": "patient_name",
    "email": "email",
    "treatments": "treatment",
    "date": "date",
    "time": "time",
    "practitioner": "practitioner",
    "language": "language",
    "status": "status",
}
"""Each field and the header it is read from unless ``appointments.columns`` says."""
REQUIRED_FIELDS = ("patient_name", "treatments", "date")
DELIMITERS = {",": ",", ";": ";", "tab": "\t", "\t": "\t", "|": "|"}
DEFAULT_CANCELLED = ["cancelled", "canceled", "no show", "did not attend"]
SAMPLE_START = datetime(2026, 12, 3, 14, 30)
"""A moment every format is tried on, to show how it reads."""


def _strftime_format(value: str, needs: str, example: str) -> str:
    """``value`` if it writes and reads back a date (or time) with ``needs`` directives."""
    if not any(f"%{letter}" in value for letter in needs):
        wanted = " or ".join(f"%{letter}" for letter in needs)
        raise ValueError(f"{value!r} has no {wanted}; write it like {example}")
    try:
        written = SAMPLE_START.strftime(value)
        datetime.strptime(written, value)
    except ValueError as error:
        raise ValueError(f"{value!r} is not a format that reads back ({error})") from None
    return value


DateFormat = Annotated[
    OptionalText,
    AfterValidator(lambda value: value and _strftime_format(value, "dmYyjbB", "%d/%m/%Y")),
]
TimeFormat = Annotated[
    OptionalText, AfterValidator(lambda value: value and _strftime_format(value, "HIM", "%H:%M"))
]


def _delimiter(value: Any) -> Any:
    if value in (None, ""):
        return None
    if value not in DELIMITERS:
        raise ValueError(f"{value!r} is not a separator; use ',', ';', '|' or tab")
    return DELIMITERS[value]


def _encoding(value: str) -> str:
    try:
        codecs.lookup(value)
    except LookupError:
        raise ValueError(f"{value!r} is not a text encoding (e.g. utf-8, cp1252)") from None
    return value


def _slug(value: str) -> str:
    if not SLUG.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a treatment name; write the name 'handouts list' shows, "
            "like microneedling"
        )
    return value


class AppointmentColumns(BaseModel):
    """The header of the export's column holding each value (default: our own name)."""

    model_config = ConfigDict(extra="allow")

    id: OptionalText = None
    """The booking's own id: a booking moved in time keeps it, so it is rescheduled."""
    patient_name: OptionalText = None
    email: OptionalText = None
    treatments: OptionalText = None
    """The service(s) booked; several separated by ``;`` or ``,``."""
    date: OptionalText = None
    time: OptionalText = None
    practitioner: OptionalText = None
    language: OptionalText = None
    status: OptionalText = None
    """A booking whose status is one of ``appointments.cancelled`` is cancelled."""

    def headers(self) -> dict[str, str]:
        """Each field and its header as written in the export."""
        given = self.model_dump(exclude_none=True, include=set(DEFAULT_HEADERS))
        return {**DEFAULT_HEADERS, **given}


class AppointmentSettings(BaseModel):
    """How ``handouts appointments import`` reads a booking export."""

    model_config = ConfigDict(extra="allow")

    columns: AppointmentColumns = AppointmentColumns()
    treatments: dict[str, Annotated[str, AfterValidator(_slug)]] = {}
    """Service name as the export writes it -> our treatment (``"Microneedling - Face":
    microneedling``), beside the titles and other names each treatment already answers to."""
    date_format: DateFormat = None
    """strftime format of the date cells, e.g. ``%d/%m/%Y`` (default: YYYY-MM-DD). It may
    hold the time too (``%d/%m/%Y %H:%M``) for an export without a time column."""
    time_format: TimeFormat = None
    """strftime format of the time cells, e.g. ``%I:%M %p`` (default: HH:MM, 24-hour)."""
    delimiter: Annotated[str | None, BeforeValidator(_delimiter)] = None
    """``,``, ``;``, ``|`` or ``tab`` (default: whichever of , and ; the header has more of)."""
    encoding: Annotated[str, AfterValidator(_encoding)] = "utf-8"
    """The export's text encoding; UTF-8 with or without BOM unless it says (e.g. cp1252)."""
    cancelled: Annotated[list[str], Field(min_length=1)] = DEFAULT_CANCELLED
    """Values of the status column that mean the visit will not happen (any case)."""
    ical: IcalSettings = IcalSettings()
    """Where a calendar (.ics) event holds the patient, service, email and language."""
    feeds: list[FeedUrl] = []
    """HTTPS addresses of calendar, FHIR or CSV feeds: ``handouts appointments import``
    without a file fetches each."""
    feed_timeout: Annotated[int, Field(ge=1, le=300)] = 20
    """Seconds a feed may take to arrive (or the server stay silent) before it is given up."""

    @model_validator(mode="before")
    @classmethod
    def _blank_keys_use_defaults(cls, data: Any) -> Any:
        return without_blanks(data)
