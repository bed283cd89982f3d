"""Invoices and credit notes as pages and PDF files in the shop's look, in bokmål (the buyers are Norwegian bodies)."""
from __future__ import annotations

from flask import Response, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _

from shop.core.http import abort_with_message
from shop.orders import ehf, invoices
from shop.orders.models import Invoice
from shop.orders.pdf import PdfError, html_to_pdf


def file_name(document: Invoice) -> str:
    return f"{'kreditnota' if document.is_credit_note else 'faktura'}-{document.number}"


def html(document: Invoice) -> str:
    """The document as a printable HTML page (its CSS inside it, so the PDF needs nothing from the web)."""
    with force_locale("nb"):
        return render_template("orders/invoice_document.html", invoice=document, seller=document.seller_identity,
                               totals=ehf.breakdown(invoices.to_ehf(document)), corrects=document.corrects,
                               delivered=document.delivery_date)


def pdf_response(document: Invoice) -> Response:
    """The document's PDF, to open in the browser or save."""
    try:
        content = html_to_pdf(html(document), base_url=request.url_root)
    except PdfError:
        abort_with_message(503, _("We could not make the PDF just now. Try again in a moment."))
    return Response(content, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{file_name(document)}.pdf"'})
