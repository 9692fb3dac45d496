"""Finish WeasyPrint's tagged PDF: running headers and footers as artifacts, links printable.

WeasyPrint 70 tags the text of ``@page`` margin boxes (the running footer) like page
content and keeps their structure elements out of the tree (``pdf/tags.py``), so a
screen reader reads "Northbank Skin Clinic, page 2 of 5" between two paragraphs, and
checkers report it (outloud PAG-001). It also writes link annotations without the Print
flag, so print and screen differ (outloud LNK-004). Both are put right here, on the
written PDF, without changing a single thing that is drawn.
"""

from __future__ import annotations

import io

import pikepdf

PRINT_FLAG = 4
"""Annotation flag: the annotation is printed (PDF 1.7, table 165)."""


def finish_pdf(data: bytes) -> bytes:
    """``data`` with its running lines marked as pagination artifacts and links printable."""
    with pikepdf.open(io.BytesIO(data)) as document:
        changed = _print_links(document)
        root = document.Root.get("/StructTreeRoot")
        if root is not None:
            changed |= _mark_running_lines(document, root)
        if not changed:
            return data
        out = io.BytesIO()
        document.save(out, deterministic_id=True)
        return out.getvalue()


def _print_links(document: pikepdf.Pdf) -> bool:
    changed = False
    for page in document.pages:
        for annotation in page.obj.get("/Annots", pikepdf.Array()):
            flags = int(annotation.get("/F", 0))
            if annotation.get("/Subtype") == "/Link" and not flags & PRINT_FLAG:
                annotation.F = flags | PRINT_FLAG
                changed = True
    return changed


def _mark_running_lines(document: pikepdf.Pdf, root: pikepdf.Object) -> bool:
    """Put the running footer's tags right: its first line is page furniture, the rest is read.

    The first paragraph of each margin box (the clinic's name, phone and page number)
    becomes a pagination artifact on every page. What follows it (the "general
    information" notice, the content versions) is the same on every page: it is read
    once, at the end of the last page, and is page furniture on the others. A
    one-page card has no running line: its footer is read in full, at the end.
    """
    in_tree = _elements_in_tree(root)
    numbers = root.ParentTree.Nums
    by_key = {int(numbers[i]): numbers[i + 1] for i in range(0, len(numbers), 2)}
    reading = _only_kid_or_none(root)
    changed = False
    last = len(document.pages) - 1
    for index, page in enumerate(document.pages):
        tags = by_key.get(int(page.obj.get("/StructParents", -1)))
        if not isinstance(tags, pikepdf.Array):
            continue
        outside = [
            (mcid, element)
            for mcid, element in enumerate(tags)
            if isinstance(element, pikepdf.Dictionary) and element.objgen not in in_tree
        ]
        if not outside:
            continue
        read = set()
        if index == last and reading is not None:
            for notice in _notices(outside, in_tree, with_first=last == 0):
                notice.P = reading
                reading.K.append(notice)
                read |= _mcids_under(notice)
        running = {mcid for mcid, _ in outside} - read
        drawing = []
        for operands, operator in pikepdf.parse_content_stream(page):
            if str(operator) == "BDC" and _mcid(operands) in running:
                operands = [pikepdf.Name.Artifact, pikepdf.Dictionary(Type=pikepdf.Name.Pagination)]
            drawing.append(pikepdf.ContentStreamInstruction(operands, operator))
        page.Contents = document.make_stream(pikepdf.unparse_content_stream(drawing))
        for mcid in running:
            tags[mcid] = None
        changed = True
    return changed


def _notices(outside, in_tree, with_first: bool) -> list[pikepdf.Object]:
    """The paragraphs after the first in each margin box: words to read, not furniture."""
    boxes: list[pikepdf.Object] = []
    for _, element in outside:
        while element.P.objgen not in in_tree:
            element = element.P
        if all(element.objgen != box.objgen for box in boxes):
            boxes.append(element)
    return [kid for box in boxes for kid in _structure_kids(box)[0 if with_first else 1 :]]


def _structure_kids(element) -> list[pikepdf.Object]:
    kids = element.get("/K", pikepdf.Array())
    kids = kids if isinstance(kids, pikepdf.Array) else [kids]
    return [kid for kid in kids if isinstance(kid, pikepdf.Dictionary) and "/S" in kid]


def _mcids_under(element) -> set[int]:
    found: set[int] = set()
    waiting = [element]
    while waiting:
        node = waiting.pop()
        kids = node.get("/K", pikepdf.Array())
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, int):
                found.add(int(kid))
            elif isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                waiting.append(kid)
    return found


def _only_kid_or_none(root):
    """The tree's one top element (WeasyPrint's Document), where read notices are added."""
    kids = root.get("/K")
    kids = kids if isinstance(kids, pikepdf.Array) else [kids]
    only = kids[0] if len(kids) == 1 else None
    if isinstance(only, pikepdf.Dictionary) and isinstance(only.get("/K"), pikepdf.Array):
        return only
    return None


def _mcid(operands) -> int | None:
    properties = operands[1] if len(operands) == 2 else None
    if isinstance(properties, pikepdf.Dictionary) and "/MCID" in properties:
        return int(properties.MCID)
    return None


def _elements_in_tree(root: pikepdf.Object) -> set[tuple[int, int]]:
    """The structure elements reachable from the tree's root."""
    found: set[tuple[int, int]] = set()
    waiting = [root.get("/K", pikepdf.Array())]
    while waiting:
        node = waiting.pop()
        if isinstance(node, pikepdf.Array):
            waiting.extend(node)
        elif isinstance(node, pikepdf.Dictionary) and "/S" in node and node.objgen not in found:
            found.add(node.objgen)
            waiting.append(node.get("/K", pikepdf.Array()))
    return found
