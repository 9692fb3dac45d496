"""A feed of appointments fetched from an HTTPS address, within a time and size limit.

Only ``https://``, with certificates verified as usual (the system's trusted authorities;
``HANDOUTS_CA_FILE`` names a PEM file to trust instead, e.g. for a clinic's own server),
and never redirected to anything but HTTPS. A user name and password in the address are
sent as HTTP Basic authentication and left out of every message. The answer is given
up on once the timeout has passed while it still arrives (a server that trickles bytes),
or when the server is silent for that long; it may be at most ``MAX_FEED_BYTES``.
"""

from __future__ import annotations

import base64
import os
import ssl
import time
import urllib.error
import urllib.request
from urllib.parse import unquote, urlsplit

from .errors import HandoutsError

CA_FILE_VARIABLE = "HANDOUTS_CA_FILE"
MAX_FEED_BYTES = 10 * 1024 * 1024
CHUNK = 65_536


class FeedError(HandoutsError):
    """A feed that could not be fetched: the message names the address and why."""


def shown_url(url: str) -> str:
    """The address without any user name or password in it, for messages and reports."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return parts._replace(netloc=host).geturl()


class _HttpsRedirectsOnly(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not newurl.lower().startswith("https://"):
            fp.close()  # urllib closes it only after following the redirect
            raise FeedError(
                f"{shown_url(req.full_url)}: redirected to {shown_url(newurl)[:80]}, which is "
                "not https://; give the feed's https:// address"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def refuse_unless_https(url: str) -> None:
    """FeedError unless ``url`` is an ``https://`` address with a host."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise FeedError(
            f"{shown_url(url)[:80]}: not fetched; feeds are fetched over https:// only "
            "(download the file and import it, or use the feed's https:// address)"
        )


def fetch_feed(url: str, timeout: float = 20, limit: int = MAX_FEED_BYTES) -> bytes:
    """The body at ``url``; FeedError if it is not HTTPS, fails, is slower than ``timeout``
    seconds in all, or is larger than ``limit`` bytes."""
    refuse_unless_https(url)
    where = shown_url(url)
    context = ssl.create_default_context(cafile=os.environ.get(CA_FILE_VARIABLE) or None)
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context), _HttpsRedirectsOnly()
    )
    request = urllib.request.Request(where, headers={"User-Agent": "handouts"})
    parts = urlsplit(url)
    if parts.username is not None:  # https://user:secret@host/...: HTTP Basic, never redirected
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        token = base64.b64encode(pair.encode()).decode()
        request.add_unredirected_header("Authorization", f"Basic {token}")
    deadline = time.monotonic() + timeout
    too_slow = FeedError(f"{where}: took longer than {timeout:g} s; try again later")
    try:
        with opener.open(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > limit:
                raise _too_large(where, limit)
            body = bytearray()
            while chunk := response.read1(CHUNK):
                body += chunk
                if len(body) > limit:
                    raise _too_large(where, limit)
                if time.monotonic() > deadline:
                    raise too_slow
            return bytes(body)
    except urllib.error.HTTPError as error:
        raise FeedError(f"{where}: the server answered {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, TimeoutError):
            raise too_slow from None
        raise FeedError(f"{where}: cannot fetch ({_reason(reason)})") from None
    except TimeoutError:
        raise too_slow from None
    except OSError as error:
        raise FeedError(f"{where}: cannot fetch ({_reason(error)})") from None


def _too_large(where: str, limit: int) -> FeedError:
    return FeedError(f"{where}: larger than {limit // (1024 * 1024)} MB; not imported")


def _reason(reason: object) -> str:
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"its certificate is not trusted: {reason.verify_message}"
    return " ".join(str(getattr(reason, "strerror", None) or reason).split())[:200]
