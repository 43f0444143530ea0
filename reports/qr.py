"""A QR code as a PNG data URI, for printing in a document's HTML (no file, no network).

One pixel per module, 1 bit deep (a few hundred bytes): the template scales it up with
`image-rendering: pixelated`, so the PDF draws sharp modules without interpolation. An SVG of
the same code drew every module as a path and cost about 4 KB of every page's content stream."""

from __future__ import annotations

import base64
import io

import qrcode


def qr_image(text: str):
    """The code as a 1-bit PIL image, one pixel per module, with a one-module quiet border."""
    # Error correction M survives a smudge on a printed page.
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=1, box_size=1)
    code.add_data(text)
    code.make(fit=True)
    return code.make_image().get_image().convert("1")


def qr_data_uri(text: str) -> str:
    buffer = io.BytesIO()
    qr_image(text).save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
