"""Email at most once against real servers on localhost that misbehave around the end of data.

A letter whose data went out with no answer is uncertain: reported with its Message-ID,
never resent by itself, settled by ``--resend`` or ``--mark-sent`` (or the web page).
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
import sqlite3
import time

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from smtp_server import FaultyServer, Inbox, free_port, relay_mail_kit

from handouts.cli import cli
from handouts.config import load_clinic
from handouts.history import database_path, leaflet_history
from handouts.letter_log import claim_message, start_delivery, uncertain_letters
from handouts.mail import run_email
from handouts.web import create_app

FROM = "hello@northbank-skin.example"
ROWS = [
    "Ann Lee,ann@example.com,microneedling,2026-12-03,09:00",
    "Bo Chen,bo@example.com,dermaplaning,2026-12-03,10:00",
]


@pytest.fixture
def relay_kit(clinic_kit, tmp_path, in_tmp):
    """The demo kit sending by plain SMTP to a relay on this computer, waiting 5 s for answers."""
    port = free_port()
    kit = relay_mail_kit(clinic_kit, port, "timeout: 5")
    csv_file = tmp_path / "appointments.csv"
    csv_file.write_text("\n".join(["patient_name,email,treatment,date,time", *ROWS[:1]]) + "\n")
    return kit, port, csv_file


def email_cli(*args):
    return CliRunner().invoke(cli, ["email", *map(str, args)])


def message_ids(server):
    return [message["Message-ID"] for message in server.messages()]


def email_records(kit):
    return [record for record in leaflet_history(load_clinic(kit)) if record.channel == "email"]


def test_no_answer_to_the_end_of_data_is_uncertain_never_resent_until_resend(relay_kit):
    kit, port, csv_file = relay_kit
    with FaultyServer(port, ["slow:30"]) as server:
        started = time.monotonic()
        first = email_cli(csv_file, "--clinic", kit, "--send")
        waited = time.monotonic() - started
    assert len(server.received) == 1  # given up on after the timeout, and not sent again
    (message_id,) = message_ids(server)
    assert 5 <= waited < 25
    assert first.exit_code == 1
    assert first.stdout == "The file had 1 row. Sent 0 emails.\n"
    assert first.stderr.splitlines() == [
        "1 uncertain: the mail server got it but did not say whether it took it, so it may have"
        " arrived; it is never sent again by itself:",
        "  line 2: ann@example.com",
        f"    Message-ID {message_id}: the server did not answer after the letter went "
        "(no answer in 5 seconds; mail: timeout in clinic.yaml sets how long to wait)",
        "    Find this Message-ID in the mail server's log, then:",
        f"    if it arrived:        handouts email --mark-sent '{message_id}' --clinic {kit}",
        f"    if it did not arrive: handouts email --resend '{message_id}' --clinic {kit}",
    ]
    assert email_records(kit) == []  # not known to be handed out yet

    with FaultyServer(port) as server:
        second = email_cli(csv_file, "--clinic", kit, "--send")
        assert server.received == []  # not in a later run either
        assert second.exit_code == 1
        assert "  line 2: ann@example.com (left uncertain by an earlier run)" in second.stderr
        listed = email_cli("--uncertain", "--clinic", kit)
        assert listed.exit_code == 0
        assert listed.stdout.startswith("1 uncertain letter.\n")
        assert f"    Message-ID {message_id}: the server did not answer" in listed.stdout

        resent = email_cli("--resend", message_id, "--clinic", kit)
        assert resent.exit_code == 0, resent.output
        assert resent.stdout == f"Sent {message_id} to ann@example.com again.\n"
        assert message_ids(server) == [message_id]

        again = email_cli("--resend", message_id.strip("<>"), "--clinic", kit)
        assert again.exit_code == 1
        assert again.stderr == f"Error: {message_id}: this letter was sent; it is not sent again\n"
        third = email_cli(csv_file, "--clinic", kit, "--send")
        assert third.exit_code == 0
        assert third.stdout == "The file had 1 row. Sent 0 emails (1 sent before).\n"
    assert len(server.received) == 1
    assert email_cli("--uncertain", "--clinic", kit).stdout == "No uncertain letters.\n"
    assert len(email_records(kit)) == 1


def test_resend_sends_the_very_same_bytes(relay_kit):
    kit, port, csv_file = relay_kit
    with FaultyServer(port, ["drop"]) as server:
        run_email(csv_file, kit, send=True)
        (message_id,) = message_ids(server)
        assert email_cli("--resend", message_id, "--clinic", kit).exit_code == 0
    first, resent = (data for _, data in server.received)
    assert first == resent


def test_a_dropped_connection_after_the_data_is_uncertain_and_mark_sent_settles_it(relay_kit):
    kit, port, csv_file = relay_kit
    csv_file.write_text("\n".join(["patient_name,email,treatment,date,time", *ROWS]) + "\n")
    with FaultyServer(port, ["drop"]) as server:
        report = run_email(csv_file, kit, send=True)
    (message_id,) = message_ids(server)
    assert [(entry.row, entry.message_id) for entry in report.uncertain] == [(2, message_id)]
    assert report.uncertain[0].reason == (
        "the server did not answer after the letter went (the server closed the connection)"
    )
    # The run stops: the next letter is not sent into a server that leaves letters uncertain.
    assert report.problems == [
        (3, "not sent: the run stopped after a letter the server did not confirm; run again later")
    ]

    marked = email_cli("--mark-sent", message_id, "--clinic", kit)
    assert marked.exit_code == 0, marked.output
    assert marked.stdout == f"Marked {message_id} to ann@example.com as sent.\n"
    assert email_cli("--uncertain", "--clinic", kit).stdout == "No uncertain letters.\n"
    twice = email_cli("--mark-sent", message_id, "--clinic", kit)
    assert twice.stderr == (
        f"Error: {message_id}: this letter was sent; only an uncertain letter can be marked sent\n"
    )
    assert [record.patient for record in email_records(kit)] == ["Ann Lee"]

    with FaultyServer(port) as server:
        later = run_email(csv_file, kit, send=True)
    assert later.sent == ["bo@example.com"] and later.already_sent == 1
    assert [message["To"] for message in server.messages()] == ["bo@example.com"]


def test_a_resend_that_cannot_reach_the_server_leaves_the_letter_uncertain(relay_kit):
    kit, port, csv_file = relay_kit
    with FaultyServer(port, ["drop"]) as server:
        run_email(csv_file, kit, send=True)
    (message_id,) = message_ids(server)
    down = email_cli("--resend", message_id, "--clinic", kit)
    assert down.exit_code == 1
    assert down.stderr == (
        f"Error: {message_id}: not sent again: cannot reach the mail server 127.0.0.1:{port}"
        " (connection refused); it is still uncertain; send it again later\n"
    )
    (letter,) = uncertain_letters(load_clinic(kit))
    assert letter.reason == (
        "the server did not answer after the letter went (the server closed the connection);"
        f" sending it again failed: cannot reach the mail server 127.0.0.1:{port}"
        " (connection refused)"
    )
    with FaultyServer(port) as server:  # its first try may have arrived: no run sends it
        later = run_email(csv_file, kit, send=True)
    assert server.received == [] and [entry.earlier for entry in later.uncertain] == [True]


@pytest.mark.parametrize(
    ("fault", "arrived", "reason"),
    [
        (
            "refuse",
            0,
            "not sent to ann@example.com: the server refused the letter (451 try again later);"
            " it is tried again next run",
        ),
        (
            "reject",
            1,
            "not sent to ann@example.com: the server refused the letter (554 message refused);"
            " it is tried again next run",
        ),
    ],
)
def test_a_letter_the_server_refuses_is_failed_and_tried_again(relay_kit, fault, arrived, reason):
    kit, port, csv_file = relay_kit
    with FaultyServer(port, [fault]) as server:
        report = run_email(csv_file, kit, send=True)
        assert len(server.received) == arrived
        assert report.problems == [(2, reason)] and report.uncertain == []
        again = run_email(csv_file, kit, send=True)
    assert again.sent == ["ann@example.com"]
    assert len(server.received) == arrived + 1
    assert len(email_records(kit)) == 1


def test_refused_connection_is_failed_then_sent_by_the_next_run(relay_kit):
    kit, port, csv_file = relay_kit
    down = run_email(csv_file, kit, send=True)
    assert down.uncertain == []
    assert down.problems == [
        (
            2,
            f"not sent: cannot reach the mail server 127.0.0.1:{port} (connection refused);"
            " run again later",
        )
    ]
    with FaultyServer(port) as server:
        assert run_email(csv_file, kit, send=True).sent == ["ann@example.com"]
    assert len(server.received) == 1


def test_a_slow_answer_within_the_timeout_is_sent_once(relay_kit):
    kit, port, csv_file = relay_kit
    with FaultyServer(port, ["slow:2"]) as server:
        result = email_cli(csv_file, "--clinic", kit, "--send")
    assert result.exit_code == 0, result.output
    assert result.stdout == "The file had 1 row. Sent 1 email.\n"
    assert len(server.received) == 1


def test_resend_refuses_what_is_not_uncertain_or_failed(relay_kit):
    kit, _, csv_file = relay_kit
    unknown = email_cli("--resend", "<nope@example>", "--clinic", kit)
    assert unknown.exit_code == 1
    assert unknown.stderr == (
        "Error: <nope@example>: no letter has this Message-ID; "
        "'handouts email --uncertain' lists the letters to check\n"
    )
    mixed = email_cli(csv_file, "--resend", "<x@y>", "--clinic", kit)
    assert mixed.exit_code == 2
    assert "Error: --resend goes alone (with --clinic at most)" in mixed.stderr
    assert "name the APPOINTMENTS file" in email_cli("--send", "--clinic", kit).stderr


def test_a_letter_whose_run_died_while_its_data_went_is_uncertain(relay_kit):
    kit, _, _ = relay_kit
    clinic = load_clinic(kit)
    claim_message(clinic, "key", "ann@example.com", "Ann Lee", "leaflet", "<id@clinic>")
    start_delivery(clinic, "key")
    assert uncertain_letters(clinic) == []  # a run may still be waiting for the answer
    assert claim_message(clinic, "key", "ann@example.com", "Ann Lee", "leaflet", "<new@c>") is None
    with sqlite3.connect(database_path(clinic)) as connection:
        connection.execute("UPDATE messages SET claimed = '2020-01-01T00:00:00+00:00'")
    assert [letter.message_id for letter in uncertain_letters(clinic)] == ["<id@clinic>"]
    assert claim_message(clinic, "key", "ann@example.com", "Ann Lee", "leaflet", "<new@c>") is None


# Addresses -------------------------------------------------------------------------------


def test_a_comma_in_the_clinic_name_makes_one_from_address_and_a_bare_envelope(relay_kit):
    kit, port, csv_file = relay_kit
    config = (kit / "clinic.yaml").read_text()
    config = re.sub(r"(?m)^name: .*$", 'name: "Smith, Jones & Co Skin"', config, count=1)
    (kit / "clinic.yaml").write_text(config)
    with FaultyServer(port) as server:
        run_email(csv_file, kit, send=True)
    ((sender, data),) = server.received
    assert sender == f"<{FROM}>" and server.mail_commands == [f"mail FROM:<{FROM}>"]
    message = email.message_from_bytes(data, policy=email.policy.default)
    (address,) = message["From"].addresses
    assert (address.display_name, address.addr_spec) == ("Smith, Jones & Co Skin", FROM)
    raw_from = email.message_from_bytes(data)["From"]
    assert email.utils.getaddresses([raw_from]) == [("Smith, Jones & Co Skin", FROM)]


@pytest.mark.parametrize(
    "address",
    ["josé@example.com", "ann@пример.рф", "张伟@例子.测试", "ann@example.xn--p1ai"],
)
def test_outbox_writes_a_non_ascii_address_as_raw_utf8(relay_kit, tmp_path, address):
    """Any script in the local part or the domain (an IDN, or its xn-- form) is an address."""
    kit, _, csv_file = relay_kit
    csv_file.write_text(f"patient_name,email,treatment,date,time\nJosé,{address},microneedling,,\n")
    report = run_email(csv_file, kit, outbox=tmp_path / "out")
    assert report.problems == []
    data = report.written[0].read_bytes()
    (to_line,) = [line for line in data.split(b"\r\n") if line.startswith(b"To:")]
    assert to_line == f"To: {address}".encode()  # RFC 6532: raw UTF-8
    message = email.message_from_string(data.decode(), policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == address


def test_a_non_ascii_address_goes_by_smtputf8_when_offered(relay_kit):
    kit, port, csv_file = relay_kit
    csv_file.write_text(
        "patient_name,email,treatment,date,time\nJosé,josé@example.com,microneedling,,\n"
    )
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    try:
        report = run_email(csv_file, kit, send=True)
    finally:
        controller.stop()
    assert report.sent == ["josé@example.com"] and report.problems == []
    (envelope,) = inbox.envelopes
    assert envelope.mail_from == FROM and envelope.rcpt_tos == ["josé@example.com"]
    assert envelope.mail_options == ["SMTPUTF8", "BODY=8BITMIME"]
    message = email.message_from_string(envelope.content.decode(), policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == "josé@example.com"


def test_a_non_ascii_reply_to_asks_for_smtputf8_too(relay_kit):
    kit, port, csv_file = relay_kit
    config = (kit / "clinic.yaml").read_text()
    reply_to = "recepción@northbank-skin.example"
    (kit / "clinic.yaml").write_text(
        config.replace(f"from: {FROM}}}", f"from: {FROM}, reply_to: {reply_to}}}")
    )
    with FaultyServer(port, extensions=("8BITMIME", "SMTPUTF8")) as server:
        assert run_email(csv_file, kit, send=True).sent == ["ann@example.com"]
    assert server.mail_commands == [f"mail FROM:<{FROM}> SMTPUTF8 BODY=8BITMIME"]
    ((_, data),) = server.received
    assert f"Reply-To: {reply_to}\r\n".encode() in data


def test_a_non_ascii_address_is_not_sent_when_the_server_cannot_take_it(relay_kit):
    kit, port, csv_file = relay_kit
    csv_file.write_text(
        "patient_name,email,treatment,date,time\nJosé,josé@example.com,microneedling,,\n"
    )
    with FaultyServer(port, extensions=("8BITMIME",)) as server:
        report = run_email(csv_file, kit, send=True)
    assert server.received == [] and report.uncertain == []
    assert report.problems == [
        (
            2,
            "not sent to josé@example.com: the mail server does not offer SMTPUTF8, which an "
            "address with non-ASCII letters needs; check the address with the patient or print"
            " the leaflet",
        )
    ]


# The web app --------------------------------------------------------------------------------


def csrf_token(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def web_client(relay_kit, tmp_path):
    kit = relay_kit[0]
    app = create_app(kit, cache_dir=tmp_path / "cache", workers=1, prepare=False)
    yield app.test_client()
    app.extensions["handouts"].maker.close()


def test_the_web_page_lists_uncertain_letters_and_settles_them(relay_kit, web_client):
    kit, port, csv_file = relay_kit
    csv_file.write_text("\n".join(["patient_name,email,treatment,date,time", *ROWS]) + "\n")
    with FaultyServer(port, ["drop"]) as server:
        run_email(csv_file, kit, send=True)
        run_email(csv_file, kit, send=True)  # Bo's letter goes; Ann's stays uncertain
    assert len(server.received) == 2
    (ann_id,) = [
        message["Message-ID"] for message in server.messages() if message["To"] == "ann@example.com"
    ]
    empty_page = web_client.get("/").get_data(as_text=True)
    assert 'href="/letters"' in empty_page  # in the navigation
    page = web_client.get("/letters").get_data(as_text=True)
    assert "Ann Lee" in page and "ann@example.com" in page and "Bo Chen" not in page
    assert ann_id.replace("<", "&lt;").replace(">", "&gt;") in page
    assert page.count('name="message_id"') == 2  # Mark as sent, Send again

    token = csrf_token(web_client, "/letters")
    refused = web_client.post("/letters/resend", data={"message_id": ann_id})
    assert refused.status_code == 400  # no CSRF token
    down = web_client.post(
        "/letters/resend", data={"csrf_token": token, "message_id": ann_id}, follow_redirects=True
    )
    assert "Not sent again: The mail server could not be reached. It stays on this list." in (
        down.get_data(as_text=True)
    )
    with FaultyServer(port) as server:
        resent = web_client.post(
            "/letters/resend",
            data={"csrf_token": token, "message_id": ann_id},
            follow_redirects=True,
        )
    assert "Sent again." in resent.get_data(as_text=True)
    assert message_ids(server) == [ann_id]
    assert "Nothing to check" in resent.get_data(as_text=True)
    marked = web_client.post(
        "/letters/mark-sent",
        data={"csrf_token": token, "message_id": ann_id},
        follow_redirects=True,
    )
    assert "Not changed: " in marked.get_data(as_text=True)
    assert "this letter was sent" in marked.get_data(as_text=True)


def test_the_web_mark_as_sent_button(relay_kit, web_client):
    kit, port, csv_file = relay_kit
    with FaultyServer(port, ["drop"]):
        run_email(csv_file, kit, send=True)
    (letter,) = uncertain_letters(load_clinic(kit))
    token = csrf_token(web_client, "/letters")
    page = web_client.post(
        "/letters/mark-sent",
        data={"csrf_token": token, "message_id": letter.message_id},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Marked as sent." in page and "Nothing to check" in page
    assert uncertain_letters(load_clinic(kit)) == []
    assert [record.patient for record in email_records(kit)] == ["Ann Lee"]


def test_the_email_button_says_uncertain_honestly(relay_kit, web_client):
    kit, port, _ = relay_kit
    form = {
        "csrf_token": csrf_token(web_client, "/"),
        "treatment": "microneedling",
        "patient": "Ann Lee",
        "email": "ann@example.com",
    }
    preview_url = web_client.post("/preview", data=form).headers["Location"]
    form = {"csrf_token": csrf_token(web_client, preview_url), "email": "ann@example.com"}
    with FaultyServer(port, ["drop"]) as server:
        first = web_client.post(f"{preview_url}/email", data=form, follow_redirects=True)
        again = web_client.post(f"{preview_url}/email", data=form, follow_redirects=True)
    assert len(server.received) == 1
    assert "Uncertain: the mail server received the letter" in first.get_data(as_text=True)
    assert "Sent." not in first.get_data(as_text=True)
    assert "an earlier try of this letter is uncertain" in again.get_data(as_text=True)
    assert len(uncertain_letters(load_clinic(kit))) == 1
