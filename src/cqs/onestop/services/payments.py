"""Online payment of a dossier's fees through the PayGov-style gateway (``onestop.paygov``).

``payment_start`` records a pending payment with an order id of the national shape
``<unit code>-<dossier code>-NN`` and gives the gateway's URL. The gateway sends the citizen back
with a signed result; ``payment_callback`` verifies the checksum, then applies the result once:
a replayed or duplicated callback changes nothing (the payment row is locked and its state
decides). ``payments_reconcile`` asks the gateway about pending payments (the citizen who never
came back) and reports differences for a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cqs.core.exceptions import Conflict, Forbidden, NotFound, ServiceError
from cqs.onestop.choices import DossierStatus, PaymentStatus
from cqs.onestop.models import Dossier, Payment
from cqs.onestop.models.dossiers import OPEN_STATUSES
from cqs.onestop.services.dossiers import _event, _locked

# Fees can be paid while the dossier is open.
PAYABLE_STATUSES = OPEN_STATUSES
# A pending payment older than this is asked about at the gateway before a new one starts.
PENDING_MINUTES = 15


@transaction.atomic
def payment_start(*, dossier: Dossier, actor, return_url: str) -> tuple[Payment, str]:
    from cqs.onestop.paygov import paygov_checkout_url

    dossier = _locked(dossier)
    if dossier.applicant_id is None or dossier.applicant_id != getattr(actor, "pk", None):
        raise Forbidden("action_not_allowed", _("Chỉ chủ hồ sơ mới thanh toán được."))
    if dossier.status not in PAYABLE_STATUSES:
        raise Conflict("payment_not_allowed", _("Hồ sơ ở trạng thái này không cần thanh toán."))
    if dossier.paid_online or dossier.payments.filter(status=PaymentStatus.SUCCEEDED).exists():
        raise Conflict("already_paid", _("Hồ sơ đã được thanh toán."))
    if dossier.fee_total <= 0:
        raise Conflict("nothing_to_pay", _("Thủ tục này không thu phí, lệ phí."))
    number = dossier.payments.count() + 1
    order_id = f"{dossier.unit.identifier}-{dossier.code}-{number:02d}"
    payment = Payment.objects.create(dossier=dossier, order_id=order_id, amount=dossier.fee_total)
    url = paygov_checkout_url(
        order_id=order_id,
        amount=payment.amount,
        order_info=f"Thanh toan phi, le phi ho so {dossier.code}",
        return_url=return_url,
    )
    return payment, url


@transaction.atomic
def payment_callback(*, params) -> Payment:
    """Apply the gateway's signed result. Raises ``payment_bad_checksum`` for a forged one;
    returns the payment unchanged for a replay."""
    from cqs.onestop.paygov import paygov_callback_verify

    result = paygov_callback_verify(params)
    payment = Payment.objects.select_for_update().filter(order_id=result.order_id).first()
    if payment is None:
        raise NotFound("payment_not_found", _("Không tìm thấy giao dịch thanh toán."))
    if result.amount != payment.amount:
        raise ServiceError("payment_amount_mismatch", _("Số tiền thanh toán không khớp với hồ sơ."))
    payment.callbacks += 1
    if payment.status != PaymentStatus.PENDING:
        # Replayed or duplicated: the first result stands.
        payment.save(update_fields=["callbacks", "updated_at"])
        return payment
    _apply(
        payment,
        succeeded=result.succeeded,
        transaction_no=result.transaction_no,
        paid_at=result.paid_at,
        error_code=result.error_code,
    )
    return payment


def _apply(payment: Payment, *, succeeded: bool, transaction_no: str, paid_at, error_code: str) -> None:
    payment.status = PaymentStatus.SUCCEEDED if succeeded else PaymentStatus.FAILED
    payment.transaction_no = transaction_no or ""
    payment.paid_at = paid_at if succeeded else None
    payment.error_code = error_code or ""
    payment.save()
    if not succeeded:
        return
    dossier = _locked(payment.dossier)
    dossier.paid_online = True
    from_status = dossier.status
    if dossier.status == DossierStatus.FEES_DUE:
        # Paying the financial obligation resumes processing.
        dossier.status = DossierStatus.PROCESSING
    dossier.save()
    _event(
        dossier,
        action="paid",
        from_status=from_status,
        actor=None,
        note=_("Đã thanh toán trực tuyến %(amount)s đồng.")
        % {"amount": f"{payment.amount:,}".replace(",", ".")},
        data={"order_id": payment.order_id, "transaction_no": payment.transaction_no},
    )


@dataclass
class ReconcileRow:
    order_id: str
    dossier_code: str
    amount: int
    ours: str
    gateway: str
    transaction_no: str
    changed: bool


def payments_reconcile(*, on: date | None = None) -> list[ReconcileRow]:
    """Đối soát: compare our payments of day ``on`` with the gateway's list, settle the pending
    ones the gateway knows the outcome of (the citizen who closed the page), and report."""
    from cqs.onestop.paygov import paygov_query, paygov_transactions

    on = on or timezone.localdate()
    theirs = {status.order_id: status for status in paygov_transactions(on=on)}
    rows = []
    payments = Payment.objects.select_related("dossier").filter(created_at__date=on).order_by("created_at")
    for payment in payments:
        status = theirs.get(payment.order_id)
        if status is None and payment.status == PaymentStatus.PENDING:
            status = paygov_query(order_id=payment.order_id)
        gateway = status.status if status else "unknown"
        changed = False
        if payment.status == PaymentStatus.PENDING and gateway in ("success", "failed"):
            with transaction.atomic():
                locked = Payment.objects.select_for_update().get(pk=payment.pk)
                if locked.status == PaymentStatus.PENDING:
                    _apply(
                        locked,
                        succeeded=gateway == "success",
                        transaction_no=status.transaction_no,
                        paid_at=status.paid_at,
                        error_code=status.error_code,
                    )
                    payment = locked
                    changed = True
        elif (
            payment.status == PaymentStatus.PENDING
            and gateway in ("pending", "unknown")
            and (timezone.now() - payment.created_at).total_seconds() > PENDING_MINUTES * 60
        ):
            Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING).update(
                status=PaymentStatus.EXPIRED, updated_at=timezone.now()
            )
            payment.status = PaymentStatus.EXPIRED
            changed = True
        rows.append(
            ReconcileRow(
                order_id=payment.order_id,
                dossier_code=payment.dossier.code,
                amount=payment.amount,
                ours=payment.status,
                gateway=gateway,
                transaction_no=payment.transaction_no,
                changed=changed,
            )
        )
    return rows
