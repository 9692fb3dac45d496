"""``handouts check`` on the clinic as a whole: its colours, example values, font, and
whether each treatment's default leaflet comes out right."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config import Clinic
from .scaffold import EXAMPLE_VALUES
from .theme import WCAG_AA_TEXT, contrast_ratio, readable_shade

if TYPE_CHECKING:
    from .check import CheckReport


def check_fit(clinic: Clinic, slugs: list[str], report: CheckReport) -> None:
    """``handouts proof``'s checks on each treatment's leaflet as the kit makes it by default.

    Treatments with an error already found are left out: their leaflet cannot be right.
    """
    from .proof import default_leaflet_problems

    broken = {
        finding.subject.split("/")[0] for finding in report.findings if finding.severity == "error"
    }
    for severity, treatment, problem in default_leaflet_problems(
        clinic, [slug for slug in slugs if slug not in broken]
    ):
        report.add(severity, treatment, problem)


def primary_contrast_problem(primary: str) -> str | None:
    """Why ``primary`` is too light for text on white (WCAG AA), or None when it is not.

    ``handouts check`` warns with it; the manager workspace refuses such a colour.
    """
    ratio = contrast_ratio(primary, "#ffffff")
    if ratio >= WCAG_AA_TEXT:
        return None
    return (
        f"{primary} on white has contrast {ratio:.1f}:1, below the {WCAG_AA_TEXT}:1 that "
        f"text needs (WCAG AA); leaflets print text in {readable_shade(primary)} instead. "
        "Choose a darker colour to pick the shade yourself"
    )


def check_clinic(clinic: Clinic, report: CheckReport) -> None:
    """Colours that fail contrast, values left from init, a font without bold or unreadable."""
    if problem := primary_contrast_problem(clinic.colors.primary):
        report.add("warning", "clinic.yaml", f"colors: primary: {problem}")
    for key, example in EXAMPLE_VALUES.items():
        if getattr(clinic, key) == example:
            report.add(
                "error",
                "clinic.yaml",
                f"{key}: still the example {example!r} from "
                "'handouts init'; put in your clinic's own",
            )
    if clinic.font_without_bold:
        report.add(
            "warning",
            "clinic.yaml",
            f"font: {clinic.font!r} has no bold file, so headings and bold words print in "
            "regular weight; list the files under font: (regular: and bold:, also italic: "
            "and bold_italic:)",
        )
    if clinic.font_path is not None:
        from fontTools.ttLib import TTFont, TTLibError

        try:
            with clinic.font_path.open("rb") as data, TTFont(data, lazy=True) as font:
                font.getBestCmap()
        except (TTLibError, OSError, AssertionError, KeyError):
            report.add(
                "error",
                "clinic.yaml",
                f"font: {clinic.font!r} is not a font file "
                "that can be read; use a .ttf, .otf or .woff file",
            )
