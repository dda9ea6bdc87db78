"""Background tasks of the LGSP (django-tasks; ``cqs serve`` runs a worker).

``lgsp_minute`` runs every minute and books its own next run (as the documents axis poll does),
so nothing needs cron:

* it publishes the registry again (``publish.publish_now``): a generation is made only when the
  compiled snapshot changed, which is how credentials that expired since the last one leave the
  gateways, and how a publication that failed after a commit is caught up;
* it reads the gateways' access logs into the usage counts and the call evidence
  (``usage.ingest_logs``), so that statistics are at most a minute behind;
* it escalates connection requests left unanswered past their deadline (two working days,
  Decree 47/2020 Art. 35(3) as amended by Decree 194/2025): each once, audited, with an e-mail
  to the provider's contact and to the gateway operators, sent through the outbox after commit.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from cqs.audit.services import audit_record
from cqs.core.models import OutboxMessage
from cqs.core.outbox import DeliveryError, email_message_id, outbox_enqueue, register_handler

logger = logging.getLogger(__name__)

MINUTE_SECONDS = 60
ESCALATION_TOPIC = "lgsp.request.overdue"
# Requests escalated per transaction: short locks, and a backlog is worked off over a few rounds.
ESCALATION_BATCH = 200


# --- escalation --------------------------------------------------------------------------------


def requests_escalate(*, today: date | None = None, batch: int = ESCALATION_BATCH) -> list[int]:
    """Flag the pending requests whose answer day has passed, once each; return their ids.

    Each flagged request is audited (``lgsp.request.escalate``) and queues one e-mail
    (``ESCALATION_TOPIC``) in the same transaction: a rollback sends nothing, a retry sends
    nothing twice (the outbox key is the request).
    """
    from cqs.lgsp.models import ConnectionRequest
    from cqs.lgsp.selectors import requests_overdue

    today = today or timezone.localdate()
    escalated: list[int] = []
    while True:
        with transaction.atomic():
            ids = list(
                requests_overdue(today=today, unescalated_only=True).values_list("pk", flat=True)[:batch]
            )
            rows = list(
                ConnectionRequest.objects.select_for_update()
                .filter(pk__in=ids, escalated_at__isnull=True)
                .select_related("client__member", "service__subsystem__member")
                .order_by("pk")
            )
            now = timezone.now()
            for request in rows:
                request.escalated_at = now
                request.save(update_fields=["escalated_at"])
                audit_record(
                    action="lgsp.request.escalate",
                    obj=request,
                    after={
                        "client": request.client.xroad_id,
                        "service": request.service.xroad_id,
                        "due_on": request.due_on,
                        "days_late": (today - request.due_on).days,
                    },
                )
                outbox_enqueue(
                    topic=ESCALATION_TOPIC,
                    payload={"request_id": request.pk},
                    dedup_key=f"{ESCALATION_TOPIC}:{request.pk}",
                )
                escalated.append(request.pk)
        if len(ids) < batch:
            return escalated


def operator_emails() -> list[str]:
    """Addresses of the active users holding ``lgsp.operate_gateway`` through a role (or superusers
    when nobody does, so that an escalation always reaches someone)."""
    from cqs.accounts.models import User

    holders = (
        User.objects.filter(is_active=True)
        .filter(
            grants__role__permissions__content_type__app_label="lgsp",
            grants__role__permissions__codename="operate_gateway",
        )
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    emails = sorted(set(holders))
    if not emails:
        superusers = User.objects.filter(Q(is_superuser=True), is_active=True).exclude(email="")
        emails = sorted(set(superusers.values_list("email", flat=True)))
    return emails


def _message_id(message: OutboxMessage) -> str:
    return email_message_id(message, source="lgsp")


def escalation_subject(request) -> str:
    return _("Đề nghị kết nối số %(id)s quá hạn trả lời") % {"id": request.pk}


def escalation_body(request) -> str:
    service = request.service
    provider = service.subsystem.member
    lines = [
        _("Kính gửi %(provider)s và đơn vị vận hành nền tảng LGSP,") % {"provider": provider.name},
        "",
        _(
            "Đề nghị kết nối số %(id)s của hệ thống “%(client)s” (%(client_id)s) tới dịch vụ “%(service)s” "
            "(%(service_id)s) gửi ngày %(submitted)s chưa được trả lời; hạn trả lời là %(due)s."
        )
        % {
            "id": request.pk,
            "client": request.client.name,
            "client_id": request.client.xroad_id,
            "service": service.name,
            "service_id": service.xroad_id,
            "submitted": timezone.localtime(request.submitted_at).strftime("%d/%m/%Y"),
            "due": request.due_on.strftime("%d/%m/%Y"),
        },
        _(
            "Bên cung cấp phải cấp tài khoản kết nối trong 2 ngày làm việc hoặc từ chối bằng văn bản, "
            "nêu rõ lý do (Nghị định 47/2020/NĐ-CP, Điều 35 khoản 3, sửa đổi bởi Nghị định 194/2025/NĐ-CP)."
        ),
        "",
        _("Xử lý tại: %(url)s") % {"url": settings.CQS_SITE_URL.rstrip("/") + "/lgsp/"},
        "",
        _("Thư này được gửi tự động từ nền tảng tích hợp, chia sẻ dữ liệu; vui lòng không trả lời thư này."),
    ]
    return "\n".join(lines)


@register_handler(ESCALATION_TOPIC)
def escalation_email_handler(message: OutboxMessage) -> None:
    """E-mail the provider member's contact (To) and the gateway operators (Bcc)."""
    from cqs.lgsp.choices import RequestStatus
    from cqs.lgsp.models import ConnectionRequest

    request = (
        ConnectionRequest.objects.select_related("client__member", "service__subsystem__member")
        .filter(pk=message.payload.get("request_id"))
        .first()
    )
    if request is None or request.status != RequestStatus.PENDING:
        return  # answered or withdrawn since: nothing left to chase
    provider_email = request.service.subsystem.member.contact_email
    to = [provider_email] if provider_email else []
    bcc = [email for email in operator_emails() if email not in to]
    if not to and not bcc:
        logger.warning("LGSP: overdue request %s has nobody to notify", request.pk)
        return
    email = EmailMessage(
        subject=escalation_subject(request),
        body=escalation_body(request),
        to=to,
        bcc=bcc,
        headers={"Message-ID": _message_id(message)},
    )
    try:
        email.send()
    except (smtplib.SMTPException, OSError) as exc:
        # SMTP errors quote the refused address: keep only the class name.
        raise DeliveryError(f"e-mail not sent ({type(exc).__name__})") from None


# --- the minute task ---------------------------------------------------------------------------


def schedule_lgsp_minute(*, at: datetime | None = None) -> bool:
    """Book ``lgsp_minute`` at ``at`` unless a run already waits to start by then; True if booked.

    Without ``at`` (at startup) the run is booked now, unless one is already booked within the
    next minute, so restarting the server does not start a second chain. Errors are logged, never
    raised: ``cqs lgsp_publish`` run by hand publishes anyway.
    """
    from cqs.core.outbox import task_waiting_by

    horizon = at or timezone.now() + timedelta(seconds=MINUTE_SECONDS)
    try:
        if task_waiting_by(lgsp_minute, horizon):
            return False
        booked = lgsp_minute.using(run_after=at) if at is not None else lgsp_minute
        booked.enqueue()
    except Exception:
        logger.exception("could not enqueue the LGSP minute task")
        return False
    return True


@task()
def lgsp_minute() -> dict:
    """Publish if anything changed, read the access logs, purge evidence past its retention,
    escalate overdue requests, then book the next run. Each step's failure is logged and leaves
    the others to run."""
    from cqs.lgsp import publish

    started = timezone.now()
    result: dict = {}
    try:
        try:
            generation = publish.publish_now(reason="periodic")
            result["generation"] = None if generation is None else generation.number
            result["generation_status"] = None if generation is None else generation.status
        except Exception as exc:
            logger.exception("LGSP: periodic publication failed")
            result["publish_error"] = type(exc).__name__
        try:
            from cqs.lgsp.usage import ingest_logs

            ingested = ingest_logs()
            result["ingested"] = ingested.calls
        except Exception as exc:
            logger.exception("LGSP: reading the gateways' access logs failed")
            result["ingest_error"] = type(exc).__name__
        try:
            from cqs.lgsp.usage import evidence_purge

            # Cheap when nothing is due (an indexed range delete); audited only when it deletes.
            result["purged"] = evidence_purge()
        except Exception as exc:
            logger.exception("LGSP: purging old call evidence failed")
            result["purge_error"] = type(exc).__name__
        try:
            result["escalated"] = requests_escalate()
        except Exception as exc:
            logger.exception("LGSP: escalation of overdue requests failed")
            result["escalate_error"] = type(exc).__name__
    finally:
        schedule_lgsp_minute(at=started + timedelta(seconds=MINUTE_SECONDS))
    return result
