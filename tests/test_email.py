"""`handouts email` against a real SMTP server on localhost (aiosmtpd, with STARTTLS)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import threading

from click.testing import CliRunner
from smtp_server import SmtpServer

from handouts.cli import cli
from handouts.mail import run_email


def test_messages_arrive_once_with_the_leaflet_attached(mail_kit, certificate, in_tmp):
    kit, port, csv_file = mail_kit
    with SmtpServer(port, certificate) as inbox:
        result = CliRunner().invoke(cli, ["email", str(csv_file), "--clinic", str(kit), "--send"])
        assert result.exit_code == 1  # the row without an email address is reported
        assert result.stdout == "Sent 2 emails.\n"
        assert "row 4: no email address; print the leaflet instead" in result.stderr
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
        assert again.stdout == "Sent 0 emails (2 sent before).\n"
        assert len(inbox.messages) == 2


def test_server_down_fails_clearly_then_the_next_run_sends_everything_once(
    mail_kit, certificate, in_tmp
):
    kit, port, csv_file = mail_kit
    down = CliRunner().invoke(cli, ["email", str(csv_file), "--clinic", str(kit), "--send"])
    assert down.exit_code == 1
    assert f"cannot reach the mail server 127.0.0.1:{port}" in down.stderr
    assert "nothing more was sent, run again later" in down.stderr
    with SmtpServer(port, certificate) as inbox:
        up = CliRunner().invoke(cli, ["email", str(csv_file), "--clinic", str(kit), "--send"])
        assert up.stdout == "Sent 2 emails.\n"
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
