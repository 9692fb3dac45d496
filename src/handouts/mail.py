"""``handouts email``: each appointment's leaflet by email, sent once and only once.

Every message is claimed in the clinic's history before it is sent and marked sent
after the server accepts it; a send that failed before the letter's data went out
stays 'failed' and is tried again on the next run. One whose data went out with no
answer is 'uncertain' and is never sent again by itself (see .sending). ``--outbox``
writes .eml files instead of sending.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from . import letter_log, sending
from .appointment_csv import AppointmentRow, read_appointments
from .atomic import save_file, write_atomically
from .config import Clinic, load_clinic
from .content import ContentLibrary
from .errors import HandoutsError
from .history import LeafletRecord, check_history, now, record_leaflets
from .leaflet import leaflet_maker
from .letters import as_bytes, compose
from .mail_report import AFTER_UNCERTAIN, BAD_ROW, NO_ADDRESS, EmailReport, UncertainEntry
from .sending import Outcome, UncertainLetter, send_letter, sender_address
from .smtp import NOT_MADE, Mailer, NotSent, ServerDown

NOT_WRITTEN = "not written: the letter's file could not be written in the outbox"

Kind = Literal["leaflet", "precare", "aftercare"]
AFTERCARE_DAYS = 3
"""How many days after the visit a failed or missed aftercare letter is still sent."""


@dataclass(frozen=True)
class Letter:
    """One email to one patient about one appointment."""

    row: AppointmentRow
    kind: Kind
    key: str
    """Identifies the message across runs, so it is never sent twice."""


def due_letters(rows: list[AppointmentRow], today: date | None, precare_days: int) -> list[Letter]:
    """The letters to send: every row, or with ``today`` those due that day.

    Pre-care is due from ``precare_days`` before the visit until the day before;
    aftercare from the day of the visit for AFTERCARE_DAYS more days. A letter that
    failed or was missed goes on a later run within its window, and never twice.
    """
    letters = []
    for row in rows:
        visit = row.appointment.date
        if today is None:
            kinds: list[Kind] = ["leaflet"]
        elif visit is None:
            kinds = []
        elif visit - timedelta(days=precare_days) <= today < visit:
            kinds = ["precare"]
        elif visit <= today <= visit + timedelta(days=AFTERCARE_DAYS):
            kinds = ["aftercare"]
        else:
            kinds = []
        for kind in kinds:
            letters.append(Letter(row, kind, _letter_key(row, kind)))
    return letters


def _letter_key(row: AppointmentRow, kind: Kind, day: date | None = None) -> str:
    """The same for the same letter, however it is asked for (CSV or web, any order)."""
    appointment = row.appointment
    parts = [
        kind,
        (row.email or "").lower(),
        appointment.patient or "",
        ";".join(sorted(row.treatments)),
        str(appointment.date or day),
        str(appointment.time),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _unused_name(path: Path, taken: set[Path]) -> Path:
    """``path``, or ``path`` with -2, -3... when this run already wrote a file of that name."""
    candidate, number = path, 1
    while candidate in taken:
        number += 1
        candidate = path.with_stem(f"{path.stem}-{number}")
    taken.add(candidate)
    return candidate


@dataclass
class _Leaflets:
    """Makes each letter's personal leaflet in ``folder`` (``leaflet.make_leaflet``'s road)."""

    folder: Path
    taken: set[Path] = field(default_factory=set)
    """Files this run wrote: a second leaflet of the same name gets -2, -3..."""

    def make(self, clinic: Clinic, row: AppointmentRow) -> tuple[Path, bytes, LeafletRecord]:
        """Write the row's leaflet; its path, bytes and what the history keeps."""
        target = _unused_name(self.folder / row.file_name(), self.taken)
        leaflet = leaflet_maker().make(row.request("email"), clinic, target)
        save_file(target, leaflet.pdf)
        return target, leaflet.pdf, leaflet.record


def can_send(clinic: Clinic) -> bool:
    """True when clinic.yaml names a mail server and a From address."""
    return bool(clinic.mail.host and sender_address(clinic))


def run_email(
    csv_path: Path,
    clinic_dir: Path | None = None,
    send: bool = False,
    outbox: Path | None = None,
    today: date | None = None,
    leaflet_dir: Path | None = None,
) -> EmailReport:
    """Email (or, with ``outbox``, write .eml files for) each appointment's leaflet.

    Every appointment not sent is in the report's ``problems``: when the server
    stops answering, or leaves a letter uncertain, so is each letter not tried after it.
    Uncertain letters are in the report's ``uncertain``.
    """
    clinic = load_clinic(clinic_dir)
    if send and not can_send(clinic):
        raise HandoutsError("clinic.yaml: mail: set host and from (or email) before --send")
    if not send and outbox is None:
        raise HandoutsError("nothing to do: send the letters, or name a folder to write them to")
    if not (clinic.mail.from_address or clinic.email):
        raise HandoutsError(
            "clinic.yaml: mail: set from (or email) so the letters say who they come from"
        )
    check_history(clinic)  # the letters sent are kept there: it must work before any goes
    rows, problems = read_appointments(csv_path, ContentLibrary(clinic.kit_dir), clinic.font_path)
    report = EmailReport(rows=len(rows) + len(problems))
    for problem in problems:
        if problem.duplicate:
            report.duplicates.append((problem.row, problem.reason))
        else:
            report.not_sent(problem.row, problem.reason, BAD_ROW)
    leaflet_dir = leaflet_dir or (outbox or Path.cwd()) / "leaflets"
    run = _Run(clinic, report, Mailer(clinic) if send else None, outbox, _Leaflets(leaflet_dir))
    run.today = today
    letters = due_letters(rows, today, clinic.mail.precare_days)
    try:
        for number, letter in enumerate(letters):
            try:
                _deliver(run, letter)
            except ServerDown as error:
                report.not_sent(
                    letter.row.row, f"not sent: {error.message}; run again later", error.cause
                )
                _count_unsent(run, letters[number + 1 :], error.cause)
                break
            except UncertainLetter as error:  # stop: sending more may leave more uncertain
                report.uncertain.append(
                    UncertainEntry(letter.row.row, error.recipient, error.message_id, error.message)
                )
                _count_unsent(run, letters[number + 1 :], f"{AFTER_UNCERTAIN}; run again later")
                break
    finally:
        if run.mailer is not None:
            run.mailer.close()
    report.problems.sort()
    return report


def _count_unsent(run: _Run, letters: list[Letter], cause: str) -> None:
    """Report the letters a run could not try, except those sent on an earlier run."""
    states = letter_log.letter_states(run.clinic, [letter.key for letter in letters])
    for letter in letters:
        state = states.get(letter.key)
        if not letter.row.email:
            run.report.not_sent(letter.row.row, NO_ADDRESS)
        elif state and state.status == "sent":
            run.report.already_sent += 1
        elif state and state.is_uncertain(run.clinic):
            _earlier_uncertain(run, letter, state)
        else:
            run.report.not_sent(letter.row.row, cause, cause)


def _earlier_uncertain(
    run: _Run, letter: Letter, state: letter_log.LetterState | None = None
) -> None:
    """Report a letter left uncertain by an earlier run (not sent again now)."""
    if state is None:  # not looked up yet
        state = letter_log.letter_states(run.clinic, [letter.key])[letter.key]
    reason = state.reason or "the server did not say whether it took the letter"
    run.report.uncertain.append(
        UncertainEntry(letter.row.row, state.recipient, state.message_id, reason, earlier=True)
    )


def email_leaflet(
    clinic: Clinic, row: AppointmentRow, pdf: bytes, file_name: str, record: LeafletRecord
) -> Outcome | Literal["uncertain"]:
    """Email a leaflet already made (the web app's Email button).

    Returns "sent", "sent before", "uncertain before" (an earlier try may have arrived)
    or "uncertain" (this try may have: the server did not say). The letter's key is the
    one ``handouts email`` uses, so a patient never gets the same leaflet twice from
    the two together.
    """
    if not can_send(clinic):
        raise HandoutsError("clinic.yaml: mail: set host and from (or email) to send email")
    # Without an appointment date, the same leaflet may go to the same address once a day.
    letter = Letter(row, "leaflet", _letter_key(row, "leaflet", day=date.today()))
    mailer = Mailer(clinic)
    try:
        return send_letter(
            clinic,
            letter,
            mailer,
            lambda message_id: (
                compose(clinic, letter, pdf, file_name, message_id),
                replace(record, channel="email", created=now()),
            ),
        )
    except UncertainLetter:
        return "uncertain"
    finally:
        mailer.close()


@dataclass
class _Run:
    """What every letter of one ``run_email`` needs."""

    clinic: Clinic
    report: EmailReport
    mailer: Mailer | None
    outbox: Path | None
    leaflets: _Leaflets
    today: date | None = None
    done: set[str] = field(default_factory=set)
    """Keys of the letters this run has sent or written: an exact duplicate row goes once."""


def _deliver(run: _Run, letter: Letter) -> None:
    clinic, report, row = run.clinic, run.report, letter.row
    if not row.email:
        report.not_sent(row.row, NO_ADDRESS)
        return
    if letter.key in run.done:
        return
    run.done.add(letter.key)

    def prepare(message_id: str) -> tuple[EmailMessage, LeafletRecord]:
        target, pdf, record = run.leaflets.make(clinic, row)
        message = compose(clinic, letter, pdf, target.name, message_id, run.today)
        return message, record

    if run.mailer is not None:
        try:
            outcome = send_letter(clinic, letter, run.mailer, prepare)
        except ServerDown:
            raise
        except NotSent as error:
            report.not_sent(row.row, error.message, error.cause)
            return
        if outcome == "sent":
            report.sent.append(row.email)
        elif outcome == "uncertain before":
            _earlier_uncertain(run, letter)
        else:
            report.already_sent += 1
        return
    try:
        message, record = prepare(sending.new_message_id(clinic))
        content = as_bytes(message)
    except Exception as error:
        report.not_sent(row.row, sending.plain_reason(error), NOT_MADE)
        return
    eml = run.outbox / Path(record.output).with_suffix(f".{letter.kind}.eml").name
    try:
        write_atomically(eml, content)
    except HandoutsError as error:  # e.g. a pipe or a link where the letter goes
        report.not_sent(row.row, error.message, NOT_WRITTEN)
        return
    report.written.append(eml)
    record_leaflets(clinic, [record])
