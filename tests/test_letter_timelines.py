"""Letter timelines: the ``letters:`` of treatment.yaml, the built-in ones, the schedule.

Real files and the real email templates throughout; nothing is sent.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from handouts.appointment_csv import AppointmentRow
from handouts.appointment_store import save_appointments
from handouts.appointments import Appointment
from handouts.booking import BOOKED, CANCELLED, RESCHEDULED, Booking
from handouts.cli import cli
from handouts.config import load_clinic
from handouts.content import ContentLibrary
from handouts.errors import ContentError
from handouts.letter_schedule import next_letter, plan_letters
from handouts.letter_timeline import LETTER_TEMPLATES, LetterStep
from handouts.letters import compose
from handouts.mail import Letter
from handouts.paths import DEMO_CLINIC_DIR
from handouts.readability import measure

LONDON = ZoneInfo("Europe/London")
TREATMENT = """\
title: Glow facial
summary: A gentle facial.
blocks: [about]
"""
ABOUT = """\
---
title: About
version: "1"
reviewed: 2026-01-01
review_due: 2027-01-01
sources: [Our clinic protocol]
---
A gentle facial.
"""


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=LONDON)


def booking(start: str, treatments=("microneedling",), status=BOOKED, **more) -> Booking:
    values = dict(
        id="csv:1",
        source="csv:x.csv",
        source_id="1",
        patient="Amira Haddad",
        email="amira@example.com",
        treatments=tuple(treatments),
        start=start,
        practitioner=None,
        language=None,
        status=status,
    )
    return Booking(**{**values, **more})


def steps(*written: dict) -> list[LetterStep]:
    return [LetterStep.model_validate(step) for step in written]


# Validation


@pytest.mark.parametrize(
    ("letters", "message"),
    [
        (
            '[{name: pre-care, at: "3 days before"}]',
            "letters.0.at: '3 days before' is not an offset; write one like -3d,"
            " 0d, +2h or +4w (hours, days or weeks from the appointment's start)",
        ),
        (
            '[{name: pre-care, at: "-3d", time: "9am", template: precare}]',
            "letters.0.time: '9am' is not a time of day; write it as HH:MM, like 09:00",
        ),
        (
            '[{name: pre-care, at: "-3d", window: "soon", template: precare}]',
            "letters.0.window: 'soon' is not a length of time; write one like 12h, 2d or 1w",
        ),
        (
            '[{name: thanks, at: "+1d"}]',
            "letters.0: template: no letter template 'thanks'; choose one of "
            + ", ".join(LETTER_TEMPLATES),
        ),
        (
            '[{name: aftercare, at: "+2h", time: "09:00"}]',
            "letters.0: time: an hour offset (+2h) takes no time of day",
        ),
        (
            '[{name: aftercare, at: "0d"}, {name: aftercare, at: "+1d"}]',
            "letters: letter 'aftercare' listed more than once",
        ),
        (
            '[{name: aftercare, at: "0d", after: true}]',
            "letters.0.after: Extra inputs are not permitted",
        ),
    ],
)
def test_a_bad_timeline_is_one_line_naming_the_file_and_field(clinic_kit, letters, message):
    kit = clinic_kit(
        {
            "content/glow/treatment.yaml": TREATMENT + f"letters: {letters}\n",
            "content/glow/about.md": ABOUT,
        }
    )
    with pytest.raises(ContentError) as raised:
        ContentLibrary(kit).treatment("glow")
    lines = raised.value.message.splitlines()
    assert lines == [f"{kit / 'content/glow/treatment.yaml'}: {message}"]


def test_a_kit_treatment_yaml_replaces_the_built_in_timeline(clinic_kit):
    built_in = ContentLibrary().treatment("microneedling").meta
    kit = clinic_kit(
        {
            "content/microneedling/treatment.yaml": built_in.model_dump_json(exclude={"letters"})
            + "\n",
        }
    )
    meta = ContentLibrary(kit).treatment("microneedling").meta
    assert built_in.letters and meta.letters == []


# The built-in library


LIBRARY = ContentLibrary()
DEMO = load_clinic(DEMO_CLINIC_DIR)


@pytest.mark.parametrize("slug", LIBRARY.slugs())
def test_every_built_in_treatment_has_a_timeline_written_in_each_of_its_languages(slug):
    treatment = LIBRARY.treatment(slug)
    letters = treatment.meta.letters
    assert "aftercare" in [step.kind for step in letters]
    visit = Appointment("Amira Haddad", dt.date(2026, 12, 3), dt.time(10, 0))
    for language in LIBRARY.languages(treatment):
        for step in letters:
            row = AppointmentRow(2, (slug,), visit, "amira@example.com", language)
            message = compose(
                DEMO,
                Letter(row, step.kind, "key"),
                b"%PDF-1.7",
                "leaflet.pdf",
                "<1@example.com>",
                today=dt.date(2026, 12, 4),
            )
            body = message.get_body(("plain",)).get_content()
            assert DEMO.phone in body
            generic = compose(
                DEMO, Letter(row, "leaflet", "key"), b"%PDF-1.7", "l.pdf", "<2@example.com>"
            )
            words = body.split("\n\n")[1]
            assert words != generic.get_body(("plain",)).get_content().split("\n\n")[1]
            if language == "en":  # the grade formulas are made for English
                assert measure(words).grade <= 6, (slug, language, step.name, words)
            subject = message["Subject"]
            assert "{" not in subject and subject.strip()


def test_one_off_treatments_ask_for_no_next_session():
    assert "next-session" not in [
        s.name for s in LIBRARY.treatment("skin-lesion-removal").meta.letters
    ]
    toxin = {s.name: s for s in LIBRARY.treatment("anti-wrinkle-injections").meta.letters}
    assert toxin["next-session"].at == "+13w"


# Scheduling


MICRONEEDLING = steps(
    {"name": "pre-care", "at": "-3d", "time": "09:00", "window": "2d", "template": "precare"},
    {"name": "aftercare", "at": "+2h", "window": "2d"},
    {"name": "check-in", "at": "+1d", "time": "10:00"},
    {"name": "next-session", "at": "+4w", "window": "2w"},
)


def test_letters_are_due_at_their_moments_with_their_windows():
    planned = plan_letters(
        booking("2026-12-03T14:30"),
        {"microneedling": MICRONEEDLING},
        LONDON,
        at("2026-11-30T08:00"),
    )
    assert [(p.name, p.due, p.window_end, p.state) for p in planned] == [
        ("pre-care", at("2026-11-30T09:00"), at("2026-12-02T09:00"), "waiting"),
        ("aftercare", at("2026-12-03T16:30"), at("2026-12-05T16:30"), "waiting"),
        ("check-in", at("2026-12-04T10:00"), at("2026-12-05T10:00"), "waiting"),
        ("next-session", at("2026-12-31T14:30"), at("2027-01-14T14:30"), "waiting"),
    ]
    assert planned[0].template == "precare" and planned[1].template == "aftercare"
    assert all(p.due.tzinfo is LONDON for p in planned)


def test_states_waiting_due_and_missed_as_time_goes_by():
    timeline = {"microneedling": MICRONEEDLING}

    def states(now: str) -> dict[str, str]:
        planned = plan_letters(booking("2026-12-03T14:30"), timeline, LONDON, at(now))
        return {p.name: p.state for p in planned}

    assert states("2026-11-30T09:00")["pre-care"] == "due"
    assert states("2026-12-02T08:59")["pre-care"] == "due"
    assert states("2026-12-02T09:00")["pre-care"] == "missed"
    late = states("2026-12-06T00:00")
    assert late["aftercare"] == "missed" and late["check-in"] == "missed"
    assert late["next-session"] == "waiting"


@pytest.mark.parametrize(
    ("start", "step", "due", "utc"),
    [
        # Spring forward (29 March 2026): a day is 23 hours, the clock time stays.
        ("2026-03-28T10:00", {"name": "check-in", "at": "+1d"}, "2026-03-29T10:00", "09:00"),
        ("2026-03-28T23:30", {"name": "aftercare", "at": "+2h"}, "2026-03-29T02:30", "01:30"),
        # A time the clock skips (01:30 on 29 March) is moved on by the change.
        ("2026-03-28T01:30", {"name": "check-in", "at": "+1d"}, "2026-03-29T02:30", "01:30"),
        # Fall back (25 October 2026).
        ("2026-10-24T10:00", {"name": "check-in", "at": "+1d"}, "2026-10-25T10:00", "10:00"),
        ("2026-10-25T00:30", {"name": "aftercare", "at": "+2h"}, "2026-10-25T01:30", "01:30"),
        (
            "2026-10-27T09:00",
            {"name": "pre-care", "at": "-3d", "template": "precare"},
            "2026-10-24T09:00",
            "08:00",
        ),
    ],
)
def test_offsets_across_the_clock_changes_in_london(start, step, due, utc):
    [planned] = plan_letters(booking(start), {"microneedling": steps(step)}, LONDON, at(start))
    assert f"{planned.due:%Y-%m-%dT%H:%M}" == due
    assert f"{planned.due.astimezone(dt.UTC):%H:%M}" == utc


def test_a_rescheduled_appointment_moves_its_letters():
    timeline = {"microneedling": MICRONEEDLING}
    moved = booking("2026-12-10T11:00", status=RESCHEDULED, previous_start="2026-12-03T14:30")
    planned = plan_letters(moved, timeline, LONDON, at("2026-12-01T12:00"))
    assert {p.name: p.due for p in planned}["pre-care"] == at("2026-12-07T09:00")
    assert {p.name: p.state for p in planned}["pre-care"] == "waiting"


def test_a_cancelled_appointment_has_only_cancelled_letters():
    planned = plan_letters(
        booking("2026-12-03T14:30", status=CANCELLED),
        {"microneedling": MICRONEEDLING},
        LONDON,
        at("2026-12-03T17:00"),
    )
    assert {p.state for p in planned} == {"cancelled"}
    assert next_letter(planned) is None


def test_several_treatments_send_each_letter_once_at_its_earliest_moment():
    timelines = {
        "microneedling": MICRONEEDLING,
        "dermaplaning": steps(
            {"name": "aftercare", "at": "+1h"},
            {"name": "next-session", "at": "+6w"},
            {"name": "skin-check", "at": "+3d", "time": "10:00"},
        ),
    }
    planned = plan_letters(
        booking("2026-12-03T14:30", ("microneedling", "dermaplaning"), language="es"),
        timelines,
        LONDON,
        at("2026-11-01T12:00"),
    )
    names = [p.name for p in planned]
    assert sorted(names) == ["aftercare", "check-in", "next-session", "pre-care", "skin-check"]
    by_name = {p.name: p for p in planned}
    assert by_name["aftercare"].due == at("2026-12-03T15:30")
    assert by_name["aftercare"].window_end == at("2026-12-04T15:30")  # its step's window
    assert by_name["next-session"].due == at("2026-12-31T14:30")
    assert {p.language for p in planned} == {"es"}


def test_a_start_without_a_time_counts_from_nine():
    [planned] = plan_letters(
        booking("2026-12-03"),
        {"microneedling": steps({"name": "aftercare", "at": "+2h"})},
        LONDON,
        at("2026-12-01T00:00"),
    )
    assert planned.due == at("2026-12-03T11:00")


# The command line


def test_appointments_list_and_letters_show_the_plan(clinic_kit):
    kit = clinic_kit(
        {"clinic.yaml": "name: Test Clinic\nphone: 01632 960 001\ntimezone: Europe/London\n"}
    )
    clinic = load_clinic(kit)
    save_appointments(
        clinic,
        [
            booking("2026-12-03T14:30"),
            booking(
                "2026-12-04T10:00", id="csv:2", source_id="2", patient="Ben Ode", status=CANCELLED
            ),
        ],
    )
    runner = CliRunner()
    shown = runner.invoke(
        cli,
        [
            "appointments",
            "list",
            "--from",
            "2026-12-01",
            "--today",
            "2026-12-01",
            "--clinic",
            str(kit),
        ],
    )
    assert shown.exit_code == 0, shown.output
    first, second = shown.output.splitlines()
    assert first.endswith("[csv:1]  next: pre-care 2026-11-30 09:00")
    assert "next:" not in second
    data = json.loads(
        runner.invoke(
            cli, ["appointments", "list", "--from", "2026-12-01", "--json", "--clinic", str(kit)]
        ).output
    )
    assert [letter["name"] for letter in data[0]["letters"]] == [
        "pre-care",
        "aftercare",
        "check-in",
        "skin-check",
        "next-session",
    ]
    assert data[0]["letters"][0]["due"] == "2026-11-30T09:00:00+00:00"
    listed = runner.invoke(
        cli, ["appointments", "letters", "--today", "2026-12-05", "--clinic", str(kit)]
    )
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].startswith("2026-11-30 09:00  missed     pre-care")
    assert sum("cancelled" in line for line in lines) == 5
    assert any(line.startswith("2026-12-06 10:00  waiting    skin-check") for line in lines)


def test_a_booking_moved_in_the_store_moves_its_planned_letters(clinic_kit):
    from handouts.appointment_store import stored_appointments
    from handouts.letter_plans import planned_letters

    clinic = load_clinic(
        clinic_kit({"clinic.yaml": "name: T\nphone: 01632 960 001\ntimezone: Europe/London\n"})
    )
    save_appointments(clinic, [booking("2026-12-03T14:30")])
    assert save_appointments(clinic, [booking("2026-12-10T11:00")]) == ["rescheduled"]
    [moved] = stored_appointments(clinic)
    plans = planned_letters(clinic, [moved], at("2026-12-04T12:00"))[moved.id]
    assert moved.status == RESCHEDULED
    assert {p.name: (p.due, p.state) for p in plans}["pre-care"] == (
        at("2026-12-07T09:00"),
        "waiting",
    )
    assert save_appointments(clinic, [booking("2026-12-10T11:00", status=CANCELLED)]) == [
        "cancelled"
    ]
    [cancelled] = stored_appointments(clinic)
    plans = planned_letters(clinic, [cancelled], at("2026-12-04T12:00"))[cancelled.id]
    assert {p.state for p in plans} == {"cancelled"}
