"""Options the ``handouts`` commands share, and values read by ``handouts.inputs``."""

from __future__ import annotations

from pathlib import Path

import click

from .choices import LAYOUTS


class TypedValue(click.ParamType):
    """A value read by ``handouts.inputs``, so the command line takes what the CSV, the web
    form and the API take, and words a mistake as they do."""

    def __init__(self, parser: str, metavar: str) -> None:
        self.parser, self.metavar, self.name = parser, metavar, parser.removeprefix("parse_")

    def get_metavar(self, param, ctx=None) -> str:  # click 8.1 and 8.2 signatures
        return self.metavar

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        from . import inputs  # loads the schema: only when a value is given
        from .errors import InputError

        try:
            return getattr(inputs, self.parser)(value)
        except InputError as error:
            self.fail(error.problem, param, ctx)


layout_option = click.option(
    "--layout",
    type=TypedValue("parse_layout", f"[{'|'.join(LAYOUTS)}]"),
    default="leaflet",
    show_default=True,
    help="leaflet: the full leaflet; card: one page of aftercare and when to call; "
    "trifold: one sheet folded in three.",
)
large_print_option = click.option(
    "--large-print", is_flag=True, help="Body text 16pt at 1.5 spacing, one column (more pages)."
)
clinic_option = click.option(
    "--clinic",
    "clinic_dir",
    type=click.Path(path_type=Path),
    help="Clinic kit folder (default: the built-in demo clinic).",
)
