"""Add a treatment to a clinic kit from a blank template: a treatment.yaml and seven sections.

Each section is draft text saying what to write, version 0.1, so it prints with the
"Sample text" mark until the clinic rewrites and approves it. The folder is written in
full beside ``content/`` and renamed into place, so a failure never leaves half a treatment.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from .audit import AuditEntry
from .clock import now_iso, today
from .config import Clinic
from .content import STANDARD_BLOCKS, ContentLibrary, read_block
from .content_schema import SLUG, TreatmentMeta
from .context import render_block
from .errors import HandoutsError, InputError
from .kit_lock import kit_lock
from .paths import display_path
from .section_edit import audit_change, writable_kit
from .yaml_edit import dump_text, load_for_edit
from .yamlio import parse_yaml

DRAFT_VERSION = "0.1"
MAX_TITLE_CHARS = 80
BLANK_SECTIONS: dict[str, tuple[str, str]] = {
    "about": (
        "What is {title}?",
        "Say what the treatment is and what it is for.\n\n"
        "Say who it suits, and who should not have it.\n",
    ),
    "what-to-expect": (
        "What to expect on the day",
        "Say what happens, step by step, and how long it takes.\n\n"
        "- Say if it hurts, and what helps.\n- Say how many sessions most people need.\n",
    ),
    "benefits": (
        "How it can help",
        "Say what it can do, and when the results show.\n\n"
        "Say what it cannot do, so nobody expects too much.\n",
    ),
    "before": (
        "Before your appointment",
        "Say what to do, and what to stop, in the days before.\n\n"
        "- Tell us about any medicines you take.\n",
    ),
    "aftercare": (
        "Looking after yourself afterwards",
        "Say what to do, and what to avoid, in the first days.\n\n"
        "- Say when normal life can start again.\n",
    ),
    "risks": (
        "Side effects and when to call us",
        "Say which side effects are common, and how long they last.\n\n"
        "**Call us today** on {{ clinic.phone }} if you are worried.\n\n"
        "When we are closed, {{ clinic.emergency }}.\n",
    ),
    "alternatives": (
        "Other options",
        "Say which other treatments could help.\n\n- You can choose to have no treatment.\n",
    ),
}
"""Title and draft text of each standard section of a new treatment."""
SAMPLE_SOURCE = "Write where the facts come from: a guideline, a review or your clinic's protocol"
HEADER = "A treatment added in the manager workspace. Edit it freely; see the kit's README.md."


@dataclass(frozen=True)
class AddedTreatment:
    slug: str
    folder: Path
    entry: AuditEntry


def slug_for(title: str) -> str:
    """The folder name a title suggests: ``Lip Filler (Russian)`` -> ``lip-filler-russian``."""
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:64].rstrip("-")


def check_slug(slug: str, library: ContentLibrary) -> None:
    """A new, well-formed treatment name; InputError says what is wrong."""
    if not SLUG.fullmatch(slug) or slug.endswith("-") or "--" in slug:
        raise InputError(
            f"name {slug!r}: use lowercase letters, digits and single hyphens, like "
            "'lip-filler' (up to 64 characters, no spaces or slashes)"
        )
    if slug in library.slugs():
        raise InputError(f"name {slug!r}: there is a treatment with that name already")


def _names(text: str) -> list[str]:
    """``also known as`` as typed: one per line or comma-separated."""
    return [" ".join(part.split()) for part in re.split(r"[,\n]", text) if part.strip()]


def _check_words(title: str, names: list[str], summary: str) -> None:
    said = [("title", title), ("summary", summary), *(("also known as", n) for n in names)]
    for label, value in said:
        limit = 300 if label == "summary" else MAX_TITLE_CHARS
        if len(value) > limit or not value.isprintable() or "{" in value:
            raise InputError(f"{label}: one line of up to {limit} characters, without braces")
    if not title:
        raise InputError("title: give the treatment a name, as patients know it")


def add_treatment(
    clinic: Clinic, title: str, slug: str, also_known_as: str, summary: str, by: str
) -> AddedTreatment:
    """Write ``content/<slug>/`` into the kit from the blank template, and audit it."""
    writable_kit(clinic)
    title, summary = " ".join(title.split()), " ".join(summary.split())
    names = _names(also_known_as)
    _check_words(title, names, summary)
    slug = slug.strip() or slug_for(title)
    if not slug:
        raise InputError("name: type a folder name in plain letters, like 'lip-filler'")
    summary = summary or f"Sample summary: say in one sentence what {title} does."
    content = clinic.kit_dir / "content"
    with kit_lock(clinic.kit_dir):
        check_slug(slug, ContentLibrary(clinic.kit_dir))
        folder = content / slug
        if os.path.lexists(folder):
            raise InputError(f"name {slug!r}: {display_path(folder)} exists already")
        draft = content / f".new-{slug}-{secrets.token_hex(4)}"
        try:
            draft.mkdir(parents=True)
            _write_draft(draft, title, names, summary)
            _check_draft(clinic, draft, slug)
            os.rename(draft, folder)
        except OSError as error:
            raise HandoutsError(
                f"{display_path(folder)}: cannot write the treatment ({error.strerror})"
            ) from None
        finally:
            shutil.rmtree(draft, ignore_errors=True)
    said = f"{len(BLANK_SECTIONS)} sections, version {DRAFT_VERSION}"
    entry = AuditEntry(now_iso(), by, "add-treatment", slug, None, said)
    audit_change(clinic, entry, "added")
    return AddedTreatment(slug, folder, entry)


def _write_draft(folder: Path, title: str, names: list[str], summary: str) -> None:
    meta = load_for_edit(folder / "treatment.yaml", HEADER)
    meta["title"] = DoubleQuotedScalarString(title)
    meta["also_known_as"] = [DoubleQuotedScalarString(name) for name in names]
    meta["summary"] = DoubleQuotedScalarString(summary)
    blocks = CommentedSeq(STANDARD_BLOCKS)
    blocks.fa.set_flow_style()
    meta["blocks"] = blocks
    (folder / "treatment.yaml").write_text(dump_text(meta), encoding="utf-8")
    reviewed = today()
    for name in STANDARD_BLOCKS:
        section_title, text = BLANK_SECTIONS[name]
        front = CommentedMap(
            [
                ("title", DoubleQuotedScalarString(section_title.format(title=title))),
                ("version", DoubleQuotedScalarString(DRAFT_VERSION)),
                ("reviewed", reviewed),
                ("review_due", reviewed + timedelta(days=365)),
                ("sources", [DoubleQuotedScalarString(SAMPLE_SOURCE)]),
            ]
        )
        page = f"---\n{dump_text(front)}---\n\n{text}"
        (folder / f"{name}.md").write_text(page, encoding="utf-8")


def _check_draft(clinic: Clinic, folder: Path, slug: str) -> None:
    """Read the draft back as the library will, and print each section once."""
    path = folder / "treatment.yaml"
    TreatmentMeta.model_validate(parse_yaml(path.read_text(encoding="utf-8"), display_path(path)))
    for name in STANDARD_BLOCKS:
        render_block(read_block(folder / f"{name}.md", slug, name), clinic)
