"""User-facing errors: one clear line each, no traceback unless --debug.

Every error carries the HTTP status the web app answers it with, and pickles, so it
crosses from a worker process to the command or server that asked.
"""

from __future__ import annotations

import click


class HandoutsWarning(UserWarning):
    """Base of warnings shown to the user: the leaflet is made, but look at this."""


class HandoutsError(click.ClickException):
    """Base of every error a clinic user may see; exit code 1."""

    exit_code = 1
    http_status = 500
    """The kit cannot do what was asked: a problem for whoever looks after it."""

    def __reduce__(self):
        return type(self), (self.message,)


class InputError(HandoutsError):
    """A value a person typed (a date, a language, a layout...) that cannot be used.

    The message starts with the field's name: ``date: '9 May' is not a date; ...``.
    """

    http_status = 400

    @property
    def field(self) -> str:
        return self.message.split(":", 1)[0]

    @property
    def problem(self) -> str:
        """The message without the field's name (the command line names its option)."""
        return self.message.split(": ", 1)[-1]


class ConfigError(HandoutsError):
    """clinic.yaml is missing, unreadable or invalid."""


class ContentError(HandoutsError):
    """A treatment or content block is missing or malformed."""


class UnknownTreatment(ContentError):
    """A treatment the clinic's library does not have."""

    http_status = 404


class TemplateError(HandoutsError):
    """A Jinja template is missing or fails to render."""


class RenderError(HandoutsError):
    """WeasyPrint could not produce a faithful PDF (missing asset, refused URL...)."""


class DoesNotFit(RenderError):
    """A card or tri-fold whose text is too long for its pages (the message names the block)."""

    http_status = 422


class SheetTooSmall(DoesNotFit):
    """Even with every short version, the text needs more room than the whole sheet has:
    no arrangement can make it (a large-print tri-fold of a long treatment)."""
