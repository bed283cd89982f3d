"""The coordinator's invoices (/coordinator/fakturaer): invoice orders to invoice, every invoice and credit note
with its status (overdue ones first to see), marking sent and paid, credit notes, and the PDF and EHF files."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from shop.coordinator.forms import InvoiceFilterForm, credit_note_form
from shop.core.actor import Actor
from shop.core.http import abort_with_message
from shop.core.paging import PageOutOfRange, parse_page
from shop.core.seller import seller
from shop.core.time import oslo_date, utcnow
from shop.extensions import db
from shop.orders import documents, invoices
from shop.orders.models import Invoice
from shop.orders.outbox import send

bp = Blueprint("invoices", __name__, url_prefix="/fakturaer")
INVOICES_PER_PAGE = 50


def _actor() -> Actor:
    return Actor.of(current_user)


def _invoice(invoice_id: int) -> Invoice:
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None:
        abort_with_message(404, _("We could not find that invoice."))
    return invoice


@bp.get("", endpoint="index")
def index():
    form = InvoiceFilterForm(request.args)
    if request.args and not form.validate():
        abort_with_message(400, _("Choose what to show from the list."))
    today = oslo_date(utcnow())
    page = parse_page(request.args.get("page"))
    try:
        if page is None:
            raise PageOutOfRange(request.args.get("page"))
        documents = invoices.ledger(db.session, status=form.status.data or None, today=today, page=page,
                                    per_page=INVOICES_PER_PAGE)
    except PageOutOfRange:
        abort_with_message(404, _("There is no page %(page)s of this list.", page=request.args.get("page", "")[:20]))
    waiting, waiting_count = invoices.to_invoice(db.session)
    return render_template("coordinator/invoices/index.html", form=form, today=today, waiting=waiting,
                           waiting_count=waiting_count, documents=documents)


@bp.post("/ordre/<int:order_id>")
def issue(order_id: int):
    now = utcnow()
    try:
        invoice = invoices.issue(db.session, _actor(), order_id, seller=seller(), today=oslo_date(now), now=now)
    except invoices.NotInvoiceOrder:
        db.session.rollback()
        abort_with_message(409, _("This order is not an invoice order awaiting its invoice."))
    db.session.commit()
    flash(_("Invoice %(number)s is issued.", number=invoice.number), "success")
    return redirect(url_for("coordinator.invoices.detail", invoice_id=invoice.id), 303)


def _lines_left(invoice: Invoice) -> list[tuple[int, str, int]]:
    left, _shipping = invoices.creditable(db.session, invoice)
    return [(line.order_line_id, line.title, left[line.order_line_id]) for line in invoice.lines]


def _detail_page(invoice: Invoice, form=None, status: int = 200):
    today = oslo_date(utcnow())
    credit = None
    if invoice.kind == "invoice":
        credit = form or credit_note_form(_lines_left(invoice))
    return render_template("coordinator/invoices/detail.html", invoice=invoice, today=today, credit_form=credit,
                           shipping_left=invoice.kind == "invoice" and invoices.creditable(db.session, invoice)[1],
                           related=invoices.documents_of(db.session, invoice.order_id),
                           overdue=invoices.overdue(invoice, today)), status


@bp.get("/<int:invoice_id>")
def detail(invoice_id: int):
    return _detail_page(_invoice(invoice_id))


@bp.post("/<int:invoice_id>/sendt")
def mark_sent(invoice_id: int):
    invoice = _invoice(invoice_id)
    try:
        changed = invoices.mark_sent(db.session, _actor(), invoice, now=utcnow(), deliver=send)
    except invoices.InvalidDocument:
        db.session.rollback()
        flash(_("The EHF file breaks the official rules, so it was not sent. The errors are listed below."), "error")
        return redirect(url_for("coordinator.invoices.detail", invoice_id=invoice_id), 303)
    db.session.commit()
    flash(_("Marked as sent: the EHF file is in the export folder for the access point, and the invoice is e-mailed "
            "to %(email)s.", email=invoice.buyer_email) if changed else _("It was already sent."), "success")
    return redirect(url_for("coordinator.invoices.detail", invoice_id=invoice_id), 303)


@bp.post("/<int:invoice_id>/betalt")
def mark_paid(invoice_id: int):
    invoice = _invoice(invoice_id)
    try:
        changed = invoices.mark_paid(db.session, _actor(), invoice, now=utcnow())
    except invoices.InvalidTransition:
        db.session.rollback()
        abort_with_message(409, _("Mark the invoice as sent before you mark it as paid."))
    db.session.commit()
    flash(_("Marked as paid.") if changed else _("It was already marked as paid."), "success")
    return redirect(url_for("coordinator.invoices.detail", invoice_id=invoice_id), 303)


@bp.post("/<int:invoice_id>/kreditnota")
def credit(invoice_id: int):
    invoice = _invoice(invoice_id)
    if invoice.kind != "invoice":
        abort_with_message(409, _("A credit note is made against an invoice, not against another credit note."))
    lines = _lines_left(invoice)
    form = credit_note_form(lines, formdata=request.form)
    if not form.validate():
        return _detail_page(invoice, form, 400)
    quantities = {line_id: form[f"line_{line_id}"].data or 0 for line_id, _title, _left in lines}
    now = utcnow()
    try:
        note = invoices.credit(db.session, _actor(), invoice_id, quantities, shipping=form.shipping.data,
                               reason=form.reason.data, today=oslo_date(now), now=now,
                               request_key=f"form-{form.request_key.data}" if form.request_key.data else None)
    except invoices.CreditTooLarge:
        db.session.rollback()
        form.reason.errors = [*form.reason.errors, _("Choose at least one item or the shipping, within what is left.")]
        return _detail_page(_invoice(invoice_id), form, 400)
    db.session.commit()
    flash(_("Credit note %(number)s is issued.", number=note.number), "success")
    return redirect(url_for("coordinator.invoices.detail", invoice_id=note.id), 303)


@bp.get("/<int:invoice_id>/pdf")
def pdf(invoice_id: int):
    return documents.pdf_response(_invoice(invoice_id))


@bp.get("/<int:invoice_id>/ehf.xml")
def ehf_file(invoice_id: int):
    invoice = _invoice(invoice_id)
    try:
        content = invoices.checked_xml(invoice)
    except invoices.InvalidDocument:
        abort_with_message(409, _("The EHF file breaks the official rules and is not offered. The invoice page lists "
                                  "the errors."))
    return Response(content, mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{documents.file_name(invoice)}.xml"'})
