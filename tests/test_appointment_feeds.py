"""Calendars (iCalendar), FHIR R4 Bundles and HTTPS feeds imported into the appointment store.

Real .ics and FHIR JSON files, read by icalendar / recurring-ical-events and validated by
fhir.resources; real HTTPS servers on localhost (a self-signed certificate trusted through
HANDOUTS_CA_FILE) and a raw TLS socket that trickles bytes. No mocks.
"""

from __future__ import annotations

import contextlib
import csv
import http.server
import io
import json
import socket
import ssl
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.appointment_import import import_appointments
from handouts.appointment_store import stored_appointments
from handouts.cli import cli
from handouts.config import load_clinic
from handouts.errors import ConfigError, HandoutsError

SETTINGS = """\
name: Northbank Skin
phone: 01632 960 001
timezone: Europe/London
appointments:
  ical:
    future_days: 200
"""
VTIMEZONE = """\
BEGIN:VTIMEZONE
TZID:Europe/London
BEGIN:STANDARD
DTSTART:19701025T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T010000
TZOFFSETFROM:+0000
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
END:VTIMEZONE
"""
WEEKLY = """\
BEGIN:VEVENT
UID:weekly-anna@northbank.example
DTSTAMP:20261120T090000Z
DTSTART;TZID=Europe/London:20261203T100000
DTEND;TZID=Europe/London:20261203T110000
RRULE:FREQ=WEEKLY;COUNT=6
EXDATE;TZID=Europe/London:20261210T100000
SUMMARY:Anna Smith - Microneedling - Face
ORGANIZER;CN=Dr Ruiz:mailto:ruiz@northbank.example
ATTENDEE;CN=Dr Ruiz:mailto:ruiz@northbank.example
ATTENDEE;CN=Anna Smith;LANGUAGE=es:mailto:anna@example.com
END:VEVENT
BEGIN:VEVENT
UID:weekly-anna@northbank.example
DTSTAMP:20261120T090000Z
RECURRENCE-ID;TZID=Europe/London:20261217T100000
DTSTART;TZID=Europe/London:20261217T100000
SUMMARY:Anna Smith - Microneedling - Face
STATUS:CANCELLED
END:VEVENT
"""
SINGLE = """\
BEGIN:VEVENT
UID:{uid}
DTSTAMP:20261120T090000Z
DTSTART{start}
SUMMARY:{summary}
{extra}END:VEVENT
"""
TODAY = "2026-12-01"


def calendar(*events: str) -> bytes:
    """A calendar export as a practitioner's calendar writes it: CRLF lines."""
    text = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Northbank//Diary//EN\n"
    text += VTIMEZONE + "".join(events) + "END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode("utf-8")


def event(uid: str, start: str, summary: str, extra: str = "") -> str:
    return SINGLE.format(uid=uid, start=start, summary=summary, extra=extra)


CALENDAR = calendar(
    WEEKLY,
    event("peel-bob", ":20261205T140000Z", "Bob Jones - Chemical Peel", "STATUS:CANCELLED\n"),
    event("summer-1", ":20270601T090000Z", "Zoë Brown - Chemical Peel"),
    event("zhanna", ";TZID=Europe/London:20261204T093000", "Жанна Петрова - Chemical Peel"),
    event("carol-1", ":20261206T120000Z", "Carol King - Laser Lipo"),
)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("HANDOUTS_TODAY", TODAY)


@pytest.fixture
def kit(clinic_kit) -> Path:
    return clinic_kit({"clinic.yaml": SETTINGS})


def run(*arguments: str):
    return CliRunner().invoke(cli, [*map(str, arguments)])


def stored(kit: Path) -> dict[str, object]:
    return {row.id: row for row in stored_appointments(load_clinic(kit), None)}


def report_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text("utf-8-sig"))))


def test_a_calendar_export_imports_each_occurrence_in_clinic_time(kit, tmp_path):
    path = tmp_path / "diary.ics"
    path.write_bytes(CALENDAR)
    result = run("appointments", "import", path, "--clinic", kit)
    assert result.exit_code == 1, result.output  # Carol's service is unknown
    assert result.output.splitlines() == [
        f"{path}: 6 new, 0 updated, 0 rescheduled, 2 cancelled, 0 unchanged, 1 rejected. "
        f"Report: {path}.import-report.csv",
        "  unknown service 'Laser Lipo': event carol-1",
        "  Name each unknown service's treatment under appointments.treatments in "
        "clinic.yaml, then import again.",
    ]
    found = stored(kit)
    weekly = "ical:weekly-anna@northbank.example/"
    assert {key: row.start for key, row in found.items() if key.startswith(weekly)} == {
        weekly + "20261203T100000Z": "2026-12-03T10:00",  # 10 December is an EXDATE
        weekly + "20261217T100000Z": "2026-12-17T10:00",
        weekly + "20261224T100000Z": "2026-12-24T10:00",
        weekly + "20261231T100000Z": "2026-12-31T10:00",
        weekly + "20270107T100000Z": "2027-01-07T10:00",
    }
    first = found[weekly + "20261203T100000Z"]
    assert (first.patient, first.email, first.treatments) == (
        "Anna Smith",
        "anna@example.com",
        ("microneedling",),
    )
    assert (first.practitioner, first.language, first.source) == ("Dr Ruiz", "es", "ical:diary.ics")
    assert found[weekly + "20261217T100000Z"].status == "cancelled"  # one occurrence cancelled
    assert found["ical:peel-bob"].status == "cancelled"
    assert found["ical:summer-1"].start == "2027-06-01T10:00"  # 09:00 UTC is 10:00 BST
    assert found["ical:zhanna"].patient == "Жанна Петрова"
    assert found["ical:zhanna"].start == "2026-12-04T09:30"
    assert "ical:carol-1" not in found
    assert report_rows(path.with_name("diary.ics.import-report.csv"))[2:] == [
        [
            "carol-1",
            "rejected event",
            "",
            "SUMMARY: unknown service 'Laser Lipo'; add it under appointments.treatments in "
            "clinic.yaml (service name: treatment)",
        ],
        [
            "carol-1",
            "unknown service",
            "Laser Lipo",
            "add it under appointments.treatments in clinic.yaml",
        ],
    ]


def test_the_same_calendar_twice_is_the_same_appointments_and_a_moved_event_is_rescheduled(
    kit, tmp_path
):
    path = tmp_path / "diary.ics"
    path.write_bytes(CALENDAR)
    import_appointments(path, kit)
    before = stored(kit)
    again = import_appointments(path, kit)
    assert again.counts == {
        "new": 0,
        "updated": 0,
        "rescheduled": 0,
        "cancelled": 0,
        "unchanged": 8,
        "rejected": 1,
    }
    assert stored(kit) == before
    moved = CALENDAR.replace(b"20261204T093000", b"20261208T160000")  # Zhanna's visit
    path.write_bytes(moved.replace(b"20261224T100000\r\nSUMMARY", b"20261224T100000\r\nX"))
    path.write_bytes(
        moved.replace(
            b"END:VCALENDAR",
            b"BEGIN:VEVENT\r\nUID:weekly-anna@northbank.example\r\nDTSTAMP:20261120T090000Z\r\n"
            b"RECURRENCE-ID;TZID=Europe/London:20261224T100000\r\n"
            b"DTSTART;TZID=Europe/London:20261223T150000\r\n"
            b"SUMMARY:Anna Smith - Microneedling\r\nEND:VEVENT\r\nEND:VCALENDAR",
        )
    )
    result = import_appointments(path, kit)
    assert result.counts["rescheduled"] == 2, result.counts
    after = stored(kit)
    assert (after["ical:zhanna"].status, after["ical:zhanna"].start) == (
        "rescheduled",
        "2026-12-08T16:00",
    )
    assert after["ical:zhanna"].previous_start == "2026-12-04T09:30"
    occurrence = after["ical:weekly-anna@northbank.example/20261224T100000Z"]
    assert (occurrence.start, occurrence.status) == ("2026-12-23T15:00", "rescheduled")


def test_event_fields_are_read_where_clinic_yaml_says(clinic_kit, tmp_path):
    kit = clinic_kit(
        {
            "clinic.yaml": SETTINGS.replace(
                "    future_days: 200\n",
                "    patient: ATTENDEE\n    service: CATEGORIES\n"
                "    language: x-language\n    practitioner: DESCRIPTION:With\n",
            )
        }
    )
    path = tmp_path / "diary.ics"
    path.write_bytes(
        calendar(
            event(
                "cats-1",
                ":20261207T100000Z",
                "Follow-up",
                "CATEGORIES:Chemical Peel,Microneedling\nX-LANGUAGE:de\n"
                "DESCRIPTION:Room 2\\nWith: Dr O'Neill\n"
                "ATTENDEE;CN=Lena Vogel:mailto:lena@example.de\n",
            ),
            event("cats-2", ":20261208T100000Z", "No attendee", "CATEGORIES:Microneedling\n"),
        )
    )
    result = import_appointments(path, kit)
    found = stored(kit)["ical:cats-1"]
    assert found.patient == "Lena Vogel"
    assert found.treatments == ("chemical-peel", "microneedling")
    assert (found.language, found.practitioner, found.email) == (
        "de",
        "Dr O'Neill",
        "lena@example.de",
    )
    assert result.rows.rejected == [
        ("event cats-2", "ATTENDEE: empty; every event needs the patient's name")
    ]


def test_event_field_settings_are_checked(clinic_kit):
    written = SETTINGS.replace("timezone: Europe/London", "timezone: Mars/Olympus").replace(
        "    future_days: 200\n",
        "    service: 'Service?'\n  feeds: [http://diary.example/cal.ics]\n",
    )
    kit = clinic_kit({"clinic.yaml": written})
    with pytest.raises(ConfigError) as error:
        load_clinic(kit)
    message = str(error.value.message)
    assert "timezone: 'Mars/Olympus' is not a time zone; write its IANA name" in message
    assert "appointments.ical.service: 'Service?' is not an event property" in message
    assert (
        "appointments.feeds.0: 'http://diary.example/cal.ics' is not an https:// address" in message
    )


def test_an_event_without_uid_or_start_is_rejected_and_the_others_imported(kit, tmp_path):
    path = tmp_path / "diary.ics"
    undated = "BEGIN:VEVENT\nUID:undated-1\nSUMMARY:Ann Lee - Chemical Peel\nEND:VEVENT\n"
    nameless = event("", ":20261203T100000Z", "Ann Lee - Chemical Peel").replace("UID:\n", "")
    path.write_bytes(
        calendar(undated, nameless, event("ok-1", ":20261203T120000Z", "Ann Lee - Peel"))
    )
    result = import_appointments(path, kit)
    assert result.rows.rejected == [
        ("event undated-1", "DTSTART: missing; every event needs its start"),
        (
            "event 2026-12-03 10:00:00",
            "UID: missing; every event needs one, to be updated by a later import",
        ),
    ]
    assert list(stored(kit)) == ["ical:ok-1"]


def test_a_calendar_that_cannot_be_read_is_one_line(kit, tmp_path):
    path = tmp_path / "broken.ics"
    path.write_bytes(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:2026-12-03\r\n")
    result = run("appointments", "import", path, "--clinic", kit)
    assert result.exit_code == 1
    assert result.output.startswith("Error: broken.ics: not a readable iCalendar file (")
    assert len(result.output.splitlines()) == 1


PATIENT = {
    "resourceType": "Patient",
    "id": "p1",
    "name": [{"use": "official", "given": ["Lucía"], "family": "Pérez"}],
    "telecom": [
        {"system": "phone", "value": "0123"},
        {"system": "email", "value": "lucia@example.com"},
    ],
    "communication": [
        {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "es"}]}, "preferred": True}
    ],
}
PRACTITIONER = {"resourceType": "Practitioner", "id": "dr1", "name": [{"text": "Dr Ruiz"}]}


def appointment(ident: str, status: str, start: str, **more) -> dict:
    return {
        "resourceType": "Appointment",
        "id": ident,
        "status": status,
        "start": start,
        "participant": [
            {"actor": {"reference": "Patient/p1"}, "status": "accepted"},
            {"actor": {"reference": "Practitioner/dr1", "display": "Dr R."}, "status": "accepted"},
        ],
        **more,
    }


def bundle(*appointments: dict, kind: str = "searchset") -> bytes:
    entries = [
        {"fullUrl": f"https://ehr.example/fhir/{r['resourceType']}/{r['id']}", "resource": r}
        for r in (PATIENT, PRACTITIONER, *appointments)
    ]
    return json.dumps({"resourceType": "Bundle", "type": kind, "entry": entries}).encode()


FHIR = bundle(
    appointment(
        "a1", "booked", "2026-12-05T09:30:00+01:00", serviceType=[{"text": "Chemical Peel"}]
    ),
    appointment(
        "a2",
        "noshow",
        "2026-12-06T10:00:00Z",
        appointmentType={"coding": [{"code": "ROUTINE", "display": "Routine"}]},
        description="Microneedling",
    ),
    appointment("a3", "proposed", "2026-12-07T10:00:00Z", description="Microneedling"),
    appointment(
        "a4",
        "booked",
        "2026-12-08T10:00:00Z",
        serviceType=[{"coding": [{"display": "Hydra Lipo"}]}],
    ),
)


def test_a_fhir_bundle_is_validated_and_its_patients_resolved(kit, tmp_path):
    path = tmp_path / "appointments.json"
    path.write_bytes(FHIR)
    result = import_appointments(path, kit)
    assert (
        result.summary() == "1 new, 0 updated, 0 rescheduled, 1 cancelled, 0 unchanged, 2 rejected"
    )
    found = stored(kit)
    first = found["fhir:a1"]
    assert (first.patient, first.email, first.language) == (
        "Lucía Pérez",
        "lucia@example.com",
        "es",
    )
    assert (first.start, first.treatments, first.practitioner) == (
        "2026-12-05T08:30",
        ("chemical-peel",),
        "Dr Ruiz",
    )
    assert (found["fhir:a2"].status, found["fhir:a2"].treatments) == (
        "cancelled",
        ("microneedling",),
    )
    assert result.rows.rejected == [
        (
            "Appointment a3",
            "Appointment.status: proposed is not booked yet; it is imported once it is booked",
        ),
        (
            "Appointment a4",
            "Appointment.serviceType: unknown service 'Hydra Lipo'; add it under "
            "appointments.treatments in clinic.yaml (service name: treatment)",
        ),
    ]
    assert import_appointments(path, kit).counts["unchanged"] == 2


def test_a_lone_fhir_appointment_is_named_by_its_reference(kit, tmp_path):
    path = tmp_path / "one.fhir"  # the extension says nothing: the content does
    lone = appointment("solo", "booked", "2026-12-09T11:00:00Z", description="Chemical Peel")
    lone["participant"][0]["actor"]["display"] = "Amira Haddad"
    path.write_text(json.dumps(lone))
    import_appointments(path, kit)
    assert stored(kit)["fhir:solo"].patient == "Amira Haddad"


def test_a_bad_fhir_bundle_is_refused_with_the_library_reason(kit, tmp_path):
    path = tmp_path / "bad.json"
    path.write_bytes(FHIR.replace(b"2026-12-05T09:30:00+01:00", b"2026-12-05T09:30"))
    result = run("appointments", "import", path, "--clinic", kit)
    assert result.exit_code == 1
    assert result.output == (
        "Error: bad.json: not a valid FHIR Bundle (entry.2.resource.start: Value error, "
        "Instant value string does not match spec regex.)\n"
    )
    assert stored(kit) == {}
    path.write_bytes(bundle(kind="document"))
    with pytest.raises(HandoutsError, match="a Bundle of type document; give a collection"):
        import_appointments(path, kit)


# --- feeds over HTTPS -------------------------------------------------------------------


class _Feed(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.asked.append((self.path, self.headers.get("Authorization")))
        if self.path not in self.server.routes:
            self.send_error(404, "Not Found")
            return
        body, headers = self.server.routes[self.path]
        self.send_response(302 if "Location" in headers else 200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def https_server(certificate, routes, asked=None):
    """HTTPS on localhost answering ``routes`` (path: (body, headers)); each request's path
    and Authorization header go into ``asked``."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Feed)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.routes, server.asked = routes, [] if asked is None else asked
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def trusted(certificate, monkeypatch):
    monkeypatch.setenv("HANDOUTS_CA_FILE", str(certificate[0]))
    return certificate


def test_a_calendar_feed_is_fetched_over_https(kit, trusted, tmp_path, monkeypatch):
    monkeypatch.setenv("HANDOUTS_HOME", str(tmp_path / "home"))
    routes = {
        "/diary.ics": (CALENDAR, {"Content-Type": "text/calendar"}),
        "/ehr": (FHIR, {"Content-Type": "application/fhir+json"}),
    }
    with https_server(trusted, routes) as base:
        (kit / "clinic.yaml").write_text(
            SETTINGS + f"  feeds:\n    - {base}/diary.ics\n    - {base}/ehr\n"
        )
        result = run("appointments", "import", "--clinic", kit)
    assert result.exit_code == 1, result.output  # one event and two Appointments rejected
    lines = result.output.splitlines()
    port = base.rsplit(":", 1)[1]
    report = tmp_path / "home" / "import-reports" / f"127.0.0.1-{port}-diary.ics.import-report.csv"
    assert lines[0] == (
        f"{base}/diary.ics: 6 new, 0 updated, 0 rescheduled, 2 cancelled, 0 unchanged, "
        f"1 rejected. Report: {report}"
    )
    assert lines[3].startswith(f"{base}/ehr: 1 new, 0 updated, 0 rescheduled, 1 cancelled")
    found = stored(kit)
    assert found["ical:zhanna"].source == f"ical:{base}/diary.ics"
    assert found["fhir:a1"].source == f"fhir:{base}/ehr"
    assert report.exists()


def test_every_configured_feed_is_imported_even_when_one_fails(kit, trusted, tmp_path):
    export = b"patient_name,treatment,date,time\r\nAmira Haddad,Microneedling,2026-12-03,10:30\r\n"
    with https_server(trusted, {"/export.csv": (export, {"Content-Type": "text/csv"})}) as base:
        (kit / "clinic.yaml").write_text(
            SETTINGS + f"  feeds: [{base}/gone.ics, {base}/export.csv]\n"
        )
        result = run("appointments", "import", "--clinic", kit)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"Error: {base}/gone.ics: the server answered 404 Not Found"
    assert lines[1].startswith(f"{base}/export.csv: 1 new, 0 updated")
    (booking,) = stored(kit).values()
    assert (booking.patient, booking.start, booking.source) == (
        "Amira Haddad",
        "2026-12-03T10:30",
        "csv:export.csv",
    )


def test_a_user_name_and_password_in_a_feed_address_are_sent_but_never_shown(kit, trusted):
    asked = []
    with https_server(trusted, {"/diary.ics": (CALENDAR, {})}, asked) as base:
        address = base.replace("https://", "https://diary:s%40cret@") + "/diary.ics"
        result = run("appointments", "import", address, "--clinic", kit)
    assert asked == [("/diary.ics", "Basic ZGlhcnk6c0BjcmV0")]  # diary:s@cret
    assert result.output.startswith(f"{base}/diary.ics: 6 new")
    assert "cret" not in result.output
    assert "cret" not in "".join(row.source for row in stored(kit).values())


def test_a_feed_whose_certificate_is_not_trusted_is_refused(kit, certificate, monkeypatch):
    monkeypatch.delenv("HANDOUTS_CA_FILE", raising=False)
    with https_server(certificate, {"/diary.ics": (CALENDAR, {})}) as base:
        result = run("appointments", "import", f"{base}/diary.ics", "--clinic", kit)
    assert result.exit_code == 1
    assert result.output.startswith(
        f"Error: {base}/diary.ics: cannot fetch (its certificate is not trusted: "
    )


@pytest.mark.parametrize("address", ["http://diary.example/cal.ics", "file:///etc/passwd"])
def test_only_https_feeds_are_fetched(kit, address):
    result = run("appointments", "import", address, "--clinic", kit)
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {address}: not fetched; feeds are fetched over https:// only (download the "
        "file and import it, or use the feed's https:// address)\n"
    )


def test_a_redirect_away_from_https_is_refused(kit, trusted):
    routes = {"/moved": (b"", {"Location": "http://127.0.0.1:9/diary.ics"})}
    with https_server(trusted, routes) as base:
        result = run("appointments", "import", f"{base}/moved", "--clinic", kit)
    assert result.output == (
        f"Error: {base}/moved: redirected to http://127.0.0.1:9/diary.ics, which is not "
        "https://; give the feed's https:// address\n"
    )


@pytest.mark.parametrize("declared", [True, False])
def test_an_oversized_feed_is_refused(kit, trusted, declared):
    body = b"BEGIN:VCALENDAR\r\n" + b"X" * (10 * 1024 * 1024)
    headers = {"Content-Length": str(len(body))} if declared else {}
    with https_server(trusted, {"/big.ics": (body, headers)}) as base:
        result = run("appointments", "import", f"{base}/big.ics", "--clinic", kit)
    assert result.output == f"Error: {base}/big.ics: larger than 10 MB; not imported\n"
    assert stored(kit) == {}


@contextlib.contextmanager
def trickling_server(certificate):
    """A raw TLS socket that answers a request one byte every 0.2 seconds."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        with listener, context.wrap_socket(listener.accept()[0], server_side=True) as peer:
            peer.recv(65536)
            peer.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\n\r\n")
            with contextlib.suppress(OSError):
                while not stop.wait(0.2):
                    peer.sendall(b"B")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()


def test_a_slow_feed_is_given_up_on(clinic_kit, trusted):
    kit = clinic_kit({"clinic.yaml": SETTINGS + "  feed_timeout: 1\n"})
    with trickling_server(trusted) as base:
        started = time.monotonic()
        result = run("appointments", "import", f"{base}/diary.ics", "--clinic", kit)
        took = time.monotonic() - started
    assert result.output == f"Error: {base}/diary.ics: took longer than 1 s; try again later\n"
    assert took < 3


def test_import_without_a_file_needs_configured_feeds(kit):
    result = run("appointments", "import", "--clinic", kit)
    assert result.exit_code == 2
    assert "give a FILE or https:// URL, or list feeds under appointments.feeds" in result.output
