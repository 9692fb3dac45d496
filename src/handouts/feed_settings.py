"""``appointments.ical`` and ``appointments.feeds`` in clinic.yaml: calendars and feed URLs.

Where in a calendar event each value is written (a property such as ``SUMMARY`` or
``X-SERVICE``, or a ``Label: ...`` line of ``DESCRIPTION``), how many days of recurring
events are read, and which HTTPS addresses ``handouts appointments import`` fetches.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from .config_types import without_blanks

PROPERTY = re.compile(r"[A-Z][A-Z0-9-]*")


def _event_field(value: str) -> str:
    """``SUMMARY``, ``X-LANGUAGE``, or ``DESCRIPTION:Label`` (properties in any case)."""
    value = value.strip()
    if value.upper().startswith("DESCRIPTION:") and value[12:].strip():
        return f"DESCRIPTION:{value[12:].strip()}"
    if not PROPERTY.fullmatch(value.upper()):
        raise ValueError(
            f"{value!r} is not an event property; write one like SUMMARY, ATTENDEE, "
            "CATEGORIES, X-SERVICE, or DESCRIPTION:Service for a 'Service: ...' line"
        )
    return value.upper()


EventField = Annotated[str, AfterValidator(_event_field)]


class IcalSettings(BaseModel):
    """Where each value of an appointment is written in a calendar event (VEVENT).

    ``SUMMARY`` for both patient and service reads ``Anna Smith - Microneedling`` (split at
    ``separator``); ``ATTENDEE`` and ``ORGANIZER`` give their ``CN`` name (for email: the
    ``mailto:`` address; for language: the ``LANGUAGE`` parameter).
    """

    model_config = ConfigDict(extra="allow")

    patient: EventField = "SUMMARY"
    service: EventField = "SUMMARY"
    """Several services in one value separated by ; , or + (``CATEGORIES`` may list several)."""
    email: EventField | None = "ATTENDEE"
    practitioner: EventField | None = "ORGANIZER"
    language: EventField | None = "ATTENDEE"
    separator: Annotated[str, Field(min_length=1)] = " - "
    """Between the patient and the service when both are read from ``SUMMARY``."""
    past_days: Annotated[int, Field(ge=0, le=366)] = 1
    """Recurring events are read from this many days before today..."""
    future_days: Annotated[int, Field(ge=1, le=731)] = 90
    """...to this many days after it (events outside these days are not imported)."""

    @model_validator(mode="before")
    @classmethod
    def _blank_keys_use_defaults(cls, data: Any) -> Any:
        return without_blanks(data)


def _feed_url(value: str) -> str:
    value = value.strip()
    if not value.lower().startswith("https://"):
        raise ValueError(f"{value[:80]!r} is not an https:// address; feeds are fetched over HTTPS")
    return value


FeedUrl = Annotated[str, AfterValidator(_feed_url)]
