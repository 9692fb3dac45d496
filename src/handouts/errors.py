"""User-facing errors: one clear line each, no traceback unless --debug."""

from __future__ import annotations

import click


class HandoutsWarning(UserWarning):
    """Base of warnings shown to the user: the leaflet is made, but look at this."""


class HandoutsError(click.ClickException):
    """Base of every error a clinic user may see; exit code 1."""

    exit_code = 1


class ConfigError(HandoutsError):
    """clinic.yaml is missing, unreadable or invalid."""


class ContentError(HandoutsError):
    """A treatment or content block is missing or malformed."""


class TemplateError(HandoutsError):
    """A Jinja template is missing or fails to render."""


class RenderError(HandoutsError):
    """WeasyPrint could not produce a faithful PDF (missing asset, refused URL...)."""
