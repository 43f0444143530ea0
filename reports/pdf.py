"""HTML -> PDF with WeasyPrint: a pure function, context in, bytes out.

Templates live under templates/reports/pdf/ and extend base_pdf.html, which loads the full
Sarabun TTFs (regular and bold) by file:// URL. Never a font split by unicode-range under one
family name: WeasyPrint merges the parts and prints Latin digits as stray Thai marks
(DESIGN.md, "PDF rendering"). Check output by rendering pages to PNG (pdftoppm), not by
extracting text: the PDF text layer loses the vowel ำ although the printed page is right.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string

FONT_DIR = settings.BASE_DIR / "static" / "fonts"
FONTS = {"regular": "Sarabun-Regular.ttf", "bold": "Sarabun-Bold.ttf"}


def font_urls() -> dict[str, str]:
    return {weight: (FONT_DIR / name).as_uri() for weight, name in FONTS.items()}


def render_html(template_name: str, context: dict) -> str:
    return render_to_string(template_name, {**context, "fonts": font_urls()})


def render_pdf(template_name: str, context: dict) -> bytes:
    # Imported here: loading WeasyPrint costs about half a second, which web processes that
    # never render a PDF should not pay at start-up.
    from weasyprint import HTML

    html = render_html(template_name, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
