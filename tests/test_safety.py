"""Rendering reads only the clinic kit and built-in folders: no network, no stray files."""

from __future__ import annotations

import http.server
import threading

import pytest
from conftest import block_file
from pdfcheck import has_attachments, text

from handouts import build_handout
from handouts.errors import ContentError, RenderError
from handouts.fetcher import KitURLFetcher, RefusedURL


@pytest.fixture
def web_server():
    """A real HTTP server on loopback that records every request it receives."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


def test_fetcher_allows_files_under_roots_and_data(tmp_path):
    (tmp_path / "ok.css").write_text("p {}")
    fetcher = KitURLFetcher([tmp_path])
    assert fetcher.fetch((tmp_path / "ok.css").as_uri()).read() == b"p {}"
    assert fetcher.fetch("data:text/plain,hi").read() == b"hi"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file:///etc/../etc/passwd",
        "http://127.0.0.1/",
        "https://example.com/",
        "ftp://example.com/x",
    ],
)
def test_fetcher_refuses_outside_roots_and_network(tmp_path, url):
    with pytest.raises(RefusedURL):
        KitURLFetcher([tmp_path]).fetch(url)


def test_fetcher_refuses_escaping_by_dot_dot_and_symlink(tmp_path):
    root, outside = tmp_path / "kit", tmp_path / "secret.css"
    root.mkdir()
    outside.write_text("p {}")
    (root / "link.css").symlink_to(outside)
    fetcher = KitURLFetcher([root])
    for url in ((root / ".." / "secret.css").as_uri(), (root / "link.css").as_uri()):
        with pytest.raises(RefusedURL, match="outside the clinic kit"):
            fetcher.fetch(url)


def test_css_cannot_reach_the_network(clinic_kit, web_server, tmp_path):
    address, requests = web_server
    kit = clinic_kit(
        {"styles/extra.css": f"body {{ background: url('{address}/x.png') }}"}, base="demo"
    )
    with pytest.raises(RenderError, match=r"is not allowed: leaflets never load anything"):
        build_handout(["microneedling"], clinic_dir=kit, output=tmp_path / "x.pdf")
    assert requests == []
    assert not (tmp_path / "x.pdf").exists()


def test_css_cannot_read_files_outside_the_kit(clinic_kit, tmp_path):
    secret = tmp_path / "secret.css"
    secret.write_text("body::after { content: 'LEAKED' }")
    kit = clinic_kit({"styles/extra.css": f"@import url('{secret.as_uri()}');"}, base="demo")
    with pytest.raises(RenderError, match=r"secret\.css: is outside the clinic kit; copy the file"):
        build_handout(["microneedling"], clinic_dir=kit, output=tmp_path / "x.pdf")


def test_svg_logo_cannot_reach_network_or_outside_files(clinic_kit, web_server, tmp_path):
    address, requests = web_server
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not really a png")
    for href in (f"{address}/logo.png", secret.as_uri()):
        svg = (
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
            f' width="10" height="10"><image xlink:href="{href}" width="10" height="10"/></svg>'
        )
        kit = clinic_kit({"logo.svg": svg}, base="demo", name=f"kit{len(href)}")
        with pytest.raises(RenderError, match="cannot build the leaflet"):
            build_handout(["microneedling"], clinic_dir=kit, output=tmp_path / "x.pdf")
    assert requests == []


def test_markdown_image_from_the_web_is_an_error_naming_the_file(clinic_kit, in_tmp):
    kit = clinic_kit(
        {
            "content/microneedling/about.md": block_file(
                "![Before and after](http://127.0.0.1:9/x.png)"
            )
        },
        base="demo",
    )
    with pytest.raises(ContentError) as caught:
        build_handout(["microneedling"], clinic_dir=kit)
    assert caught.value.message == (
        "kit/content/microneedling/about.md: image 'http://127.0.0.1:9/x.png' is not allowed: "
        "put the picture in the clinic kit and use a relative path"
    )


def test_missing_image_in_the_kit_is_an_error(clinic_kit, tmp_path):
    kit = clinic_kit(
        {"content/microneedling/about.md": block_file("![Diagram](diagram.png)")}, base="demo"
    )
    with pytest.raises(RenderError, match=r"diagram\.png: file not found"):
        build_handout(["microneedling"], clinic_dir=kit, output=tmp_path / "x.pdf")


def test_image_in_the_kit_is_rendered(clinic_kit, tmp_path):
    png = (
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5"
        "ErkJggg=="
    )
    import base64

    kit = clinic_kit(
        {
            "content/microneedling/about.md": block_file("![Diagram](diagram.png)"),
            "content/microneedling/diagram.png": base64.b64decode(png),
        },
        base="demo",
    )
    result = build_handout(["microneedling"], clinic_dir=kit, output=tmp_path / "x.pdf")
    assert result.pages >= 1


def test_template_attachment_links_embed_nothing(clinic_kit, tmp_path):
    kit = clinic_kit(
        {
            "templates/partials/header.html": '<a rel="attachment" href="clinic.yaml">kit file</a>'
            '<link rel="attachment" href="clinic.yaml">',
        },
        base="demo",
    )
    result = build_handout(["microneedling"], clinic_dir=kit, output=tmp_path / "x.pdf")
    assert "kit file" in text(result.path)
    assert not has_attachments(result.path)
