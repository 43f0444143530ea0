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
    return html_to_pdf(render_html(template_name, context))


def warm_up() -> None:
    """Load WeasyPrint and the fonts now (a worker process calls this once it starts)."""
    _renderer()
