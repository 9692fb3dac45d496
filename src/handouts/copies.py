"""Personal copies, stamped where that is faithful, else rendered in full.

``PersonalCopies`` keeps, per process, each leaflet that copies are made from. It renders
a leaflet's first copy in full and compares the second with a stamped twin of the first
(``stamp_check``); only when they match are copies stamped (``stamping``). When they
differ (a kit template or style the lone panel cannot reproduce), or a panel holds what
cannot be merged, that leaflet's copies are rendered in full, and a ``StampingOff``
warning says so once, with the reason.

A leaflet's spacing (its fit, ``build.FITS``) depends on the copy's panel: a tall panel
can leave a nearly empty last page, and a tighter fit is tried (``build.fitted_render``).
A copy's full render and the slotted leaflet for its panel's height (the panel laid out
alone with the same fit) choose by the same rule from the same page content, so a copy
looks the same stamped or in full, and the check compares renders of the same fit.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

from .build import (
    FITS,
    Handout,
    fitted_render,
    personal_handout,
    personal_key,
    render_handout,
    shared_handout,
    with_fit,
)
from .choices import LAYOUT_INFO
from .clock import today
from .config import Clinic
from .context import LeafletContext, leaflet_context
from .errors import HandoutsError, HandoutsWarning
from .panel import AppointmentPanel, personal_panel
from .paths import builtin_dir, kit_fingerprint, resource_roots
from .request import LeafletRequest
from .stamp_check import looks_the_same, tag_outline
from .stamping import CannotStamp, PanelPage, SlottedLeaflet, slotted_handout
from .templating import render_template
from .theme import without_page_setup

PANEL_TEMPLATE = "appointment-panel.html"
PANEL_ID = "appointment-panel"
TITLE_ID = "appointment-title"
"""Id of the panel's first line, which spans the panel's width in a full render."""
KEPT_LEAFLETS = 32
KEPT_HEIGHTS = 8


class StampingOff(HandoutsWarning):
    """A leaflet's personal copies are rendered in full (slower), and why."""


def render_panel(
    context: LeafletContext, panel: AppointmentPanel, width: float, fit: str = ""
) -> PanelPage:
    """Lay out ``panel`` alone, on a page ``width`` CSS pixels wide, with the leaflet's fit.

    Every panel has a document of its own, so its fonts hold only its own letters: a
    patient's file never carries a trace of another patient's name.
    """
    from .render import render_pdf

    clinic = context.clinic
    stylesheets = without_page_setup(context.stylesheets)
    alone = replace(context, appointment=panel, panel_width=width, stylesheets=stylesheets)
    html = with_fit(render_template(clinic, PANEL_TEMPLATE, alone.as_dict()), fit)
    pdf = render_pdf(
        html,
        clinic.kit_dir or builtin_dir("templates"),
        resource_roots(clinic.kit_dir),
        stylesheets,
    )
    box = pdf.anchors[0].get(PANEL_ID) if pdf.pages == 1 else None
    if box is None:
        raise CannotStamp("the panel does not fit a page of its own")
    return PanelPage(pdf.data, box[3] - box[1])


@dataclass
class SharedLeaflet:
    """What this process keeps of one leaflet that personal copies are made from."""

    context: LeafletContext
    handout: Handout
    """The leaflet with an empty panel: its input key stands for everything but the panel."""
    width: float | None = None
    """Of the panel's content, in CSS pixels; known after the first copy."""
    slotted: dict[tuple[str, float], SlottedLeaflet] = field(default_factory=dict)
    """By fit and panel height."""
    stamping: bool = True
    """False once a copy could not be stamped faithfully."""
    reference: tuple[AppointmentPanel, object, str] | None = None
    """The first copy's panel, full render and fit, kept until the second copy checks
    stamping."""
    notes: tuple[tuple[type[Warning], str], ...] = ()
    """Warnings met while putting the leaflet together (a missing translation)."""


@dataclass(frozen=True)
class PersonalCopy:
    """One personal copy, ready to render; ``input_key`` is that of its full render."""

    leaflet: SharedLeaflet
    panel: AppointmentPanel
    input_key: str

    def handout(self) -> Handout:
        """The copy as a full HTML document."""
        return personal_handout(self.leaflet.context, self.panel, self.leaflet.handout.input_key)

    def record_handout(self) -> Handout:
        """What the history needs to know of the copy, without its full HTML."""
        return replace(self.leaflet.handout, input_key=self.input_key)


class PersonalCopies:
    """Makes personal copies in one process, stamping them where that is faithful."""

    def __init__(self) -> None:
        self._leaflets: dict[tuple, SharedLeaflet] = {}

    def copy(self, request: LeafletRequest, clinic: Clinic) -> PersonalCopy:
        """The copy of a leaflet for ``request.appointment`` (InputError names a bad value)."""
        fingerprint = kit_fingerprint(clinic.kit_dir)
        key = (clinic.model_dump_json(), fingerprint, today(), request.options)  # today: overdue
        leaflet = self._leaflets.pop(key, None)  # put back last: the latest used stays
        if leaflet is None:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                treatments, language, paper, layout, large_print = request.options
                context = leaflet_context(treatments, clinic, paper, language, large_print, layout)
            notes = tuple(dict.fromkeys((w.category, str(w.message)) for w in caught))
            leaflet = SharedLeaflet(context, shared_handout(context), notes=notes)
            if len(self._leaflets) >= KEPT_LEAFLETS:
                self._leaflets.pop(next(iter(self._leaflets)))
        self._leaflets[key] = leaflet
        for category, note in leaflet.notes:  # as if the leaflet were put together again
            warnings.warn(note, category, stacklevel=2)
        context = leaflet.context
        panel = personal_panel(request.appointment, clinic, context.labels, context.language)
        return PersonalCopy(leaflet, panel, personal_key(leaflet.handout.input_key, panel))

    def render(self, copy: PersonalCopy):
        """The copy as a ``RenderedPDF``, and whether it was stamped (else rendered in full).

        A leaflet's first copy is rendered in full; the second first stamps the first copy
        again and compares it with that render, and only then are copies stamped.
        """
        leaflet = copy.leaflet
        if leaflet.stamping and leaflet.width is None:
            return self._first(copy), False
        if leaflet.stamping and leaflet.reference is not None:
            self._check(leaflet)
        if leaflet.stamping:
            try:
                return self._stamp(leaflet, copy.panel)[0], True
            except HandoutsError:
                pass  # the full render below reports this copy's own problem
            except CannotStamp as error:
                self._turn_off(leaflet, str(error))
            except Exception as error:  # whatever stops stamping, the copy is still made
                self._turn_off(leaflet, f"unexpected {type(error).__name__}: {error}")
        return self._full(copy)[0], False

    @staticmethod
    def _full(copy: PersonalCopy):
        """The copy rendered in full, and the fit it took."""
        handout, clinic = copy.handout(), copy.leaflet.context.clinic
        if LAYOUT_INFO[handout.layout].page_limit is not None:  # fitted by small_layouts
            return render_handout(handout, clinic), FITS[0]
        return fitted_render(lambda fit: render_handout(handout, clinic, fit))

    def _turn_off(self, leaflet: SharedLeaflet, reason: str) -> None:
        """Render this leaflet's copies in full from now on, and say so once."""
        leaflet.stamping = False
        leaflet.reference = None
        treatments = " + ".join(treatment.slug for treatment in leaflet.context.treatments)
        warnings.warn(
            f"{treatments}: personal copies are rendered in full, which is slower, because "
            f"{reason}",
            StampingOff,
            stacklevel=3,
        )

    def _first(self, copy: PersonalCopy):
        """A leaflet's first copy, in full: it gives the panel's width and the reference."""
        leaflet = copy.leaflet
        full, fit = self._full(copy)
        boxes = [anchors[TITLE_ID] for anchors in full.anchors if TITLE_ID in anchors]
        if len(boxes) == 1:
            leaflet.width = boxes[0][2] - boxes[0][0]
            leaflet.reference = (copy.panel, full, fit)
        else:
            self._turn_off(leaflet, "the leaflet's template has no appointment panel title")
        return full

    def _check(self, leaflet: SharedLeaflet) -> None:
        """Stamp the first copy again; trust stamping only if it looks and reads the same."""
        panel, full, full_fit = leaflet.reference
        leaflet.reference = None
        try:
            stamped, fit, slotted, page = self._stamp(leaflet, panel)
        except CannotStamp as error:
            return self._turn_off(leaflet, str(error))
        except Exception as error:  # anything unexpected: render in full
            return self._turn_off(leaflet, f"unexpected {type(error).__name__}: {error}")
        if fit != full_fit:
            return self._turn_off(
                leaflet, "a stamped copy's spacing differs from its full render's"
            )
        slot = (slotted.page_index, slotted.left, slotted.top, leaflet.width, page.height)
        if tag_outline(stamped.data) != tag_outline(full.data):
            self._turn_off(leaflet, "a stamped copy's tags differ from its full render's")
        elif not looks_the_same(stamped.data, full.data, slot):
            self._turn_off(
                leaflet,
                "a stamped copy looks different from its full render (kit templates or "
                "styles that the lone panel cannot follow)",
            )
        return None

    def _stamp(self, leaflet: SharedLeaflet, panel: AppointmentPanel):
        """The copy stamped, its fit, the slotted leaflet and the panel's page.

        The fit is chosen as a full render chooses it: from slotted leaflets, each with
        the panel laid out alone in that fit (its height may change with the fit).
        """

        pages: dict[str, PanelPage] = {}

        def slotted_with(fit: str):
            pages[fit] = render_panel(leaflet.context, panel, leaflet.width, fit)
            return self._slotted(leaflet, fit, pages[fit].height).pdf

        if LAYOUT_INFO[leaflet.context.layout].page_limit is not None:
            fit = FITS[0]
            slotted_with(fit)
        else:
            _, fit = fitted_render(slotted_with)
        page = pages[fit]
        slotted = self._slotted(leaflet, fit, page.height)
        data = slotted.stamp(page)
        stamped = slotted.pdf.with_data(data)
        return stamped, fit, slotted, page

    @staticmethod
    def _slotted(leaflet: SharedLeaflet, fit: str, height: float) -> SlottedLeaflet:
        """The leaflet with an empty slot ``height`` px tall, in ``fit``, kept for reuse."""
        key = (fit, height)
        slotted = leaflet.slotted.get(key)
        if slotted is None:
            handout = slotted_handout(leaflet.context, height)
            slotted = SlottedLeaflet(render_handout(handout, leaflet.context.clinic, fit))
            if len(leaflet.slotted) >= KEPT_HEIGHTS:
                leaflet.slotted.pop(next(iter(leaflet.slotted)))
        leaflet.slotted[key] = leaflet.slotted.pop(key, slotted)  # latest last
        return slotted

    def prepare(self, request: LeafletRequest, clinic: Clinic, samples: list) -> None:
        """Get a leaflet ready for stamping before its first patient, with sample panels.

        The first sample is rendered in full and checked, as a first and second copy
        would be; each other sample prepares the slot of its panel's height.
        """
        for number, appointment in enumerate(samples):
            copy = self.copy(replace(request, appointment=appointment), clinic)
            self.render(copy)
            if number == 0:
                self.render(copy)
