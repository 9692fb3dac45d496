"""``POST /api/appointments``: signed webhook calls into the real SQLite appointment store.

Through Flask's test client, and once through a real ``handouts serve`` (waitress) with
urllib. Signatures are made as a booking system would (HMAC-SHA256 of ``timestamp.body``).
No mocks.
"""

from __future__ import annotations

import csv
import io
import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import handouts_serve
from test_appointment_feeds import SETTINGS, appointment, bundle

from handouts.appointment_store import stored_appointments
from handouts.config import load_clinic
from handouts.errors import HandoutsError
from handouts.web import create_app
from handouts.web.webhook import signature

SECRET = "7f3c2a9e0b1d4c6f8a5e3b2d1c0f9e8d"
URL = "/api/appointments"
ANNA = {
    "id": "B-1042",
    "patient_name": "Anna Smith",
    "email": "anna@example.com",
    "service": "Microneedling - Face",
    "start": "2026-12-03T10:00:00+00:00",
    "practitioner": "Dr Ruiz",
    "language": "es",
}


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("HANDOUTS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def kit(clinic_kit, home) -> Path:
    return clinic_kit({"clinic.yaml": SETTINGS})


def app_for(kit: Path, secret: str | None = SECRET, **more):
    return create_app(
        kit, cache_dir=kit.parent / "cache", workers=1, prepare=False, webhook_secret=secret, **more
    )


@pytest.fixture
def client(kit):
    return app_for(kit).test_client()


def signed(body: bytes, stamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    when = str(int(time.time()) if stamp is None else stamp)
    return {
        "Content-Type": "application/json",
        "X-Handouts-Timestamp": when,
        "X-Handouts-Signature": signature(secret, when, body),
    }


def send(client, document, **signing):
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    return client.post(URL, data=body, headers=signed(body, **signing))


def stored(kit: Path) -> dict[str, object]:
    return {row.id: row for row in stored_appointments(load_clinic(kit))}


def test_a_signed_appointment_is_stored_with_the_source_webhook(client, kit):
    response = send(client, ANNA)
    assert response.status_code == 200
    assert response.get_json() == {
        "appointments": [{"id": "B-1042", "appointment": "webhook:B-1042", "outcome": "new"}]
    }
    found = stored(kit)["webhook:B-1042"]
    assert (found.source, found.patient, found.email, found.language) == (
        "webhook",
        "Anna Smith",
        "anna@example.com",
        "es",
    )
    assert (found.treatments, found.start, found.practitioner, found.status) == (
        ("microneedling",),
        "2026-12-03T10:00",
        "Dr Ruiz",
        "booked",
    )


def test_the_same_call_twice_is_one_appointment_then_a_reschedule_and_a_cancellation(client, kit):
    assert send(client, ANNA).get_json()["appointments"][0]["outcome"] == "new"
    again = send(client, ANNA)
    assert (again.status_code, again.get_json()["appointments"][0]["outcome"]) == (200, "unchanged")
    assert len(stored(kit)) == 1
    moved = {**ANNA, "start": "2026-12-05T15:30"}  # no offset: the clinic's own time
    assert send(client, moved).get_json()["appointments"][0]["outcome"] == "rescheduled"
    found = stored(kit)["webhook:B-1042"]
    assert (found.status, found.start, found.previous_start) == (
        "rescheduled",
        "2026-12-05T15:30",
        "2026-12-03T10:00",
    )
    cancelled = {**moved, "status": "cancelled"}
    assert send(client, cancelled).get_json()["appointments"][0]["outcome"] == "cancelled"
    assert stored(kit)["webhook:B-1042"].status == "cancelled"
    assert len(stored(kit)) == 1


def test_an_offset_is_converted_to_the_clinic_time_zone(client, kit):
    lone = {key: value for key, value in ANNA.items() if key != "service"}
    summer = {
        **lone,
        "start": "2026-07-03T10:00:00+02:00",
        "treatments": ["chemical-peel", "Microneedling"],
    }
    assert send(client, summer).status_code == 200
    found = stored(kit)["webhook:B-1042"]
    assert (found.start, found.treatments) == (
        "2026-07-03T09:00",
        ("chemical-peel", "microneedling"),
    )
    both = send(client, {**ANNA, "id": "B-9", "treatments": ["chemical-peel"]})
    assert both.get_json()["appointments"][0]["reason"] == (
        "treatments, service: give one of them, not both"
    )


def test_rejected_appointments_are_reported_and_appended_to_the_import_report(client, kit, home):
    body = {
        "appointments": [
            ANNA,
            {**ANNA, "id": "B-2", "service": "Laser Lipo"},
            {"patient_name": "No Id", "service": "Microneedling", "start": "2026-12-03"},
            {**ANNA, "id": "B-3", "start": "03/12/2026"},
        ]
    }
    response = send(client, body)
    assert response.status_code == 200
    results = response.get_json()["appointments"]
    assert [(item["id"], item["outcome"]) for item in results] == [
        ("B-1042", "new"),
        ("B-2", "rejected"),
        ("#3", "rejected"),
        ("B-3", "rejected"),
    ]
    assert results[1]["reason"].startswith("service: unknown service 'Laser Lipo'")
    assert results[2]["reason"].startswith("id: missing")
    assert results[3]["reason"].startswith("start: '03/12/2026' is not ISO 8601")
    all_bad = send(client, {"appointments": [{**ANNA, "id": "B-4", "email": "not-an-address"}]})
    assert all_bad.status_code == 422
    assert all_bad.get_json()["appointments"][0]["reason"] == (
        "email: 'not-an-address' is not an email address"
    )
    report = home / "import-reports" / "webhook.import-report.csv"
    assert report.stat().st_mode & 0o777 == 0o600
    rows = list(csv.reader(io.StringIO(report.read_text("utf-8-sig"))))
    assert rows[0] == ["lines", "what", "value", "reason"]
    assert [row[:2] for row in rows[1:]] == [
        ["", "summary"],
        ["B-2", "rejected appointment"],
        ["#3", "rejected appointment"],
        ["B-3", "rejected appointment"],
        ["B-2", "unknown service"],
        ["", "summary"],  # the second call, appended
        ["B-4", "rejected appointment"],
    ]
    assert rows[1][3] == "1 new, 0 updated, 0 rescheduled, 0 cancelled, 0 unchanged, 3 rejected"
    assert set(stored(kit)) == {"webhook:B-1042"}


def test_a_fhir_bundle_is_read_by_the_fhir_reader(client, kit):
    body = bundle(
        appointment(
            "a1", "booked", "2026-12-05T09:30:00+01:00", serviceType=[{"text": "Chemical Peel"}]
        ),
        appointment("a3", "proposed", "2026-12-07T10:00:00Z", description="Microneedling"),
    )
    response = send(client, body)
    assert response.status_code == 200
    assert response.get_json()["appointments"] == [
        {"id": "a1", "appointment": "fhir:a1", "outcome": "new"},
        {
            "id": "a3",
            "outcome": "rejected",
            "reason": "Appointment.status: proposed is not booked yet; it is imported once it "
            "is booked",
        },
    ]
    found = stored(kit)["fhir:a1"]
    assert (found.source, found.patient, found.start) == (
        "webhook",
        "Lucía Pérez",
        "2026-12-05T08:30",
    )
    assert send(client, body).get_json()["appointments"][0]["outcome"] == "unchanged"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "body: not JSON text in UTF-8"),
        (b"[1, 2]", 'body: give one appointment object, or {"appointments": [...]}'),
        (b'{"appointments": []}', "appointments: empty; send at least one appointment"),
        (b'{"resourceType": "Bundle", "type": "history"}', "body: a Bundle of type history"),
    ],
)
def test_a_body_that_is_not_our_json_is_400(client, kit, body, error):
    response = send(client, body)
    assert response.status_code == 400
    assert response.get_json()["error"].startswith(error)
    assert stored(kit) == {}


def test_a_numbered_id_is_taken_as_its_digits(client, kit):
    response = send(client, {**ANNA, "id": 1042})
    assert response.get_json()["appointments"][0]["appointment"] == "webhook:1042"
    assert stored(kit)["webhook:1042"].source_id == "1042"


def test_an_unknown_field_rejects_that_appointment(client):
    response = send(client, {**ANNA, "patient": "typo"})
    assert response.status_code == 422
    assert response.get_json()["appointments"][0]["reason"].startswith(
        "patient: unknown field; use id, patient_name"
    )


def headers_without(name: str, body: bytes) -> dict[str, str]:
    return {key: value for key, value in signed(body).items() if key != name}


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({}, "missing X-Handouts-Signature or X-Handouts-Timestamp header"),
        (
            {"X-Handouts-Timestamp": "now", "X-Handouts-Signature": "sha256=" + "0" * 64},
            "malformed signature",
        ),
        ({"X-Handouts-Timestamp": "1", "X-Handouts-Signature": "md5=abc"}, "malformed signature"),
    ],
)
def test_a_missing_or_malformed_signature_is_401(client, kit, headers, error):
    response = client.post(URL, data=json.dumps(ANNA), headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"].startswith(error)
    assert stored(kit) == {}


def test_a_wrong_signature_is_401_and_the_body_is_not_read(client, kit):
    body = json.dumps(ANNA).encode()
    later = str(int(time.time()) + 1)
    for headers in (
        signed(body, secret="another secret of thirty-two chars!"),
        signed(b'{"id": "other"}'),  # a good signature, for another body
        {**signed(body), "X-Handouts-Timestamp": later},  # the timestamp is signed too
    ):
        response = client.post(URL, data=body, headers=headers)
        assert response.status_code == 401
        assert response.get_json() == {
            "error": "wrong signature; sign '<timestamp>.<body>' with HANDOUTS_WEBHOOK_SECRET"
        }
    not_json = client.post(URL, data=b"{not json", headers=signed(body))
    assert not_json.get_json()["error"].startswith("wrong signature")  # never parsed
    assert stored(kit) == {}


def test_a_replayed_call_older_than_five_minutes_is_401(client, kit):
    old = int(time.time()) - 301
    response = send(client, ANNA, stamp=old)
    assert response.status_code == 401
    assert "more than 5 minutes" in response.get_json()["error"]
    assert send(client, ANNA, stamp=int(time.time()) + 400).status_code == 401
    assert send(client, ANNA, stamp=int(time.time()) - 200).status_code == 200


def test_a_huge_body_is_413_before_its_signature_is_checked(client, kit):
    body = b'{"appointments": [' + b" " * (1024 * 1024) + b"]}"
    response = client.post(URL, data=body, headers=signed(body))
    assert response.status_code == 413
    assert response.get_json() == {"error": "body: larger than 1024 KB; send fewer per call"}


def test_without_the_secret_the_webhook_is_off(kit, monkeypatch):
    monkeypatch.delenv("HANDOUTS_WEBHOOK_SECRET", raising=False)
    client = app_for(kit, secret=None).test_client()
    response = send(client, ANNA)
    assert response.status_code == 404
    assert response.get_json()["error"].startswith(
        "webhook off: set HANDOUTS_WEBHOOK_SECRET (at least 32 characters)"
    )


def test_a_short_secret_is_refused_when_the_app_starts(kit, monkeypatch):
    with pytest.raises(HandoutsError, match="HANDOUTS_WEBHOOK_SECRET: use at least 32"):
        app_for(kit, secret="short-secret")
    monkeypatch.setenv("HANDOUTS_WEBHOOK_SECRET", "x" * 31)
    with pytest.raises(HandoutsError, match="HANDOUTS_WEBHOOK_SECRET: use at least 32"):
        app_for(kit, secret=None)


def test_the_secret_is_not_an_access_code(kit):
    with pytest.raises(HandoutsError, match="use another secret than the access codes"):
        app_for(kit, token=SECRET)


def test_no_sign_in_or_csrf_token_is_needed_but_the_rest_stays_closed(kit):
    client = app_for(kit, token="reception access code").test_client()
    assert send(client, ANNA).status_code == 200
    assert client.get("/api/treatments").status_code == 401
    assert client.get(URL).status_code == 401  # only the signed POST is open
    for app in (client, app_for(kit).test_client()):  # other forms keep their CSRF check
        refused = app.post("/preview", data={"treatment": "microneedling"})
        assert (refused.status_code, b"This form has expired" in refused.data) == (400, True)


def answer(address: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    """The status and JSON a real server answers to POST ``body``."""
    call = urllib.request.Request(address + URL, data=body, headers=headers)
    try:
        with urllib.request.urlopen(call, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.load(error)


def test_a_real_server_takes_a_signed_call(kit, home):
    env = {"HANDOUTS_HOME": str(home), "HANDOUTS_WEBHOOK_SECRET": SECRET}
    body = json.dumps({"appointments": [ANNA]}).encode()
    huge = b" " * (2 * 1024 * 1024)
    with handouts_serve("--clinic", str(kit), env=env) as address:
        status, found = answer(address, body, signed(body))
        assert (status, found["appointments"][0]["outcome"]) == (200, "new")
        status, found = answer(address, body, signed(body))
        assert (status, found["appointments"][0]["outcome"]) == (200, "unchanged")
        status, found = answer(address, body, signed(body, secret="y" * 32))
        assert (status, found["error"][:15]) == (401, "wrong signature")
        assert answer(address, huge, signed(huge))[0] == 413
    assert stored(kit)["webhook:B-1042"].source == "webhook"
