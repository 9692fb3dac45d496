"""The clinic's look: brand colours and font as CSS, and the stylesheets in cascade order."""

from __future__ import annotations

from markupsafe import Markup

from .config import Clinic, Paper
from .labels import page_counter_css
from .paths import builtin_dir

BUILTIN_STYLESHEETS = ("fonts.css", "base.css", "print.css", "leaflet.css")
"""Shared by every paper size, before ``page-<paper>.css`` and the kit's ``extra.css``."""


def mix_with_white(hex_colour: str, amount: float) -> str:
    """``hex_colour`` at ``amount`` strength over white: a tint for backgrounds."""
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(char * 2 for char in digits)
    channels = [int(digits[index : index + 2], 16) for index in (0, 2, 4)]
    mixed = [round(255 - (255 - channel) * amount) for channel in channels]
    return "#" + "".join(f"{channel:02x}" for channel in mixed)


def brand_css(clinic: Clinic, labels: dict[str, str]) -> Markup:
    """CSS carrying the clinic's colours and font, and the page counter in its language."""
    primary, accent = clinic.colors.primary, clinic.colors.accent
    font = "Clinic Font" if clinic.font_path else clinic.font
    rules = [
        ":root {",
        f"  --primary: {primary}; --accent: {accent};",
        f"  --primary-tint: {mix_with_white(primary, 0.1)};",
        f"  --primary-tint-strong: {mix_with_white(primary, 0.35)};",
        f"  --accent-tint: {mix_with_white(accent, 0.12)};",
        f'  --font: "{font}";',
        "}",
        f".page-number::after {{ content: {page_counter_css(labels['page_of'])}; }}",
    ]
    if clinic.font_path:
        rules.append(
            f'@font-face {{ font-family: "Clinic Font"; src: url("{clinic.font_path.as_uri()}"); }}'
        )
    # Validated hex colours, resolved paths and CSS-quoted labels only: safe markup.
    # "</" cannot close the <style> element because css_string never emits "<" unescaped.
    return Markup("\n".join(rules).replace("<", "\\3c "))


def stylesheet_urls(clinic: Clinic, paper: Paper) -> list[str]:
    """Stylesheets in cascade order; each name is looked up in the kit, then built-in."""
    kit_styles = clinic.kit_dir / "styles" if clinic.kit_dir else None
    folders = [
        folder
        for folder in (kit_styles, builtin_dir("styles"))
        if folder is not None and folder.is_dir()
    ]
    urls = []
    for name in (*BUILTIN_STYLESHEETS, f"page-{paper}.css"):
        path = next(folder / name for folder in folders if (folder / name).is_file())
        urls.append(path.as_uri())
    if kit_styles is not None and (kit_styles / "extra.css").is_file():
        urls.append((kit_styles / "extra.css").as_uri())
    return urls
