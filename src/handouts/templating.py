"""Jinja: the leaflet templates (kit first, then built-in) and content placeholders."""

from __future__ import annotations

import os
import posixpath
import re
import secrets
import traceback
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
    nodes,
    select_autoescape,
)
from jinja2 import (
    TemplateError as JinjaTemplateError,
)
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .bidi import ltr_filter
from .config import Clinic
from .errors import ContentError, TemplateError
from .kit_files import KitFileError, read_kit_text
from .nesting import MAX_PAGE_LEVELS, html_depth
from .paths import builtin_dir, display_path, resource_roots

PLACEHOLDERS: dict[str, str] = {
    "clinic.name": "the clinic's name",
    "clinic.phone": "the number patients call",
    "clinic.email": "the clinic's email address",
    "clinic.website": "the clinic's website",
    "clinic.booking_url": "the online booking page",
    "clinic.emergency": "what to do out of hours",
    "clinic.address": "the clinic's postal address",
    "clinic.minimum_age": "the youngest age the clinic treats for cosmetic reasons (18)",
}
"""The placeholders content blocks may use, and what each stands for."""


def tel_href(phone: object) -> str:
    """The ``tel:`` link for a phone number as printed: its digits, a leading + kept.

    Spaces, brackets, dashes and dots are only there for the eye. After a country code
    a ``(0)`` is not dialled: ``+44 (0)20 7946-0321`` becomes ``tel:+442079460321``.
    Digits of other scripts (Arabic-Indic) become 0-9; an extension ("ext. 2") is left out.
    """
    number = re.split(r"[^\W\d_]", str(phone), maxsplit=1)[0].strip()
    plus = "+" if number.startswith("+") else ""
    if plus:
        number = number.replace("(0)", "")
    return "tel:" + plus + "".join(str(int(sign)) for sign in number if sign.isdecimal())


def template_folders(clinic: Clinic) -> list[Path]:
    """Template folders in lookup order: the clinic kit's, then the built-in one."""
    kit_templates = clinic.kit_dir / "templates" if clinic.kit_dir else None
    return [
        folder
        for folder in (kit_templates, builtin_dir("templates"))
        if folder is not None and folder.is_dir()
    ]


class _KitLoader(FileSystemLoader):
    """FileSystemLoader that reads only files really inside ``readable`` (links followed
    first, be they the template, a folder on the way or ``templates/`` itself), as UTF-8."""

    def __init__(self, folders: list[Path], readable: list[Path]) -> None:
        super().__init__([str(folder) for folder in folders])
        self.readable = readable

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Any]:
        pieces = split_template_path(template)
        for folder in self.searchpath:
            filename = posixpath.join(folder, *pieces)
            if os.path.isfile(filename):
                break
        else:
            raise TemplateNotFound(template)
        try:
            contents = read_kit_text(Path(filename), self.readable)
        except KitFileError as error:
            raise TemplateError(str(error)) from None
        mtime = os.path.getmtime(filename)

        def uptodate() -> bool:
            try:
                return os.path.getmtime(filename) == mtime
            except OSError:
                return False

        return contents, os.path.normpath(filename), uptodate


def leaflet_environment(clinic: Clinic) -> Environment:
    """Sandboxed Jinja environment for leaflet templates, kit folder first.

    ``builtin/<name>`` always reaches the built-in template, so a kit override can
    ``{% extends "builtin/leaflet.html" %}`` and replace a single block. The sandbox
    keeps a kit template from reaching Python internals. Environments are kept per
    set of folders, so templates compile once; Jinja reloads a file that changes.
    """
    return _environment(tuple(template_folders(clinic)), tuple(resource_roots(clinic.kit_dir)))


@cache
def _environment(folders: tuple[Path, ...], readable: tuple[Path, ...]) -> Environment:
    builtin = builtin_dir("templates")
    loader = ChoiceLoader(
        [
            PrefixLoader({"builtin": _KitLoader([builtin], resource_roots(None))}),
            _KitLoader(list(folders), list(readable)),
        ]
    )
    environment = ImmutableSandboxedEnvironment(
        loader=loader,
        # HTML is escaped; plain-text email templates (.txt) are not.
        autoescape=select_autoescape(disabled_extensions=("txt",), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["ltr"] = ltr_filter  # {{ clinic.phone | ltr }}: in order on RTL pages
    environment.filters["tel_href"] = tel_href  # <a href="{{ clinic.phone | tel_href }}">
    return environment


def render_template(clinic: Clinic, name: str, context: Mapping[str, Any]) -> str:
    """Render template ``name``; a missing one names every folder searched.

    An HTML page nested deeper than WeasyPrint can lay out is an error here, before it
    gets there.
    """
    environment = leaflet_environment(clinic)
    try:
        page = environment.get_template(name).render(context)
    except RecursionError:
        raise TemplateError(
            f"template {name!r}: nested too deeply (blocks inside each other, or a template "
            "including itself); simplify the kit's templates"
        ) from None
    except TemplateNotFound as error:
        searched = ", ".join(display_path(folder) for folder in template_folders(clinic))
        raise TemplateError(f"template {error.name!r} not found (looked in {searched})") from None
    except TemplateSyntaxError as error:
        where = display_path(Path(error.filename)) if error.filename else name
        raise TemplateError(f"{where}: line {error.lineno}: {error.message}") from None
    except JinjaTemplateError as error:
        raise TemplateError(f"{_where_in_template(error, name)}: {error}") from None
    if not name.endswith(".txt"):
        levels, line = html_depth(page, MAX_PAGE_LEVELS)
        if levels > MAX_PAGE_LEVELS:
            raise TemplateError(
                f"template {name!r}: line {line} of the page it makes is nested too deeply "
                f"(HTML elements inside each other more than {MAX_PAGE_LEVELS} levels); "
                "simplify the kit's templates"
            )
    return page


def _where_in_template(error: Exception, name: str) -> str:
    """``file: line N`` of the template line that failed (Jinja keeps it in the traceback)."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.endswith((".html", ".txt")) and Path(frame.filename).is_file():
            return f"{display_path(Path(frame.filename))}: line {frame.lineno}"
    return f"template {name!r}"


OUT_OF_HOURS = {
    "en": "get urgent medical advice",
    "es": "busque atención médica urgente",
    "ar": "اطلبوا المشورة الطبية العاجلة",
}
"""What ``{{ clinic.emergency }}`` says in a section when clinic.yaml gives no ``emergency``:
safe advice for any country, so the built-in sections work for every kit."""


def placeholder_values(clinic: Clinic, language: str = "en") -> dict[str, dict[str, str | None]]:
    """Values behind :data:`PLACEHOLDERS` for ``clinic``, for a section in ``language``."""
    values: dict[str, dict[str, str | None]] = {}
    for dotted in PLACEHOLDERS:
        group, field = dotted.split(".")
        value = getattr(clinic, field)
        if value is None and field == "emergency":
            value = OUT_OF_HOURS.get(language.split("-")[0], OUT_OF_HOURS["en"])
        values.setdefault(group, {})[field] = None if value is None else str(value)
    return values


_placeholder_environment = ImmutableSandboxedEnvironment(
    autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True
)
PLAIN_PLACEHOLDER = re.compile(r"\{\{[ \t]*[\w.]{0,80}[ \t]*\}\}")


def _first_odd_placeholder(text: str) -> int:
    """Line of the first ``{{``/``{%`` that does not open a plain ``{{ name }}``."""
    for opening in re.finditer(r"\{[{%]", text):
        if not PLAIN_PLACEHOLDER.match(text, opening.start()):
            return text.count("\n", 0, opening.start()) + 1
    return 1


def _dotted_name(node: nodes.Node) -> str | None:
    """``clinic.phone`` for a placeholder written so, None for anything but a dotted name."""
    attributes = []
    while isinstance(node, nodes.Getattr):  # a loop: a long chain cannot overflow the stack
        attributes.append(node.attr)
        node = node.node
    if not isinstance(node, nodes.Name):
        return None
    return ".".join([node.name, *reversed(attributes)])


def fill_placeholders(
    text: str, values: Mapping[str, Mapping[str, str | None]], source: str, first_line: int = 1
) -> tuple[str, dict[str, str]]:
    """Replace ``{{ clinic.phone }}``-style placeholders in a content block with tokens.

    Returns the text with each placeholder swapped for an opaque token, and the
    value behind each token. The tokens pass through Markdown untouched; the values
    go in only after sanitising (``markup.markdown_to_html``), escaped, so text from
    clinic settings, patients or CSV files is never read as Markdown, HTML or a
    template. An unknown or empty placeholder is an error naming the file and line.
    """

    def fail(line: int, problem: str) -> ContentError:
        return ContentError(f"{source}: line {line + first_line - 1}: {problem}")

    try:
        tree = _placeholder_environment.parse(text)
    except TemplateSyntaxError as error:
        raise fail(
            error.lineno,
            f"broken placeholder ({error.message}); write it like {{{{ clinic.phone }}}}",
        ) from None
    except RecursionError:  # Jinja's parser recurses once per bracket or operator
        raise fail(
            _first_odd_placeholder(text),
            "a placeholder nested too deeply; write it like {{ clinic.phone }}",
        ) from None
    for statement in tree.body:
        if not isinstance(statement, nodes.Output):
            raise fail(
                statement.lineno, "only {{ placeholders }} are allowed in content, not {% tags %}"
            )
    used: set[str] = set()
    for output in tree.body:  # only Output nodes, as checked above
        for expression in output.nodes:
            if isinstance(expression, nodes.TemplateData):
                continue
            dotted = _dotted_name(expression)
            if dotted is None:
                raise fail(
                    expression.lineno,
                    "placeholders must be plain names such as "
                    "{{ clinic.phone }}, without filters or sums",
                )
            if dotted not in PLACEHOLDERS:
                known = ", ".join(f"{{{{ {name} }}}}" for name in PLACEHOLDERS)
                shown = dotted if len(dotted) <= 60 else dotted[:60] + "..."
                raise fail(
                    expression.lineno, f"unknown placeholder {{{{ {shown} }}}}; use one of {known}"
                )
            group, field = dotted.split(".")
            if not values.get(group, {}).get(field):
                raise fail(
                    expression.lineno,
                    f"{{{{ {dotted} }}}} is used but clinic.yaml has no {field!r}; add it there",
                )
            used.add(dotted)
    nonce = secrets.token_hex(6)
    tokens: dict[str, str] = {}
    token_tree: dict[str, dict[str, str]] = {}
    for index, dotted in enumerate(sorted(used)):
        group, field = dotted.split(".")
        token = f"hph{nonce}n{index}e"
        tokens[token] = str(values[group][field])
        token_tree.setdefault(group, {})[field] = token
    return _placeholder_environment.from_string(tree).render(token_tree), tokens
