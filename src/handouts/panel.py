"""The "Your appointment" panel of a personal copy: the words it prints."""

from __future__ import annotations

from dataclasses import dataclass

from babel.dates import format_date, format_time

from .appointments import Appointment, AppointmentError
from .config import Clinic
from .errors import InputError
from .labels import fill


@dataclass(frozen=True)
class AppointmentPanel:
    """A personal copy's appointment, as the words printed in its panel."""

    patient: str | None
    when: str | None
    practitioner: str | None
    booking_url: str | None


EMPTY_PANEL = AppointmentPanel(patient=None, when=None, practitioner=None, booking_url=None)
"""Stands for the panel in a shared leaflet that leaves a slot for it."""


def appointment_panel(
    appointment: Appointment, clinic: Clinic, labels: dict[str, str], language: str
) -> AppointmentPanel:
    """Format an appointment for the leaflet's language (dates and times with Babel)."""
    locale = language.replace("-", "_")
    day = format_date(appointment.date, format="full", locale=locale) if appointment.date else None
    hour = (
        format_time(appointment.time, format="short", locale=locale) if appointment.time else None
    )
    when = fill(labels["appointment_when"], date=day, time=hour) if day and hour else day or hour
    practitioner = appointment.practitioner
    return AppointmentPanel(
        patient=appointment.patient,
        when=when,
        practitioner=fill(labels["with_practitioner"], name=practitioner) if practitioner else None,
        booking_url=clinic.booking_url.split("://", 1)[-1] if clinic.booking_url else None,
    )


def personal_panel(
    appointment: Appointment, clinic: Clinic, labels: dict[str, str], language: str
) -> AppointmentPanel:
    """The checked appointment as its panel prints it; InputError names a bad field."""
    try:
        appointment = appointment.checked(clinic.font_path)
    except AppointmentError as error:
        raise InputError(f"{error}") from None
    return appointment_panel(appointment, clinic, labels, language)
