"""The fixed words on a leaflet ("When to call us", "Page 1 of 2"), one catalogue per language.

Catalogues are ``templates/labels/<language>.yaml``, kit first, then built-in. A missing
catalogue or word falls back to English with a warning.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from .errors import HandoutsWarning, TemplateError
from .kit_files import read_kit_text
from .paths import builtin_dir, display_path, resource_roots
from .yamlio import parse_yaml

FALLBACK_LANGUAGE = "en"


class LabelWarning(HandoutsWarning):
    """A language without its own catalogue, or a catalogue missing some words."""


def _readable(folder: Path) -> list[Path]:
    """Where a catalogue in template ``folder`` may really lie: a kit's ``templates/``
    sits in its kit; the built-in one reads only built-in files."""
    return resource_roots(None if folder == builtin_dir("templates") else folder.parent)


def _read_catalogue(path: Path, folder: Path) -> dict[str, str]:
    source = display_path(path)
    try:  # KitFileError (a link out of the kit, not UTF-8) is a ValueError too
        raw = parse_yaml(read_kit_text(path, _readable(folder)), source)
    except ValueError as error:
        raise TemplateError(str(error)) from None
    if not isinstance(raw, dict) or not all(isinstance(text, str) for text in raw.values()):
        raise TemplateError(f"{source}: expected 'key: text' lines")
    return raw


def _catalogue(folders: list[Path], language: str) -> tuple[dict[str, str], list[Path]]:
    """Built-in words for ``language`` with the kit's own on top, and the files read."""
    words: dict[str, str] = {}
    paths = []
    for folder in reversed(folders):
        path = folder / "labels" / f"{language}.yaml"
        if path.is_file():
            words.update(_read_catalogue(path, folder))
            paths.append(path)
    return words, paths


def label_languages(template_folders: list[Path]) -> list[str]:
    """Languages with a catalogue of their own, kit or built-in, English first."""
    folders = [*template_folders, builtin_dir("templates")]
    found = {path.stem for folder in folders for path in (folder / "labels").glob("*.yaml")}
    return sorted(found, key=lambda language: (language != FALLBACK_LANGUAGE, language))


def load_labels(template_folders: list[Path], language: str) -> dict[str, str]:
    """The labels for ``language`` (a primary code such as ``es``), English where missing.

    ``template_folders`` are in lookup order (kit first); a kit catalogue may hold
    only the words it changes.
    """
    folders = [*template_folders, builtin_dir("templates")]
    english, _ = _catalogue(folders, FALLBACK_LANGUAGE)
    if language == FALLBACK_LANGUAGE:
        return english
    translated, paths = _catalogue(folders, language)
    if not paths:
        warnings.warn(
            f"no labels for language {language!r} (templates/labels/{language}.yaml); "
            "using English",
            LabelWarning,
            stacklevel=2,
        )
        return english
    where = display_path(paths[-1])
    missing = sorted(set(english) - set(translated))
    if missing:
        warnings.warn(
            f"{where}: no text for {', '.join(missing)}; using English", LabelWarning, stacklevel=2
        )
    unknown = sorted(set(translated) - set(english))
    if unknown:
        warnings.warn(
            f"{where}: unknown labels {', '.join(unknown)}, ignored", LabelWarning, stacklevel=2
        )
    return {key: translated.get(key, text) for key, text in english.items()}


def fill(label: str, **values: str) -> str:
    """Put values into a label's ``{name}`` slots (plain replacement, never a template)."""
    for name, value in values.items():
        label = label.replace("{" + name + "}", value)
    return label


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def page_counter_css(label: str) -> str:
    """CSS ``content`` value for a label like "Page {page} of {pages}"."""
    parts: list[str] = []
    rest = label
    while rest:
        positions = [(rest.find(slot), slot) for slot in ("{pages}", "{page}") if slot in rest]
        if not positions:
            parts.append(css_string(rest))
            break
        index, slot = min(positions)
        if index:
            parts.append(css_string(rest[:index]))
        parts.append(f"counter({slot.strip('{}')})")
        rest = rest[index + len(slot) :]
    return " ".join(parts)
