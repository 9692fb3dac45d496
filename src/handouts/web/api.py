"""The HTTP API for scripts: the treatment list, and a leaflet as a PDF.

Errors are JSON (``{"error": "..."}``): 404 for an unknown treatment, 400 for any
other bad parameter, 422 when the text does not fit the chosen card or tri-fold. Bad
input never causes a 500.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..catalogue import treatment_catalogue
from ..errors import HandoutsError
from ..history import record_leaflets
from .leaflets import read_request
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
        made = state().maker.make(read_request(values, clinic()), previews=False)
    except HandoutsError as error:
        message = error.message
        if error.http_status == 500:
            message = f"the clinic kit cannot make this leaflet: {message}"
        return _error(error.http_status, message)
    if request.method == "GET":  # a HEAD request hands nothing over
        record_leaflets(clinic(), [made.record])
    return pdf_response(made.pdf, made.file_name, inline=request.args.get("download") != "1")
