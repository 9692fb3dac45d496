"""Stamping: merge a panel laid out alone into a leaflet rendered once with an empty slot.

A personal copy differs from its leaflet only in the words of its "Your appointment"
panel. So the leaflet is rendered once per panel height, with an empty tagged slot
where the panel goes (``slotted_handout``, ``SlottedLeaflet``); pikepdf draws the
panel's page where the slot was in the page's content, and its tags take the slot's
place in the structure tree, so text order, fonts, tags and language are those of a
full render. ``handouts.copies`` decides when this is faithful.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace

from .build import Handout, handout_from
from .context import LeafletContext

SLOT_ID = "appointment-slot"
SLOT_MARK = "handouts:appointment-slot"
"""Alt text of the slot image: how the slot is found in a shared leaflet's tags."""
PX_PER_PT = 4 / 3
BLEED = 12
"""Points around the panel that stay visible: accents and tails that leave the line box."""
TEXT_KEYS = ("/Alt", "/ActualText", "/Lang", "/E")
"""Keys of a panel's structure elements that are carried into the leaflet."""


class CannotStamp(Exception):
    """A panel or leaflet that cannot be merged faithfully: render the copy in full."""


@dataclass(frozen=True)
class AppointmentSlot:
    """Room left for a personal panel in a shared leaflet."""

    height: float
    """Height of the panel's content, in CSS pixels."""
    mark: str = SLOT_MARK
    image: str = "data:image/svg+xml,%3Csvg%20xmlns%3D%22http%3A//www.w3.org/2000/svg%22/%3E"
    """An empty, transparent picture."""


@dataclass(frozen=True)
class PanelPage:
    """One copy's panel laid out alone: the top ``height`` pixels of a PDF page."""

    data: bytes
    height: float
    """Of the panel's content, in CSS pixels: the slot it needs."""


def slotted_handout(context: LeafletContext, height: float) -> Handout:
    """The leaflet of personal copies with an empty slot, ``height`` px tall, for the panel."""
    from .panel import EMPTY_PANEL

    slot = AppointmentSlot(height)
    return handout_from(replace(context, appointment=EMPTY_PANEL, appointment_slot=slot))


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
