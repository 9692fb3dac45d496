"""`handouts email` against a real SMTP server on localhost (aiosmtpd, or a raw one for faults)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import threading

import pytest
from click.testing import CliRunner
from smtp_server import (
    DyingServer,
    PickyInbox,
    PlainSmtpServer,
    SmtpServer,
    free_port,
    relay_mail_kit,
)

from handouts.cli import cli
from handouts.mail import run_email
from handouts.smtp import SERVER_STOPPED


def test_messages_arrive_once_with_the_leaflet_attached(mail_kit, certificate, in_tmp):
    kit, port, csv_file = mail_kit
    with SmtpServer(port, certificate) as inbox:
        result = CliRunner().invoke(cli, ["email", str(csv_file), "--clinic", str(kit), "--send"])
        assert result.exit_code == 1  # the row without an email address is reported
        assert result.stdout == "The file had 3 rows. Sent 2 emails.\n"
        assert "line 4: no email address; print the leaflet instead" in result.stderr
        assert len(inbox.messages) == 2
        amira = next(m for m in inbox.messages if m["To"] == "amira@example.com")
        assert amira["From"] == "Northbank Skin Clinic <hello@northbank-skin.example>"
        assert amira["Reply-To"] == "reception@northbank-skin.example"
        assert amira["Subject"] == "Your microneedling leaflet - Northbank Skin Clinic"
        assert "Thursday, 3 December 2026 at 10:30" in amira.get_body(("plain",)).get_content()
        assert (
            "<strong>Thursday, 3 December 2026 at 10:30</strong>"
            in amira.get_body(("html",)).get_content()
        )
        (attachment,) = list(amira.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_content().startswith(b"%PDF")
        lucia = next(m for m in inbox.messages if m["To"] == "lucia@example.com")
        body = lucia.get_body(("plain",)).get_content()
        assert body.startswith("Estimado/a Lucía Pérez:")
        assert "para su cita del sábado, 5 de diciembre de 2026 a las 9:00" in body
        assert "Cuando estemos cerrados, llame al NHS 111" in body
        assert lucia["Subject"] == "Su folleto: peeling químico - Northbank Skin Clinic"

        again = CliRunner().invoke(cli, ["email", str(csv_file), "--clinic", str(kit), "--send"])
        assert again.stdout == "The file had 3 rows. Sent 0 emails (2 sent before).\n"
        assert len(inbox.messages) == 2


def test_server_down_fails_clearly_then_the_next_run_sends_everything_once(
    mail_kit, certificate, in_tmp
):
    kit, port, csv_file = mail_kit
    down = CliRunner().invoke(cli, ["email", str(csv_file), "--clinic", str(kit), "--send"])
    assert down.exit_code == 1
    assert down.stderr.splitlines() == [
        "3 could not be sent:",
        f"  line 2: not sent: cannot reach the mail server 127.0.0.1:{port} (connection refused);"
        " run again later",
        "  line 3: not sent: the mail server could not be reached; run again later",
        "  line 4: no email address; print the leaflet instead",
        "By reason:",
        "  2: not sent: the mail server could not be reached; run again later",
        "  1: no email address; print the leaflet instead",
    ]
    with SmtpServer(port, certificate) as inbox:
        up = CliRunner().invoke(cli, ["email", str(csv_file), "--clinic", str(kit), "--send"])
        assert up.stdout == "The file had 3 rows. Sent 2 emails.\n"
        CliRunner().invoke(cli, ["email", str(csv_file), "--clinic", str(kit), "--send"])
    assert sorted(m["To"] for m in inbox.messages) == ["amira@example.com", "lucia@example.com"]


def test_two_runs_at_once_do_not_double_send(mail_kit, certificate, tmp_path):
    kit, port, csv_file = mail_kit
    with SmtpServer(port, certificate) as inbox:
        runs = [
            threading.Thread(
                target=run_email, args=(csv_file, kit, True, None, None, tmp_path / f"l{n}")
            )
            for n in range(2)
        ]
        for run in runs:
            run.start()
        for run in runs:
            run.join()
    assert sorted(m["To"] for m in inbox.messages) == ["amira@example.com", "lucia@example.com"]


def test_due_picks_precare_before_and_aftercare_on_the_day(mail_kit, tmp_path):
    kit, _, csv_file = mail_kit
    report = run_email(csv_file, kit, outbox=tmp_path / "out", today=dt.date(2026, 12, 3))
    names = sorted(path.name for path in report.written)
    assert names == [
        "2026-12-03_Amira-Haddad_microneedling.aftercare.eml",
        "2026-12-05_Lucía-Pérez_chemical-peel.precare.eml",
    ]
    message = email.message_from_bytes(report.written[0].read_bytes(), policy=email.policy.default)
    assert str(message["Subject"]).strip().startswith(("Looking after your skin", "Getting ready"))
    assert (
        run_email(csv_file, kit, outbox=tmp_path / "o2", today=dt.date(2026, 11, 1)).written == []
    )


def test_implicit_tls_when_starttls_is_off(mail_kit, certificate, tmp_path):
    kit, port, csv_file = mail_kit
    config = (kit / "clinic.yaml").read_text().replace("starttls: true", "starttls: false")
    (kit / "clinic.yaml").write_text(config)
    with SmtpServer(port, certificate, implicit=True) as inbox:
        report = run_email(csv_file, kit, send=True, leaflet_dir=tmp_path / "l")
    assert sorted(report.sent) == ["amira@example.com", "lucia@example.com"]
    assert len(inbox.messages) == 2


def test_failed_aftercare_is_still_due_for_a_few_days(mail_kit):
    from handouts.batch import read_appointments
    from handouts.content import ContentLibrary
    from handouts.mail import due_letters

    _, _, csv_file = mail_kit
    rows, _ = read_appointments(csv_file, ContentLibrary())
    kinds = {
        day: [(letter.row.appointment.patient, letter.kind) for letter in due_letters(rows, day, 3)]
        for day in (dt.date(2026, 12, 3), dt.date(2026, 12, 6), dt.date(2026, 12, 7))
    }
    assert ("Amira Haddad", "aftercare") in kinds[dt.date(2026, 12, 3)]
    assert ("Amira Haddad", "aftercare") in kinds[dt.date(2026, 12, 6)]
    assert ("Amira Haddad", "aftercare") not in kinds[dt.date(2026, 12, 7)]


def test_a_row_that_cannot_be_prepared_is_released_and_reported_each_run(mail_kit, tmp_path):
    kit, _, csv_file = mail_kit
    config = (
        (kit / "clinic.yaml").read_text().replace("font: Atkinson Hyperlegible", "font: broken.ttf")
    )
    (kit / "clinic.yaml").write_text(config)
    (kit / "broken.ttf").write_bytes(b"not a font")
    for _ in range(2):  # no server is contacted: nothing can be prepared
        report = run_email(csv_file, kit, send=True, leaflet_dir=tmp_path / "l")
        assert report.already_sent == 0 and report.sent == []
        assert any(
            "broken.ttf: not a font file that can be read" in reason
            for _, reason in report.problems
        )


def test_outbox_keeps_two_letters_for_the_same_day(mail_kit, tmp_path):
    kit, _, csv_file = mail_kit
    csv_file.write_text(
        "patient_name,email,treatment,date,time\n"
        "Ann Lee,ann@example.com,microneedling,2026-12-03,09:00\n"
        "Ann Lee,ann@example.com,microneedling,2026-12-03,15:00\n"
    )
    report = run_email(csv_file, kit, outbox=tmp_path / "out")
    assert len({path.name for path in report.written}) == 2


def test_a_letter_is_the_same_letter_whatever_order_its_treatments_come_in():
    from handouts.appointments import Appointment
    from handouts.batch import AppointmentRow
    from handouts.mail import _letter_key

    visit = Appointment("Amira Haddad", dt.date(2026, 12, 3))
    first = AppointmentRow(2, ("microneedling", "dermaplaning"), visit, "a@example.com", None)
    second = AppointmentRow(9, ("dermaplaning", "microneedling"), visit, "A@example.com", "es")
    assert _letter_key(first, "leaflet") == _letter_key(second, "leaflet")
    assert _letter_key(first, "leaflet") != _letter_key(first, "aftercare")


@pytest.mark.parametrize(
    ("answers", "row", "reason"),
    [
        (
            {"RCPT": "550 5.1.1 mailbox unavailable"},
            2,
            "amira@example.com: the server refused this address (550 mailbox unavailable);"
            " check it with the patient; it is tried again next run",
        ),
        (
            {"DATA": "554 5.6.0 message content rejected"},
            2,
            "not sent to amira@example.com: the server refused the letter"
            " (554 message content rejected); it is tried again next run",
        ),
        (
            {"MAIL": "553 5.7.1 sender not allowed"},
            2,
            "not sent to amira@example.com: the server refused the sender address"
            " hello@northbank-skin.example (553 sender not allowed); check mail: from in"
            " clinic.yaml; it is tried again next run",
        ),
        (
            {"DATA": "452 4.3.1 insufficient system storage"},
            2,
            "not sent to amira@example.com: the server refused the letter"
            " (452 insufficient system storage); it is tried again next run",
        ),
    ],
)
def test_what_the_server_refuses_is_said_in_words_and_tried_again(
    mail_kit, certificate, tmp_path, answers, row, reason
):
    kit, port, csv_file = mail_kit
    csv_file.write_text(csv_file.read_text().replace("lucia@example.com", ""))
    picky = PickyInbox(answers, refused={"amira@example.com"})
    with SmtpServer(port, certificate, handler=picky):
        report = run_email(csv_file, kit, send=True, leaflet_dir=tmp_path / "l")
    assert report.problems[0] == (row, reason)
    assert not any("{" in text or "b'" in text for _, text in report.problems)
    with SmtpServer(port, certificate) as inbox:  # the refused letter goes on the next run
        again = run_email(csv_file, kit, send=True, leaflet_dir=tmp_path / "l")
    assert again.sent == ["amira@example.com"]
    assert [m["To"] for m in inbox.messages] == ["amira@example.com"]


def test_when_the_server_dies_midway_every_letter_not_sent_is_counted(
    mail_kit, certificate, tmp_path
):
    kit, port, csv_file = mail_kit
    rows = [f"Patient {n},p{n}@example.com,microneedling,2026-12-03,10:{n:02},," for n in range(20)]
    rows[15] = "No Email,,microneedling,2026-12-03,11:00,,"
    csv_file.write_text("patient_name,email,treatment,date,time,practitioner,language\n")
    csv_file.write_text(csv_file.read_text() + "\n".join(rows) + "\n")
    with DyingServer(port, certificate, accept=8) as server:
        report = run_email(csv_file, kit, send=True, leaflet_dir=tmp_path / "l")
    assert server.received == 8 and len(report.sent) == 8
    assert len(report.problems) == 12  # every appointment not sent, each once
    assert report.problems[0] == (
        10,
        f"not sent: cannot reach the mail server 127.0.0.1:{port} (connection refused);"
        " run again later",
    )
    assert report.problems[1] == (11, SERVER_STOPPED)
    assert (17, "no email address; print the leaflet instead") in report.problems
    assert report.summary_by_reason() == {
        "not sent: the mail server stopped answering; run again later": 11,
        "no email address; print the leaflet instead": 1,
    }

    with SmtpServer(port, certificate) as inbox:
        later = run_email(csv_file, kit, send=True, leaflet_dir=tmp_path / "l")
    assert len(later.sent) == 11 and later.already_sent == 8 and len(inbox.messages) == 11

    # A new first row while the server is down: the letters sent before are not counted.
    csv_file.write_text(
        csv_file.read_text().replace(
            "language\n", "language\nNew Patient,new@example.com,microneedling,2026-12-04,,,\n"
        )
    )
    down = run_email(csv_file, kit, send=True, leaflet_dir=tmp_path / "l")
    assert down.already_sent == 19
    assert down.summary_by_reason() == {
        "not sent: the mail server could not be reached; run again later": 1,
        "no email address; print the leaflet instead": 1,
    }


def test_a_spanish_subject_joins_treatments_in_spanish(mail_kit, certificate, tmp_path):
    kit, port, csv_file = mail_kit
    csv_file.write_text(
        "patient_name,email,treatment,date,time,practitioner,language\n"
        "Lucía Pérez,lucia@example.com,chemical-peel;microneedling,2026-12-05,09:00,,es\n"
        "Ann Lee,ann@example.com,chemical-peel;microneedling;dermaplaning,2026-12-05,10:00,,\n"
    )
    with SmtpServer(port, certificate) as inbox:
        run_email(csv_file, kit, send=True, leaflet_dir=tmp_path / "l")
    subjects = {m["To"]: m["Subject"] for m in inbox.messages}
    assert subjects["lucia@example.com"] == (
        "Su folleto: peeling químico y micropunción - Northbank Skin Clinic"
    )
    assert subjects["ann@example.com"] == (
        "Your chemical peel, microneedling and dermaplaning leaflet - Northbank Skin Clinic"
    )


AFTERCARE_SENTENCES = [
    # Amira's visit is on 3 December, Lucía's (in Spanish) on 5 December.
    ("2026-12-03", "amira@example.com", "Thank you for visiting Northbank Skin Clinic today."),
    ("2026-12-04", "amira@example.com", "Thank you for visiting Northbank Skin Clinic yesterday."),
    (
        "2026-12-05",
        "amira@example.com",
        "Thank you for visiting Northbank Skin Clinic on Thursday, 3 December 2026.",
    ),
    ("2026-12-05", "lucia@example.com", "Gracias por visitar Northbank Skin Clinic hoy."),
    ("2026-12-06", "lucia@example.com", "Gracias por visitar Northbank Skin Clinic ayer."),
    (
        "2026-12-07",
        "lucia@example.com",
        "Gracias por visitar Northbank Skin Clinic el sábado, 5 de diciembre de 2026.",
    ),
]


@pytest.mark.parametrize(("today", "address", "sentence"), AFTERCARE_SENTENCES)
def test_aftercare_says_when_the_visit_was(
    mail_kit, certificate, tmp_path, today, address, sentence
):
    kit, port, csv_file = mail_kit
    with SmtpServer(port, certificate) as inbox:
        day = dt.date.fromisoformat(today)
        run_email(csv_file, kit, send=True, today=day, leaflet_dir=tmp_path)
    (letter,) = [m for m in inbox.messages if m["To"] == address]
    assert letter["Subject"].strip().startswith(("Looking after", "Cómo cuidar"))
    assert sentence in " ".join(letter.get_body(("plain",)).get_content().split())
    html = " ".join(letter.get_body(("html",)).get_content().split())
    when = sentence.split("Northbank Skin Clinic ")[1]
    assert f"{'visiting us' if address.startswith('amira') else 'visitarnos'} {when}" in html


def test_outbox_writes_a_duplicate_row_once_and_send_sends_it_once(mail_kit, certificate, tmp_path):
    kit, port, csv_file = mail_kit
    row = "Ann Lee,ann@example.com,microneedling,2026-12-03,09:00,Dr Ruiz,en"
    csv_file.write_text(
        f"patient_name,email,treatment,date,time,practitioner,language\n{row}\n{row}\n"
    )
    outbox = run_email(csv_file, kit, outbox=tmp_path / "out")
    name = "2026-12-03_Ann-Lee_microneedling.leaflet.eml"
    assert [path.name for path in outbox.written] == [name]
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == [name, "leaflets"]
    with SmtpServer(port, certificate) as inbox:
        sent = run_email(csv_file, kit, send=True, leaflet_dir=tmp_path / "l")
    assert sent.sent == ["ann@example.com"] and sent.already_sent == 0
    assert len(inbox.messages) == 1


def test_security_none_sends_plain_smtp_to_a_relay_on_this_computer(clinic_kit, tmp_path):
    port = free_port()
    kit = relay_mail_kit(clinic_kit, port)
    csv_file = tmp_path / "appointments.csv"
    csv_file.write_text(
        "patient_name,email,treatment,date,time\nAnn Lee,ann@example.com,microneedling,,\n"
    )
    with PlainSmtpServer(port) as inbox:
        report = run_email(csv_file, kit, send=True, leaflet_dir=tmp_path / "l")
    assert report.sent == ["ann@example.com"] and report.problems == []
    assert [m["To"] for m in inbox.messages] == ["ann@example.com"]


def test_letters_without_a_from_address_are_refused_before_any_is_written(clinic_kit, in_tmp):
    """A kit with neither mail.from nor email: one line saying what to set, no .eml."""
    kit = clinic_kit()
    csv_file = in_tmp / "appointments.csv"
    csv_file.write_text("patient_name,email,treatment\nAnn Lee,ann@example.com,microneedling\n")
    result = CliRunner().invoke(
        cli, ["email", str(csv_file), "--clinic", str(kit), "--outbox", "outbox"]
    )
    assert result.exit_code == 1
    assert result.output == (
        "Error: clinic.yaml: mail: set from (or email) so the letters say who they come from\n"
    )
    assert not (in_tmp / "outbox").exists()
