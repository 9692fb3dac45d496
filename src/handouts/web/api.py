"""The HTTP API for scripts: the treatment list, and a leaflet as a PDF.

Errors are JSON (``{"error": "..."}``): 404 for an unknown treatment, 400 for any
other bad parameter, 422 when the text does not fit the chosen card or tri-fold. Bad
input never causes a 500.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..catalogue import treatment_catalogue
from ..history import record_leaflets
from .leaflets import BadRequest, RenderFailed, TooLongForLayout, UnknownTreatment, read_request
from .pages import pdf_response
from .state import clinic, state

blueprint = Blueprint("api", __name__, url_prefix="/api")

LEAFLET_PARAMETERS = {
    "treatment",
    "lang",
    "paper",
    "layout",
    "large_print",
    "patient",
    "date",
    "time",
    "practitioner",
    "download",
}


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify(error=message), status


@blueprint.route("/treatments")
def treatments() -> Response:
    """Every treatment: name, title, summary, languages and sections."""
    return jsonify(treatment_catalogue(clinic().kit_dir))


@blueprint.route("/leaflet.pdf")
def leaflet():
    """The leaflet for the query's parameters; ``download=1`` asks the browser to save it."""
    values = request.args.to_dict(flat=False)
    unknown = sorted(set(values) - LEAFLET_PARAMETERS)
    if unknown:
        known = ", ".join(sorted(LEAFLET_PARAMETERS))
        return _error(400, f"{unknown[0][:40]}: unknown parameter; use {known}")
    try:
        leaflet_request = read_request(values, clinic())
    except UnknownTreatment as error:
        return _error(404, str(error))
    except BadRequest as error:
        return _error(400, str(error))
    try:
        made = state().maker.make(leaflet_request, previews=False)
    except TooLongForLayout as error:
        return _error(422, f"{error}; try layout=leaflet or bigger paper")
    except RenderFailed as error:
        return _error(500, f"the clinic kit cannot make this leaflet: {error}")
    if request.method == "GET":  # a HEAD request hands nothing over
        record_leaflets(clinic(), [made.record])
    return pdf_response(made.pdf, made.file_name, inline=request.args.get("download") != "1")
