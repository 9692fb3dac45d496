"""Does a stamped copy look and read like its full render? The run-time check of stamping.

Pages, character boxes and colours are compared (pypdfium2 draws, Pillow compares),
and the structure tree's outline (pikepdf).
"""

from __future__ import annotations

import io

from .stamping import _kids


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
