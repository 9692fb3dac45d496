"""A practitioner's calendar (iCalendar, RFC 5545), read into bookings: one per event.

Recurring events (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides) are expanded by
``recurring-ical-events`` into one booking per occurrence from ``past_days`` before today
to ``future_days`` after it. The id is ``ical:<UID>``, with ``/<RECURRENCE-ID>`` for an
occurrence, so a moved occurrence is rescheduled. ``STATUS:CANCELLED`` cancels the event,
or one occurrence. Times with a zone are converted to the clinic's (floating ones are
taken as clinic time); which property holds each value: ``appointments.ical``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

import icalendar
import recurring_ical_events

from .booking_values import BookingValues, ExportRows, checked_booking
from .errors import HandoutsError
from .feed_settings import IcalSettings
from .service_names import ServiceNames, normalised

KIND = "ical"
ADDRESS_PROPERTIES = ("ATTENDEE", "ORGANIZER")


def read_calendar(
    data: bytes,
    name: str,
    settings: IcalSettings,
    names: ServiceNames,
    extra_font: Path | None,
    zone: tzinfo | None,
    today: date,
) -> ExportRows:
    """The bookings in the calendar ``data`` (from ``name``); HandoutsError if it is none."""
    found = ExportRows()
    try:
        calendar = icalendar.Calendar.from_ical(data)
        for undated in [part for part in calendar.subcomponents if _undated(part)]:
            calendar.subcomponents.remove(undated)  # recurring-ical-events needs a start
            missing = HandoutsError("DTSTART: missing; every event needs its start")
            found.reject(f"event {str(undated.get('UID', '')).strip() or '(no UID)'}", missing)
        first = today - timedelta(days=settings.past_days)
        last = today + timedelta(days=settings.future_days + 1)
        events = recurring_ical_events.of(calendar).between(first, last)
        series = {
            str(component.get("UID", "")).strip()
            for component in calendar.walk("VEVENT")
            if any(name in component for name in ("RRULE", "RDATE", "RECURRENCE-ID"))
        }
    except (ValueError, recurring_ical_events.InvalidCalendar) as error:
        reason = " ".join(str(error).split())[:200]
        raise HandoutsError(f"{name}: not a readable iCalendar file ({reason})") from None
    labels = {
        "id": "UID",
        "patient_name": settings.patient,
        "treatments": settings.service,
        "email": settings.email or "email",
        "practitioner": settings.practitioner or "practitioner",
        "language": settings.language or "language",
    }
    for event in sorted(events, key=_sort_key):
        uid = str(event.get("UID", "")).strip()
        where = f"event {uid or _local(event.get('DTSTART'), zone)}"
        try:
            values = _values(event, uid, uid in series, settings, zone, f"{KIND}:{name}")
            found.bookings.append(checked_booking(values, labels, names, extra_font, "event"))
        except HandoutsError as error:
            found.reject(where, error)
    return found


def _undated(component: icalendar.cal.Component) -> bool:
    return component.name == "VEVENT" and component.get("DTSTART") is None


def _sort_key(event: icalendar.Event) -> str:
    start = event.get("DTSTART")
    return f"{event.get('UID', '')} {start.to_ical().decode() if start else ''}"


def _values(
    event: icalendar.Event,
    uid: str,
    recurring: bool,
    settings: IcalSettings,
    zone: tzinfo | None,
    source: str,
) -> BookingValues:
    if not uid:
        raise HandoutsError("UID: missing; every event needs one, to be updated by a later import")
    moment = _local(event["DTSTART"], zone)
    day, hour = (moment.date(), moment.time()) if isinstance(moment, datetime) else (moment, None)
    recurrence = event.get("RECURRENCE-ID")  # recurring-ical-events sets it on every event
    source_id = f"{uid}/{_instant(recurrence.dt)}" if recurring and recurrence else uid
    patient = _text(event, settings.patient, "name")
    service = _text(event, settings.service, "name") or ""
    if settings.patient == settings.service == "SUMMARY":
        patient, separator, service = (patient or "").partition(settings.separator)
        if not separator and patient:
            raise HandoutsError(
                f"SUMMARY: {patient[:60]!r} has no {settings.separator!r} between the patient "
                "and the service (like 'Anna Smith - Microneedling'); or read them from "
                "other fields with appointments.ical in clinic.yaml"
            )
    return BookingValues(
        kind=KIND,
        source=source,
        source_id=source_id,
        patient=patient,
        service=service,
        day=day,
        hour=hour,
        email=_text(event, settings.email, "email"),
        practitioner=_text(event, settings.practitioner, "name"),
        language=_text(event, settings.language, "language"),
        cancelled=str(event.get("STATUS", "")).upper() == "CANCELLED",
    )


def _local(start: icalendar.prop.vDDDTypes | None, zone: tzinfo | None) -> date | datetime:
    """The start as the clinic's local time (a date stays a date; floating time stays)."""
    if start is None:
        return date.min
    moment = start.dt
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        moment = moment.astimezone(zone).replace(tzinfo=None)
    return moment


def _instant(moment: date | datetime) -> str:
    """A RECURRENCE-ID as the same text whatever zone it is written in: ``20261217T100000Z``."""
    if isinstance(moment, datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
            return moment.strftime("%Y%m%dT%H%M%SZ")
        return moment.strftime("%Y%m%dT%H%M%S")
    return moment.strftime("%Y%m%d")


def _text(event: icalendar.Event, field: str | None, want: str) -> str | None:
    """The value ``field`` names in ``event``: a property's text, a ``DESCRIPTION:Label``
    line, or from ATTENDEE/ORGANIZER the CN name, ``mailto:`` address or LANGUAGE."""
    if field is None:
        return None
    if field.startswith("DESCRIPTION:"):
        label = normalised(field.split(":", 1)[1])
        for line in str(event.get("DESCRIPTION", "")).splitlines():
            key, colon, rest = line.partition(":")
            if colon and normalised(key) == label:
                return rest.strip() or None
        return None
    found = event.get(field)
    items = found if isinstance(found, list) else [] if found is None else [found]
    if field == "ATTENDEE":  # the patient, not the practitioner who organises the visit
        organiser = _address(event.get("ORGANIZER"))
        items = [item for item in items if _address(item) != organiser] or items
    texts: list[str] = []
    for item in items:
        if field in ADDRESS_PROPERTIES or str(item).lower().startswith("mailto:"):
            parameter = {"name": "CN", "language": "LANGUAGE"}.get(want)
            value = item.params.get(parameter) if parameter else _address(item)
            texts += [str(value)] if value else []
        elif hasattr(item, "cats"):
            texts += [str(category) for category in item.cats]
        else:
            texts.append(str(item))
    texts = [text.strip() for text in texts if text.strip()]
    if not texts:
        return None
    return ", ".join(texts) if want == "name" and field == "CATEGORIES" else texts[0]


def _address(item: object) -> str | None:
    if item is None:
        return None
    text = str(item).strip()
    return text[7:].strip() if text.lower().startswith("mailto:") else text
