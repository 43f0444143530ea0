"""HTML -> PDF with WeasyPrint: a pure function, context in, bytes out.

Templates live under templates/reports/pdf/ and extend base_pdf.html. The fonts (the full
Sarabun TTFs, regular and bold) and the base stylesheet are loaded once per process into a
module-level `FontConfiguration` and a parsed `CSS`, so a Celery worker (a long-lived
process) pays for them on its first document only, never per page. Never a font split by
unicode-range under one family name: WeasyPrint merges the parts and prints Latin digits as
stray Thai marks (DESIGN.md, "PDF rendering"). Check output by rendering pages to PNG
(pdftoppm), not by extracting text: the PDF text layer loses the vowel ำ although the printed
page is right.
"""

from __future__ import annotations

import atexit
import re
import threading
from functools import lru_cache

from django.conf import settings
from django.template.loader import render_to_string

FONT_DIR = settings.BASE_DIR / "static" / "fonts"
FONTS = {"regular": "Sarabun-Regular.ttf", "bold": "Sarabun-Bold.ttf"}
BASE_CSS = """
@font-face { font-family: "Sarabun"; src: url("%(regular)s") format("truetype"); font-weight: 400; font-style: normal; }
@font-face { font-family: "Sarabun"; src: url("%(bold)s") format("truetype"); font-weight: 700; font-style: normal; }
html { font-family: "Sarabun"; font-size: 10pt; color: #111; line-height: 1.3; }
body { margin: 0; }
h1, h2, h3 { margin: 0; font-weight: 700; }
table { border-collapse: collapse; }
.muted { color: #555; }
"""

# WeasyPrint's objects are not documented as thread-safe; a prefork worker renders in one
# thread, but the development server and tests may not.
_lock = threading.Lock()


def font_urls() -> dict[str, str]:
    return {weight: (FONT_DIR / name).as_uri() for weight, name in FONTS.items()}


@lru_cache(maxsize=1)
def _renderer():
    """The process's fonts and base stylesheet, loaded on the first render. Imported here:
    loading WeasyPrint costs about half a second, which web processes that never render a PDF
    should not pay at start-up."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    base = CSS(string=BASE_CSS % font_urls(), font_config=font_config)
    return HTML, font_config, base


# Dropped while the interpreter is still whole: FontConfiguration's finaliser needs its modules.
atexit.register(_renderer.cache_clear)


def render_html(template_name: str, context: dict) -> str:
    return render_to_string(template_name, context)


def html_to_pdf(html: str) -> bytes:
    HTML, font_config, base = _renderer()
    with _lock:
        return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(stylesheets=[base], font_config=font_config)


def render_pdf(template_name: str, context: dict) -> bytes:
    """The template as PDF. Printed in Thai digits when the context's `thai_digits` says so, or
    when it has none and its `school` chose them (ใช้เลขไทย: reports.selectors.options)."""
    thai = context.get("thai_digits")
    if thai is None:
        from reports.selectors.options import uses_thai_digits

        thai = uses_thai_digits(context.get("school"))
    html = render_html(template_name, {**context, "thai_digits": thai})
    return html_to_pdf(thai_digits_html(html) if thai else html)


# --- Thai digits ---------------------------------------------------------------------------------
# A school that prints its official documents in Thai digits (๐–๙) gets every number of the
# rendered page in them: dates, scores, GPA, serials, codes of subjects, page numbers. Applied to
# the rendered HTML, so no template can forget a number. Never converted: markup and attributes
# (the QR's data URI, inline positions in mm), the style sheet except the strings of its
# `content:` declarations (the footers), web addresses (the verification URL), character
# references, and any element with the class `latin` (the verification code: it is typed back
# from the paper as printed).

THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
_TAG = re.compile(r"(<[^>]*>)")
_TAG_NAME = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)")
_LATIN_CLASS = re.compile(r"""\bclass\s*=\s*["'][^"']*\blatin\b""")
_KEEP = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<]+|&#?[A-Za-z0-9]+;)")
_CSS_CONTENT = re.compile(r"(content\s*:\s*)([^;}]*)")
_CSS_STRING = re.compile(r'"[^"]*"')
_PAGE_COUNTER = re.compile(r"counter\((pages?)\)")


def thai_digits_text(text: str) -> str:
    """Arabic digits as Thai digits, except inside web addresses and character references."""
    return "".join(part if index % 2 else part.translate(THAI_DIGITS) for index, part in enumerate(_KEEP.split(text)))


def _thai_digits_css(css: str) -> str:
    def content(match: re.Match) -> str:
        value = _CSS_STRING.sub(lambda string: thai_digits_text(string.group(0)), match.group(2))
        return match.group(1) + _PAGE_COUNTER.sub(r"counter(\1, thai)", value)

    return _CSS_CONTENT.sub(content, css)


def thai_digits_html(html: str) -> str:
    out = []
    raw = None  # inside <style> or <script>
    latin, depth = None, 0  # inside an element of class `latin`, and how deep
    for index, piece in enumerate(_TAG.split(html)):
        if index % 2:  # a tag
            match = _TAG_NAME.match(piece)
            if match:
                closing, name = match.group(1) == "/", match.group(2).lower()
                if raw is None and not closing and name in ("style", "script"):
                    raw = name
                elif closing and name == raw:
                    raw = None
                elif latin is None and not closing and _LATIN_CLASS.search(piece) and not piece.endswith("/>"):
                    latin, depth = name, 1
                elif name == latin:
                    depth += -1 if closing else 1
                    if depth == 0:
                        latin = None
            out.append(piece)
        elif raw == "style":
            out.append(_thai_digits_css(piece))
        elif raw or latin:
            out.append(piece)
        else:
            out.append(thai_digits_text(piece))
    return "".join(out)


def warm_up() -> None:
    """Load WeasyPrint and the fonts now, before a timed render (the benchmarks); a worker
    process otherwise loads them with its first document."""
    _renderer()
