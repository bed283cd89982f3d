"""Invoices and credit notes for invoice orders: numbered from one gap-free series, with KID, due date and the
seller as configured when issued; sent, paid and overdue; each as an EHF (Peppol BIS Billing 3.0) document
checked against the official rules before it is offered or handed on.

Plain functions that take a session; they flush and never commit.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from shop.core.actor import Actor, NotPermitted
from shop.core.audit import record as audit
from shop.core.norway import kid_number
from shop.core.paging import Page, paginate
from shop.core.seller import Seller
from shop.core.time import OSLO, aware
from shop.orders import ehf, peppol
from shop.orders.emails import queue_customer_email
from shop.orders.models import DocumentSequence, Invoice, InvoiceLine, Order
from shop.orders.outbox import OutgoingDocument
from shop.orders.services import SHIPPING_VAT_BP, InvalidTransition, set_status

SERIES = "invoice"  # invoices and credit notes share one series
FIRST_NUMBER = 100001


class InvoiceError(Exception):
    """The invoice cannot be made or moved as asked."""


class NotInvoiceOrder(InvoiceError):
    """The order is paid by card or not confirmed: it gets no invoice."""


class CreditTooLarge(InvoiceError):
    """A credit note would credit more of a line (or the shipping) than the invoice billed and is not yet credited."""


class InvalidDocument(InvoiceError):
    """The document's EHF breaks a fatal rule; it must not be offered or handed on."""

    def __init__(self, failures: list[peppol.Failure]):
        super().__init__(", ".join(failure.rule_id for failure in failures))
        self.failures = failures


def _national(actor: Actor) -> None:
    if not actor.is_national:
        raise NotPermitted("only a coordinator handles invoices")


def next_number(session: Session, series: str = SERIES) -> int:
    """Take the next number of a series.

    One UPDATE … RETURNING: the row stays locked until the transaction ends, so concurrent issuers take turns,
    and a transaction that rolls back gives its number back: the series never has a gap.
    """
    taken = _take(session, series)
    if taken is None:
        # The series' first number ever (the migration makes the row; an emptied table has none). Two issuers
        # may both get here: the second's insert waits for the first's and fails, and it takes its turn below.
        try:
            with session.begin_nested():
                session.add(DocumentSequence(name=series, next_number=FIRST_NUMBER))
        except IntegrityError:
            pass
        taken = _take(session, series)
    return taken


def _take(session: Session, series: str) -> int | None:
    after = session.execute(
        update(DocumentSequence).where(DocumentSequence.name == series)
        .values(next_number=DocumentSequence.next_number + 1).returning(DocumentSequence.next_number)
    ).scalar()
    return None if after is None else after - 1


def _lock_order(session: Session, order_id: int) -> Order:
    return session.scalar(select(Order).where(Order.id == order_id).with_for_update()
                          .options(selectinload(Order.lines)).execution_options(populate_existing=True))


def _buyer_address(order: Order) -> str:
    return f"{order.address_line}\n{order.postcode} {order.city}".strip() if order.address_line else ""


def invoice_of(session: Session, order_id: int) -> Invoice | None:
    return session.scalar(select(Invoice).where(Invoice.order_id == order_id, Invoice.kind == "invoice"))


def issue(session: Session, actor: Actor, order_id: int, *, seller: Seller, today: date, now: datetime) -> Invoice:
    """Issue the invoice of an invoice order (again: the one already issued): all its lines and shipping, due in
    the seller's due days, with a KID from its number; the order is invoiced.

    Raises:
        NotPermitted: the actor is not a coordinator.
        NotInvoiceOrder: the order is paid by card, or is not confirmed (cancelled, expired).
    """
    _national(actor)
    order = _lock_order(session, order_id)
    existing = invoice_of(session, order_id)
    if existing is not None:
        return existing
    if order is None or order.payment_method != "invoice" or order.status not in ("awaiting_invoice", "completed"):
        raise NotInvoiceOrder(order.number if order else str(order_id))
    number = next_number(session)
    invoice = Invoice(
        number=number, kind="invoice", order=order, status="issued", issue_date=today,
        due_date=today + timedelta(days=seller.due_days), kid=kid_number(number), seller=asdict(seller),
        delivery_date=delivery_date(order),
        buyer_name=order.organisation_name or order.name, buyer_org_number=order.org_number or "",
        buyer_reference=order.buyer_reference or "", buyer_address=_buyer_address(order),
        buyer_email=order.invoice_email or order.email, shipping_ore=order.shipping_ore, total_ore=0, vat_ore=0, reason="",
        created_by_id=actor.user_id, created_at=now,
        lines=[InvoiceLine(order_line_id=line.id, title=line.title, sku=line.sku, unit_price_ore=line.unit_price_ore,
                           vat_rate_bp=line.vat_rate_bp, quantity=line.quantity) for line in order.lines],
    )
    _finish(session, invoice)
    if order.status == "awaiting_invoice":
        set_status(order, "invoiced", now=now)
    audit(session, actor.user_id, "invoice.issued", "order", order.id, str(number))
    return invoice


def credit(session: Session, actor: Actor, invoice_id: int, quantities: dict[int, int], *, shipping: bool,
           reason: str, today: date, now: datetime, request_key: str | None = None) -> Invoice:
    """Issue a credit note against an invoice: the given quantities of its order lines ({order_line_id: n}) and,
    when asked, the shipping; the order's refunded amount grows by the note's total.

    Raises:
        NotPermitted: the actor is not a coordinator.
        CreditTooLarge: more than the invoice billed and earlier notes have not credited, or nothing at all.
    """
    _national(actor)
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or invoice.kind != "invoice":
        raise InvoiceError(f"no invoice {invoice_id}")
    return _credit(session, invoice, quantities, shipping=shipping, reason=reason, actor_user_id=actor.user_id,
                   today=today, now=now, request_key=request_key)


def _credit(session: Session, invoice: Invoice, quantities: dict[int, int], *, shipping: bool, reason: str,
            actor_user_id: int | None, today: date, now: datetime, request_key: str | None = None) -> Invoice:
    order = _lock_order(session, invoice.order_id)
    # The same form sent twice: the second waits for the first's lock above, then finds its note.
    if request_key:
        earlier = session.scalar(select(Invoice).where(Invoice.request_key == request_key))
        if earlier is not None:
            return earlier
    left, shipping_left = creditable(session, invoice)
    billed = {line.order_line_id: line for line in invoice.lines}
    wanted = {line_id: n for line_id, n in quantities.items() if n}
    if any(line_id not in billed or n < 0 or n > left[line_id] for line_id, n in wanted.items()):
        raise CreditTooLarge(invoice.number)
    if shipping and not shipping_left or not wanted and not shipping:
        raise CreditTooLarge(invoice.number)
    note = Invoice(
        number=next_number(session), kind="credit_note", order=order, corrects=invoice,
        status="issued", issue_date=today, due_date=None, kid="", seller=invoice.seller,
        delivery_date=invoice.delivery_date,
        buyer_name=invoice.buyer_name, buyer_org_number=invoice.buyer_org_number,
        buyer_reference=invoice.buyer_reference, buyer_address=invoice.buyer_address, buyer_email=invoice.buyer_email,
        shipping_ore=invoice.shipping_ore if shipping else 0, total_ore=0, vat_ore=0, reason=reason.strip(),
        request_key=request_key,
        created_by_id=actor_user_id, created_at=now,
        lines=[InvoiceLine(order_line_id=line_id, title=billed[line_id].title, sku=billed[line_id].sku,
                           unit_price_ore=billed[line_id].unit_price_ore, vat_rate_bp=billed[line_id].vat_rate_bp,
                           quantity=n) for line_id, n in sorted(wanted.items())],
    )
    _finish(session, note)
    order.refunded_ore = min(order.total_ore, order.refunded_ore + note.total_ore)
    audit(session, actor_user_id, "invoice.credited", "order", order.id, f"{note.number} → {invoice.number}: {reason}")
    return note


def credit_rest(session: Session, order_id: int, *, actor_user_id: int | None, reason: str, today: date,
                now: datetime) -> Invoice | None:
    """Credit whatever of the order's invoice is not yet credited, as part of cancelling the order; None when the
    order has no invoice or nothing is left."""
    invoice = invoice_of(session, order_id)
    if invoice is None:
        return None
    left, shipping_left = creditable(session, invoice)
    if not +left and not shipping_left:
        return None
    return _credit(session, invoice, dict(+left), shipping=shipping_left, reason=reason, actor_user_id=actor_user_id,
                   today=today, now=now)


def creditable(session: Session, invoice: Invoice) -> tuple[Counter, bool]:
    """What earlier credit notes have left of an invoice: {order_line_id: items}, and whether shipping is left."""
    notes = session.scalars(select(Invoice).where(Invoice.corrects_id == invoice.id)
                            .options(selectinload(Invoice.lines))).all()
    left = Counter({line.order_line_id: line.quantity for line in invoice.lines})
    for note in notes:
        left.subtract({line.order_line_id: line.quantity for line in note.lines})
    shipping_left = invoice.shipping_ore > 0 and not any(note.shipping_ore for note in notes)
    return left, shipping_left


def _finish(session: Session, document: Invoice) -> None:
    """Work out the totals the EHF rules agree with, check the EHF, and add the document."""
    totals = ehf.breakdown(to_ehf(document))
    document.total_ore, document.vat_ore = totals.tax_inclusive_ore, totals.vat_ore
    document.ehf_errors = [failure_record(failure) for failure in fatal(document)]
    session.add(document)
    session.flush()


def mark_sent(session: Session, actor: Actor, invoice: Invoice, *, now: datetime,
              deliver: Callable[[OutgoingDocument], object]) -> bool:
    """Hand the document's checked EHF to deliver (shop.orders.outbox.send) and record that it has gone to the
    buyer; False (and nothing handed on) if it already had.

    Raises:
        NotPermitted: the actor is not a coordinator.
        InvalidDocument: its EHF breaks a fatal rule, so it cannot be handed on.
    """
    _national(actor)
    content = checked_xml(invoice)
    # Only one of two coordinators pressing at once moves it on, and only that one hands it on.
    won = session.execute(update(Invoice).where(Invoice.id == invoice.id, Invoice.status == "issued")
                          .values(status="sent", sent_at=now)).rowcount
    if not won:
        return False
    deliver(OutgoingDocument(number=str(invoice.number), kind=invoice.kind, xml=content))
    session.expire(invoice)
    # Buyers outside Peppol get it by e-mail too: the amount, how to pay, and the PDF at the order's address.
    queue_customer_email(session, invoice.order, "orders/email_invoice.txt", "orders/email_invoice_subject.txt",
                         to=invoice.buyer_email or None, invoice=invoice)
    audit(session, actor.user_id, "invoice.sent", "order", invoice.order_id, str(invoice.number))
    return True


def mark_paid(session: Session, actor: Actor, invoice: Invoice, *, now: datetime) -> bool:
    """Record that the buyer has paid the invoice (a credit note: that it is settled); False if it already was.

    Raises:
        NotPermitted: the actor is not a coordinator.
        InvalidTransition: the document has not been sent.
    """
    _national(actor)
    if invoice.status == "paid":
        return False
    if invoice.status != "sent":
        raise InvalidTransition(f"{invoice.status} → paid")
    invoice.status, invoice.paid_at = "paid", now
    audit(session, actor.user_id, "invoice.paid", "order", invoice.order_id, str(invoice.number))
    order = session.get(Order, invoice.order_id)
    if invoice.kind == "invoice" and order.status == "invoiced" and all(
            f.status in ("delivered", "cancelled") for f in order.fulfilments):
        set_status(order, "completed", now=now)
    return True


def overdue(invoice: Invoice, today: date) -> bool:
    return invoice.kind == "invoice" and invoice.status != "paid" and invoice.due_date is not None \
        and invoice.due_date < today


def documents_of(session: Session, order_id: int) -> list[Invoice]:
    """An order's invoice and credit notes, in the order they were issued."""
    return list(session.scalars(select(Invoice).where(Invoice.order_id == order_id)
                                .options(selectinload(Invoice.lines)).order_by(Invoice.number)))


def to_ehf(document: Invoice) -> ehf.Document:
    """The document as the EHF builder reads it, from what was stored when it was issued."""
    seller = document.seller
    corrected = document.corrects
    order = document.order
    address, _, place = document.buyer_address.partition("\n")
    postcode, _, city = place.partition(" ")
    return ehf.Document(
        kind=document.kind, number=str(document.number), issue_date=document.issue_date, due_date=document.due_date,
        seller=ehf.Party(name=seller["name"], org_number=seller["org_number"], address_line=seller["address_line"],
                         postcode=seller["postcode"], city=seller["city"], vat_registered=seller["vat_registered"],
                         email=seller["email"], phone=seller["phone"]),
        buyer=ehf.Party(name=document.buyer_name, org_number=document.buyer_org_number, address_line=address,
                        postcode=postcode, city=city, email=document.buyer_email),
        buyer_reference=document.buyer_reference, order_reference=order.number or str(order.id),
        lines=tuple(ehf.Line(id=str(i), description=line.title, sku=line.sku, quantity=line.quantity,
                             unit_price_ore=line.unit_price_ore, vat_rate_bp=line.vat_rate_bp)
                    for i, line in enumerate(document.lines, start=1)),
        shipping_ore=document.shipping_ore, shipping_vat_rate_bp=SHIPPING_VAT_BP, kid=document.kid,
        bank_account=seller["bank_account"] if document.kind == "invoice" else "",
        billing_reference=str(corrected.number) if corrected else "",
        billing_reference_date=corrected.issue_date if corrected else None,
        note=document.reason, delivery_date=document.delivery_date,
        delivery_address_line=order.address_line if order.delivery_method == "shipping" else "",
        delivery_postcode=order.postcode if order.delivery_method == "shipping" else "",
        delivery_city=order.city if order.delivery_method == "shipping" else "",
    )


def delivery_date(order: Order) -> date | None:
    """The day (in Norway) the last part of the order left its workshop, sent or ready for pickup; None before."""
    handed = [part.handed_over_at for part in order.fulfilments if part.status != "cancelled"]
    if not handed or any(moment is None for moment in handed):
        return None
    return max(aware(moment) for moment in handed).astimezone(OSLO).date()


def xml(document: Invoice) -> bytes:
    """The document's EHF XML (not checked: see checked_xml).

    Raises:
        ehf.InvalidDocument: the stored document cannot become EHF at all (a wrong identifier, say).
    """
    return ehf.build(to_ehf(document))


# What the builder refuses before any rule is run, in the shape of a rule failure.
UNBUILDABLE = "EHF-INNHOLD"


def _checked(document: Invoice) -> tuple[bytes | None, list[peppol.Failure]]:
    try:
        content = xml(document)
    except ehf.InvalidDocument as error:
        return None, [peppol.Failure(rule_id=UNBUILDABLE, flag="fatal", text=str(error), location="")]
    return content, peppol.fatal(peppol.validate(content))


def fatal(document: Invoice) -> list[peppol.Failure]:
    """The official rules the document's EHF breaks fatally ([] when it may be sent)."""
    return _checked(document)[1]


def failure_record(failure: peppol.Failure) -> dict:
    """A failure as stored on the document and shown to the coordinator: the rule, and what it means in bokmål."""
    message = failure.message_nb if failure.rule_id != UNBUILDABLE else \
        f"Dokumentet kan ikke bli en EHF-fil: {failure.text}"
    return {"rule_id": failure.rule_id, "text": failure.text, "message_nb": message, "location": failure.location}


def checked_xml(document: Invoice) -> bytes:
    """The document's EHF XML, checked against the official rules.

    Raises:
        InvalidDocument: a fatal rule fails (or the document cannot be built); it must not be offered.
    """
    content, failures = _checked(document)
    if failures:
        raise InvalidDocument(failures)
    return content


def ledger(session: Session, *, status: str | None, today: date, page: int, per_page: int) -> Page:
    """One page of the invoices and credit notes, newest first; status 'overdue' for unpaid past due.

    Raises:
        PageOutOfRange: the page is past the last one.
    """
    query = select(Invoice).options(selectinload(Invoice.order)).order_by(Invoice.number.desc())
    if status == "overdue":
        query = query.where(Invoice.kind == "invoice", Invoice.status != "paid", Invoice.due_date < today)
    elif status in ("issued", "sent", "paid"):
        query = query.where(Invoice.status == status)
    return paginate(session, query, page=page, per_page=per_page)


def to_invoice(session: Session, *, limit: int = 100) -> tuple[list[Order], int]:
    """Invoice orders confirmed and not yet invoiced, oldest first (at most limit), and how many there are."""
    invoiced = select(Invoice.order_id).where(Invoice.kind == "invoice")
    waiting = select(Order).where(Order.payment_method == "invoice", Order.status.in_(("awaiting_invoice", "completed")),
                                  Order.id.not_in(invoiced))
    count = session.scalar(select(func.count()).select_from(waiting.subquery())) or 0
    return list(session.scalars(waiting.order_by(Order.created_at).limit(limit))), count


def overdue_count(session: Session, today: date) -> int:
    """How many invoices are past their due date and not paid (the coordinator's start page)."""
    return session.scalar(select(func.count()).select_from(Invoice).where(
        Invoice.kind == "invoice", Invoice.status != "paid", Invoice.due_date < today)) or 0
