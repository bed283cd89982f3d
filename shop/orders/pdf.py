"""Invoices and credit notes as PDF: the document's HTML page printed by WeasyPrint (the only module that imports it)."""
from __future__ import annotations

from weasyprint import HTML


class PdfError(Exception):
    """The document could not be printed."""


def html_to_pdf(html: str, *, base_url: str) -> bytes:
    """Print an HTML page (with its own print CSS) to PDF.

    Raises:
        PdfError: WeasyPrint could not lay the page out.
    """
    try:
        return HTML(string=html, base_url=base_url).write_pdf()
    except (ValueError, OSError) as error:
        raise PdfError(str(error)) from error
