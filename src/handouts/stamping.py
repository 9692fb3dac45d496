"""Personal copies at stamping speed.

A personal copy differs from its leaflet only in the words of its "Your appointment"
panel. So the leaflet is rendered once per panel height, with an empty tagged slot
where the panel goes (``SlottedLeaflet``); each copy lays out its panel alone, on a
page as wide as the slot (``render_panel``), and pikepdf merges the two. The panel's
page is drawn where the slot was in the page's content, and its tags take the slot's
place in the structure tree, so text order, fonts, tags and language are those of a
full render.

``PersonalCopies`` renders the first copy of each leaflet in full as well and compares
it with its stamped twin. When they differ (a kit template or style that the lone panel
cannot reproduce), or a panel holds what cannot be merged, that leaflet's copies are
rendered in full.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from .appointments import Appointment
from .build import (
    SLOT_ID,
    SLOT_MARK,
    AppointmentPanel,
    Handout,
    LeafletContext,
    leaflet_context,
    personal_handout,
    personal_key,
    personal_panel,
    render_handout,
    slotted_handout,
)
from .choices import Layout, Paper
from .config import Clinic
from .errors import HandoutsError
from .paths import builtin_dir, fingerprint, resource_roots
from .templating import render_template
from .theme import without_page_setup

PANEL_TEMPLATE = "appointment-panel.html"
PANEL_ID = "appointment-panel"
TITLE_ID = "appointment-title"
"""Id of the panel's first line, which spans the panel's width in a full render."""
PX_PER_PT = 4 / 3
BLEED = 12
"""Points around the panel that stay visible: accents and tails that leave the line box."""
TEXT_KEYS = ("/Alt", "/ActualText", "/Lang", "/E")
"""Keys of a panel's structure elements that are carried into the leaflet."""
KEPT_LEAFLETS = 8
KEPT_HEIGHTS = 8


class CannotStamp(Exception):
    """A panel or leaflet that cannot be merged faithfully: render the copy in full."""


@dataclass(frozen=True)
class PanelPage:
    """One copy's panel laid out alone: the top ``height`` pixels of a PDF page."""

    data: bytes
    height: float
    """Of the panel's content, in CSS pixels: the slot it needs."""


def render_panel(context: LeafletContext, panel: AppointmentPanel, width: float) -> PanelPage:
    """Lay out ``panel`` alone, on a page ``width`` CSS pixels wide.

    Every panel has a document of its own, so its fonts hold only its own letters: a
    patient's file never carries a trace of another patient's name.
    """
    from .render import render_pdf

    clinic = context.clinic
    stylesheets = without_page_setup(context.stylesheets)
    alone = replace(context, appointment=panel, panel_width=width, stylesheets=stylesheets)
    html = render_template(clinic, PANEL_TEMPLATE, alone.as_dict())
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


class SlottedLeaflet:
    """A leaflet rendered once with an empty slot, ready to take any panel of its height."""

    def __init__(self, pdf) -> None:
        import pikepdf

        self.pdf = pdf
        found = [
            (index, anchors[SLOT_ID])
            for index, anchors in enumerate(pdf.anchors)
            if SLOT_ID in anchors
        ]
        if len(found) != 1:
            raise CannotStamp("the leaflet's template leaves no slot for the panel")
        self.page_index, (self.left, self.top, _, _) = found[0]
        with pikepdf.open(io.BytesIO(pdf.data)) as document:
            slot = _find_slot(document.Root.StructTreeRoot)
            kids = slot.K if isinstance(slot.K, pikepdf.Array) else [slot.K]
            if len(kids) != 1 or not isinstance(kids[0], int):
                raise CannotStamp("the slot's tags are not as expected")
            self.slot_mcid = int(kids[0])
            self.slot = slot.objgen
            self.holder = slot.P.objgen
            page = document.pages[self.page_index]
            self.prefix, self.suffix = _split_content(page, self.slot_mcid)

    def stamp(self, panel: PanelPage) -> bytes:
        """This leaflet with ``panel`` merged into its slot, as PDF bytes."""
        import pikepdf

        with (
            pikepdf.open(io.BytesIO(self.pdf.data)) as document,
            pikepdf.open(io.BytesIO(panel.data)) as alone,
        ):
            page = document.pages[self.page_index]
            lone_page = alone.pages[0]
            if "/Annots" in lone_page.obj:
                raise CannotStamp("the panel holds a link")
            form = document.copy_foreign(lone_page.as_form_xobject())
            page_top = float(lone_page.mediabox[3])
            width = float(lone_page.mediabox[2])
            bottom = page_top - panel.height / PX_PER_PT
            form.BBox = pikepdf.Array([-BLEED, bottom - BLEED, width + BLEED, page_top + BLEED])
            name = page.add_resource(form, pikepdf.Name.XObject, prefix="Panel")
            # At the slot's place the page draws in CSS pixels from its top left corner;
            # the panel's page is in points from its bottom left.
            matrix = (PX_PER_PT, 0, 0, -PX_PER_PT, self.left, self.top + page_top * PX_PER_PT)
            drawing = "q {} cm {} Do Q".format(" ".join(f"{n:.6f}" for n in matrix), name)
            page.Contents = document.make_stream(
                self.prefix + b"\n" + drawing.encode() + b"\n" + self.suffix
            )
            document_tag = _only_kid(alone.Root.StructTreeRoot)
            lone_panel = [
                kid
                for kid in _kids(document_tag)
                if not isinstance(kid, int) and kid.Pg.objgen == lone_page.obj.objgen
            ]
            if len(lone_panel) != 1:
                raise CannotStamp("the panel's tags are not as expected")
            self._graft_tags(document, page, form, lone_panel[0])
            out = io.BytesIO()
            document.save(out, deterministic_id=True)
            return out.getvalue()

    def _graft_tags(self, document, page, form, lone_panel) -> None:
        """Put the panel's tags where the slot's were, pointing into the panel's drawing."""
        import pikepdf

        slot = document.get_object(self.slot)
        holder = document.get_object(self.holder)  # the panel's box, holding the QR code
        by_mcid: dict[int, pikepdf.Object] = {}

        def graft(element, parent):
            kids = element.get("/K", pikepdf.Array())
            new = document.make_indirect(
                pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=element.S, P=parent, Pg=page.obj)
            )
            unknown = set(element.keys()) - {"/Type", "/S", "/P", "/K", "/Pg", *TEXT_KEYS}
            if unknown:  # attributes, ids, classes: not carried across
                raise CannotStamp(f"the panel's tags use {', '.join(sorted(unknown))}")
            for key in TEXT_KEYS:
                if key in element:
                    new[key] = pikepdf.String(str(element[key]))
            grafted = pikepdf.Array()
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
                if isinstance(kid, int):
                    grafted.append(
                        pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=page.obj, Stm=form, MCID=kid)
                    )
                    by_mcid[kid] = new
                elif kid.get("/Type") in ("/MCR", "/OBJR") or "/S" not in kid:
                    raise CannotStamp("the panel's tags are not as expected")
                else:
                    grafted.append(graft(kid, new))
            new.K = grafted
            return new

        panel_tags = [
            graft(kid, holder)
            for kid in _kids(lone_panel)
            if len(_kids(kid)) > 0  # the empty box that kept the QR code's room
        ]
        # The QR code, then the panel's words, as in a full render.
        kept = [kid for kid in _kids(holder) if kid.objgen != slot.objgen]
        holder.K = pikepdf.Array(kept + panel_tags)
        parent_tree = document.Root.StructTreeRoot.ParentTree
        numbers = parent_tree.Nums
        keys = [int(numbers[i]) for i in range(0, len(numbers), 2)]
        page_entry = numbers[keys.index(int(page.obj.StructParents)) * 2 + 1]
        page_entry[self.slot_mcid] = None  # the slot's drawing is gone
        form.StructParents = max(keys) + 1
        numbers.append(form.StructParents)
        numbers.append(
            pikepdf.Array([by_mcid.get(mcid) for mcid in range(max(by_mcid, default=-1) + 1)])
        )
        document.Root.StructTreeRoot.ParentTreeNextKey = form.StructParents + 1


def _kids(element) -> list:
    import pikepdf

    kids = element.get("/K", pikepdf.Array())
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _only_kid(element):
    kids = _kids(element)
    if len(kids) != 1 or isinstance(kids[0], int):
        raise CannotStamp("the panel's tags are not as expected")
    return kids[0]


def _find_slot(root):
    """The structure element of the slot image (found by its alt text)."""
    waiting = _kids(root)
    while waiting:
        element = waiting.pop()
        if isinstance(element, int) or "/S" not in element:
            continue
        if str(element.get("/Alt", "")) == SLOT_MARK:
            return element
        waiting.extend(_kids(element))
    raise CannotStamp("the leaflet's tags have no slot for the panel")


def _split_content(page, mcid: int) -> tuple[bytes, bytes]:
    """The page's drawing before and after the marked sequence ``mcid`` (the slot)."""
    import pikepdf

    operations = pikepdf.parse_content_stream(page)
    start = None
    for index, (operands, operator) in enumerate(operations):
        if (
            str(operator) == "BDC"
            and isinstance(operands[1], pikepdf.Dictionary)
            and operands[1].get("/MCID") == mcid
        ):
            start = index
            break
    if start is None:
        raise CannotStamp("the slot is not drawn on its page")
    depth = states = 0
    for end in range(start, len(operations)):
        operator = str(operations[end].operator)
        depth += operator in ("BDC", "BMC")
        depth -= operator == "EMC"
        states += (operator == "q") - (operator == "Q")
        if depth == 0:
            break
    if depth or states:
        raise CannotStamp("the slot's drawing is not a closed sequence")
    return (
        pikepdf.unparse_content_stream(operations[:start]),
        pikepdf.unparse_content_stream(operations[end + 1 :]),
    )


@dataclass
class SharedLeaflet:
    """What this process keeps of one leaflet that personal copies are made from."""

    context: LeafletContext
    handout: Handout
    """The leaflet with an empty slot: its input key stands for everything but the panel."""
    width: float | None = None
    """Of the panel's content, in CSS pixels; known after the first copy."""
    slotted: dict[float, SlottedLeaflet] = field(default_factory=dict)
    """By panel height."""
    stamping: bool = True
    """False once a copy could not be stamped faithfully."""
    reference: tuple[AppointmentPanel, object] | None = None
    """The first copy's panel and full render, kept until the second copy checks stamping."""
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
        self.stamped = 0
        """How many copies were stamped; the others were rendered in full."""
        self.rendered = 0

    def copy(
        self,
        treatments: Sequence[str],
        clinic: Clinic,
        appointment: Appointment,
        paper: Paper | None = None,
        language: str | None = None,
        large_print: bool = False,
        layout: Layout = "leaflet",
    ) -> PersonalCopy:
        """The copy of a leaflet for ``appointment`` (HandoutsError names a bad value)."""
        kit = (clinic.model_dump_json(), fingerprint(clinic.kit_dir) if clinic.kit_dir else None)
        key = (kit, tuple(treatments), paper, language, large_print, layout)
        leaflet = self._leaflets.pop(key, None)  # put back last: the latest used stays
        if leaflet is None:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                context = leaflet_context(treatments, clinic, paper, language, large_print, layout)
            notes = tuple(dict.fromkeys((w.category, str(w.message)) for w in caught))
            leaflet = SharedLeaflet(context, slotted_handout(context), notes=notes)
            if len(self._leaflets) >= KEPT_LEAFLETS:
                self._leaflets.pop(next(iter(self._leaflets)))
        self._leaflets[key] = leaflet
        for category, note in leaflet.notes:  # as if the leaflet were put together again
            warnings.warn(note, category, stacklevel=2)
        panel = personal_panel(leaflet.context, appointment)
        return PersonalCopy(leaflet, panel, personal_key(leaflet.handout.input_key, panel))

    def render(self, copy: PersonalCopy):
        """The copy as a ``RenderedPDF``: stamped when faithful, else rendered in full.

        A leaflet's first copy is rendered in full; the second first stamps the first copy
        again and compares it with that render, and only then are copies stamped.
        """
        leaflet = copy.leaflet
        if leaflet.stamping and leaflet.width is None:
            return self._first(copy)
        if leaflet.stamping and leaflet.reference is not None:
            self._check(leaflet)
        if leaflet.stamping:
            try:
                stamped = self._stamp(
                    leaflet, render_panel(leaflet.context, copy.panel, leaflet.width)
                )
                self.stamped += 1
                return stamped
            except HandoutsError:
                pass  # the full render below reports this copy's own problem
            except Exception:  # whatever stops stamping, the copy is still made
                leaflet.stamping = False
        return self._full(copy)

    def _full(self, copy: PersonalCopy):
        full = render_handout(copy.handout(), copy.leaflet.context.clinic)
        self.rendered += 1
        return full

    def _first(self, copy: PersonalCopy):
        """A leaflet's first copy, in full: it gives the panel's width and the reference."""
        leaflet = copy.leaflet
        full = self._full(copy)
        boxes = [anchors[TITLE_ID] for anchors in full.anchors if TITLE_ID in anchors]
        if len(boxes) == 1:
            leaflet.width = boxes[0][2] - boxes[0][0]
            leaflet.reference = (copy.panel, full)
        else:
            leaflet.stamping = False
        return full

    def _check(self, leaflet: SharedLeaflet) -> None:
        """Stamp the first copy again; trust stamping only if it looks and reads the same."""
        panel, full = leaflet.reference
        leaflet.reference = None
        leaflet.stamping = False
        try:
            page = render_panel(leaflet.context, panel, leaflet.width)
            stamped = self._stamp(leaflet, page)
            slotted = leaflet.slotted[page.height]
        except Exception:  # anything unexpected: render in full
            return
        slot = (slotted.page_index, slotted.left, slotted.top, leaflet.width, page.height)
        leaflet.stamping = tag_outline(stamped.data) == tag_outline(full.data) and looks_the_same(
            stamped.data, full.data, slot
        )

    def _stamp(self, leaflet: SharedLeaflet, page: PanelPage):
        from .render import RenderedPDF

        slotted = leaflet.slotted.get(page.height)
        if slotted is None:
            handout = slotted_handout(leaflet.context, page.height)
            slotted = SlottedLeaflet(render_handout(handout, leaflet.context.clinic))
            if len(leaflet.slotted) >= KEPT_HEIGHTS:
                leaflet.slotted.pop(next(iter(leaflet.slotted)))
        leaflet.slotted[page.height] = leaflet.slotted.pop(page.height, slotted)  # latest last
        data = slotted.stamp(page)
        return RenderedPDF(data, slotted.pdf.pages, slotted.pdf.anchors)


def tag_outline(pdf: bytes) -> list[tuple[str, ...]]:
    """Every structure element in reading order, with each of its keys but the links."""
    import pikepdf

    outline = []
    with pikepdf.open(io.BytesIO(pdf)) as document:
        waiting = _kids(document.Root.StructTreeRoot)[::-1]
        while waiting:
            element = waiting.pop()
            if isinstance(element, int) or "/S" not in element:
                continue
            keys = sorted(set(element.keys()) - {"/P", "/K", "/Pg"})
            outline.append((str(element.S), *keys, str(element.get("/Alt", ""))))
            waiting.extend(_kids(element)[::-1])
    return outline


def looks_the_same(
    first: bytes, second: bytes, slot: tuple | None = None, dpi: int = 36, tolerance: float = 0.25
) -> bool:
    """Same pages, characters in the same places, near-identical colours.

    ``slot`` (page, left, top, width, height in CSS pixels) is compared closely too: a
    panel is small beside its page.
    """
    import pypdfium2

    one, two = pypdfium2.PdfDocument(first), pypdfium2.PdfDocument(second)
    try:
        if len(one) != len(two):
            return False
        for index, (page_one, page_two) in enumerate(zip(one, two, strict=True)):
            if page_one.get_size() != page_two.get_size():
                return False
            # Characters are compared by place, not by code or order: the code a shaped
            # Arabic glyph reads back as depends on where WeasyPrint first met the glyph.
            text_one, text_two = page_one.get_textpage(), page_two.get_textpage()
            boxes_one, boxes_two = _character_boxes(text_one), _character_boxes(text_two)
            if len(boxes_one) != len(boxes_two):
                return False
            for box_one, box_two in zip(boxes_one, boxes_two, strict=True):
                if max(abs(a - b) for a, b in zip(box_one, box_two, strict=True)) > tolerance:
                    return False
            if _differing_share(page_one, page_two, dpi) > 1 / 2000:
                return False
            if slot and slot[0] == index:
                _, left, top, width, height = slot
                area = (left, top, left + width, top + height)
                if _differing_share(page_one, page_two, 150, area) > 1 / 500:
                    return False
        return True
    finally:
        one.close()
        two.close()


def _differing_share(page_one, page_two, dpi: int, area: tuple | None = None) -> float:
    """Share of pixels (of ``area``, in CSS pixels, if given) whose colour differs."""
    from PIL import ImageChops

    images = [page.render(scale=dpi / 72).to_pil().convert("RGB") for page in (page_one, page_two)]
    if area is not None:
        scale = dpi / 96
        images = [image.crop(tuple(round(edge * scale) for edge in area)) for image in images]
    difference = ImageChops.difference(*images).convert("L").point(lambda value: value > 24)
    return difference.histogram()[1] / max(1, images[0].width * images[0].height)


def _character_boxes(text_page) -> list[tuple[float, ...]]:
    boxes = [text_page.get_charbox(index) for index in range(text_page.count_chars())]
    return sorted(boxes, key=lambda box: (round(box[1]), round(box[0]), box))
