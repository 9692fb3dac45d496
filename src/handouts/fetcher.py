"""The only way WeasyPrint may read a resource: local files under our roots, or data: URIs."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from weasyprint.urls import URLFetcher, URLFetcherResponse

from .kit_files import outside_problem
from .paths import display_path, file_url_path


class RefusedURL(ValueError):
    """A resource outside the allowed roots, or on the network."""


class KitURLFetcher(URLFetcher):
    """Serve ``file:`` URLs under ``roots`` and ``data:`` URIs; refuse everything else.

    ``fail_on_errors`` makes any refusal or missing file stop the render (WeasyPrint
    raises ``FatalURLFetchingError``), so nothing is silently left out of a leaflet.
    """

    def __init__(self, roots: list[Path]) -> None:
        super().__init__(
            allowed_protocols={"file", "data"}, allow_redirects=False, fail_on_errors=True
        )
        self.roots = [root.resolve() for root in roots]

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme != "file":
            raise RefusedURL(
                f"{url!r} is not allowed: leaflets never load anything from the "
                "network; put the file in the clinic kit"
            )
        written = file_url_path(url, follow_links=False)
        if problem := outside_problem(written, self.roots):
            raise RefusedURL(f"{display_path(written)}: {problem}")
        path = written.resolve()
        if not path.is_file():
            raise RefusedURL(f"{display_path(written)}: file not found")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), path.read_bytes(), headers={"Content-Type": content_type}
        )
