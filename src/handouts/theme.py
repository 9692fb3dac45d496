"""The clinic's look: brand colours and font as CSS, and the stylesheets in cascade order."""

from __future__ import annotations

from markupsafe import Markup

from .choices import Paper
from .config import Clinic
from .errors import TemplateError
from .kit_files import outside_problem
from .labels import page_counter_css
from .paths import builtin_dir, display_path, file_url_path, resource_roots

BUILTIN_STYLESHEETS = ("fonts.css", "base.css", "print.css", "leaflet.css")
"""Shared by every paper size, before ``page-<paper>.css`` and the kit's ``extra.css``."""
LARGE_PRINT_STYLESHEET = "large-print.css"


WCAG_AA_TEXT = 4.5
"""Contrast ratio WCAG 2 level AA asks for body text."""


def _channels(hex_colour: str) -> list[int]:
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(char * 2 for char in digits)
    return [int(digits[index : index + 2], 16) for index in (0, 2, 4)]


def _hex(channels: list[float]) -> str:
    return "#" + "".join(f"{round(channel):02x}" for channel in channels)


def mix_with_white(hex_colour: str, amount: float) -> str:
    """``hex_colour`` at ``amount`` strength over white: a tint for backgrounds."""
    return _hex([255 - (255 - channel) * amount for channel in _channels(hex_colour)])


def _luminance(hex_colour: str) -> float:
    linear = [
        value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4
        for value in (channel / 255 for channel in _channels(hex_colour))
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two hex colours, from 1 (none) to 21 (black on white)."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_shade(hex_colour: str, background: str = "#ffffff") -> str:
    """``hex_colour``, darkened just enough for text on ``background`` to reach WCAG AA."""
    channels = _channels(hex_colour)
    for step in range(101):
        shade = _hex([channel * (1 - step / 100) for channel in channels])
        if contrast_ratio(shade, background) >= WCAG_AA_TEXT:
            return shade
    return "#000000"


KIT_FONT_FAMILY = "Clinic Font"
"""The CSS family the kit's own font files are declared under."""
FACE_DESCRIPTORS = {
    "regular": "font-weight: 400; font-style: normal;",
    "bold": "font-weight: 700; font-style: normal;",
    "italic": "font-weight: 400; font-style: italic;",
    "bold_italic": "font-weight: 700; font-style: italic;",
}
FONT_FORMATS = {".ttf": "truetype", ".otf": "opentype", ".woff": "woff", ".woff2": "woff2"}


def kit_font_faces(clinic: Clinic) -> list[str]:
    """One ``@font-face`` rule per file of the kit's font, with its weight and style."""
    rules = []
    for style, path in clinic.font_files.items():
        source = f'url("{path.as_uri()}")'
        if kind := FONT_FORMATS.get(path.suffix.lower()):
            source += f' format("{kind}")'
        rules.append(
            f'@font-face {{ font-family: "{KIT_FONT_FAMILY}"; {FACE_DESCRIPTORS[style]} '
            f"src: {source}; }}"
        )
    return rules


def brand_css(clinic: Clinic, labels: dict[str, str]) -> Markup:
    """CSS carrying the clinic's colours and font, and the page counter in its language."""
    primary, accent = clinic.colors.primary, clinic.colors.accent
    font = KIT_FONT_FAMILY if clinic.font_path else clinic.font_choice.family
    rules = [
        ":root {",
        # Headings and links are text: a light brand colour prints in a darker shade.
        f"  --primary: {readable_shade(primary)}; --accent: {accent};",
        f"  --primary-tint: {mix_with_white(primary, 0.1)};",
        f"  --primary-tint-strong: {mix_with_white(primary, 0.35)};",
        f"  --accent-tint: {mix_with_white(accent, 0.12)};",
        f'  --font: "{font}";',
        "}",
        f".page-number::after {{ content: {page_counter_css(labels['page_of'])}; }}",
    ]
    rules += kit_font_faces(clinic)
    # Validated hex colours, resolved paths and CSS-quoted labels only: safe markup.
    # "</" cannot close the <style> element because css_string never emits "<" unescaped.
    return Markup("\n".join(rules).replace("<", "\\3c "))


def stylesheet_urls(
    clinic: Clinic, paper: Paper, large_print: bool = False, layout: str = "leaflet"
) -> list[str]:
    """Stylesheets in cascade order; each name is looked up in the kit, then built-in.

    A card or tri-fold adds ``layout-<layout>.css``, and ``large_print`` then adds
    ``large-print.css``, after the paper's sheet. A sheet that leads outside the kit (a
    linked ``styles/`` folder or file) is an error naming it.
    """
    kit_styles = clinic.kit_dir / "styles" if clinic.kit_dir else None
    folders = [
        folder
        for folder in (kit_styles, builtin_dir("styles"))
        if folder is not None and folder.is_dir()
    ]
    names = [*BUILTIN_STYLESHEETS, f"page-{paper}.css"]
    if layout != "leaflet":
        names.append(f"layout-{layout}.css")
    if large_print:
        names.append(LARGE_PRINT_STYLESHEET)
    paths = [
        next(folder / name for folder in folders if (folder / name).is_file()) for name in names
    ]
    if kit_styles is not None and (kit_styles / "extra.css").is_file():
        paths.append(kit_styles / "extra.css")
    readable = resource_roots(clinic.kit_dir)
    for path in paths:
        if problem := outside_problem(path, readable):
            raise TemplateError(f"{display_path(path)}: {problem}")
    return [path.as_uri() for path in paths]


PAGE_SETUP_STYLESHEETS = ("print.css", "page-a4.css", "page-letter.css", "page-a5.css")
"""Built-in sheets that only set up pages: size, margins, the running footer."""


def without_page_setup(urls: list[str]) -> list[str]:
    """``urls`` less the built-in page setup: what a box laid out on its own page needs."""
    setup = {builtin_dir("styles") / name for name in PAGE_SETUP_STYLESHEETS}
    return [url for url in urls if file_url_path(url) not in setup]
