"""``LeafletRequest``: one leaflet as asked for, by any caller (command, batch, mail, web)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .appointments import Appointment, leaflet_file_name
from .choices import Layout, Paper

Channel = Literal["build", "batch", "email", "web"]
"""How a leaflet leaves the clinic, as its history record says."""


@dataclass(frozen=True)
class LeafletRequest:
    """What to make: treatments, language, paper, layout, large print, for whom, for what.

    ``language`` and ``paper`` left as None take the clinic's defaults. With an
    ``appointment`` the leaflet is a personal copy with a "Your appointment" panel.
    """

    treatments: tuple[str, ...]
    language: str | None = None
    paper: Paper | None = None
    layout: Layout = "leaflet"
    large_print: bool = False
    appointment: Appointment = field(default_factory=Appointment)
    channel: Channel = "build"

    @property
    def personal(self) -> bool:
        return bool(self.appointment)

    @property
    def file_name(self) -> str:
        """``<date>_<patient>_<treatments>.pdf`` for a personal copy, else ``<treatments>.pdf``."""
        return leaflet_file_name(self.treatments, self.appointment)

    @property
    def options(self) -> tuple:
        """Everything but the appointment and channel: copies with equal options share a leaflet."""
        return (self.treatments, self.language, self.paper, self.layout, self.large_print)
