"""A QR code as an SVG data URI, for printing in a document's HTML (no file, no network)."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg


def qr_data_uri(text: str) -> str:
    # Error correction M survives a smudge on a printed page; the path image is one element.
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=1, box_size=10)
    code.add_data(text)
    code.make(fit=True)
    image = code.make_image(image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
