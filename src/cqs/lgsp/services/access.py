"""Consumers: connection requests (two working days to answer), access grants and credentials.

Decree 47/2020 Art. 35(3) as amended by Decree 194/2025: the provider creates the connection
account within 2 working days of a request, or refuses in writing with its reasons; Decree
194/2025 Art. 16: sharing is the default, and a refusal cites its legal basis.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cqs.audit.services import audit_record
from cqs.core.calendar import add_working_days
from cqs.core.exceptions import Conflict, ServiceError
from cqs.core.idempotency import client_token_clean
from cqs.lgsp import publish
from cqs.lgsp.choices import CredentialKind, RequestStatus, ServiceStatus
from cqs.lgsp.models import (
    AccessGrant,
    ClientGroup,
    ConnectionRequest,
    Credential,
    Endpoint,
    Service,
    Subsystem,
)

# Working days a provider has to answer a connection request.
ANSWER_WORKING_DAYS = 2
API_KEY_PREFIX = "lgsp_"


def secret_sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def request_due_on(submitted_on):
    """The last day to answer: the second working day after the day of submission."""
    return add_working_days(submitted_on, ANSWER_WORKING_DAYS)


# --------------------------------------------------------------------------------------------
# Connection requests
# --------------------------------------------------------------------------------------------


@transaction.atomic
def request_submit(
    *,
    client: Subsystem,
    service: Service,
    purpose: str,
    legal_basis: str = "",
    endpoints: list[Endpoint] | None = None,
    rate_per_minute: int | None = None,
    actor=None,
) -> ConnectionRequest:
    if service.status != ServiceStatus.PUBLISHED:
        raise ServiceError(
            "service_not_published", _("Dịch vụ chưa được cung cấp, chưa thể đề nghị kết nối.")
        )
    if not client.active:
        raise ServiceError("client_inactive", _("Hệ thống đề nghị đang ngừng hoạt động."), field="client")
    if client.pk == service.subsystem_id:
        raise ServiceError("own_service", _("Hệ thống không cần đề nghị kết nối tới dịch vụ của chính mình."))
    if not purpose.strip():
        raise ServiceError("purpose_required", _("Phải nêu mục đích khai thác dữ liệu."), field="purpose")
    endpoints = list(endpoints or [])
    if any(endpoint.service_id != service.pk for endpoint in endpoints):
        raise ServiceError("endpoint_mismatch", _("Điểm cuối không thuộc dịch vụ này."), field="endpoints")
    if rate_per_minute is not None and rate_per_minute < 1:
        raise ServiceError("invalid_rate", _("Lưu lượng đề nghị phải lớn hơn 0."), field="rate_per_minute")
    # One open request per client and service: a second click or a replayed form changes nothing.
    existing = (
        ConnectionRequest.objects.select_for_update()
        .filter(client=client, service=service, status=RequestStatus.PENDING)
        .first()
    )
    if existing is not None:
        raise Conflict(
            "request_pending",
            _("Hệ thống này đã có đề nghị kết nối tới dịch vụ đang chờ xử lý (hạn trả lời %(due)s).")
            % {"due": existing.due_on.strftime("%d/%m/%Y")},
        )
    request = ConnectionRequest.objects.create(
        client=client,
        service=service,
        purpose=purpose.strip(),
        legal_basis=legal_basis.strip(),
        rate_per_minute=rate_per_minute,
        submitted_by=actor,
        due_on=request_due_on(timezone.localdate()),
    )
    request.endpoints.set(endpoints)
    audit_record(
        action="lgsp.request.submit",
        obj=request,
        after={
            "client": client.xroad_id,
            "service": service.xroad_id,
            "endpoints": [str(e) for e in endpoints],
            "due_on": request.due_on,
        },
        actor=actor,
    )
    return request


def _lock_pending(request: ConnectionRequest) -> ConnectionRequest:
    request = (
        ConnectionRequest.objects.select_for_update()
        .select_related("client__member", "service__subsystem__member")
        .get(pk=request.pk)
    )
    if request.status != RequestStatus.PENDING:
        raise Conflict(
            "request_not_pending",
            _("Đề nghị này đã được xử lý (%(status)s).") % {"status": request.get_status_display()},
        )
    return request


@transaction.atomic
def request_approve(
    *,
    request: ConnectionRequest,
    legal_basis: str,
    rate_per_minute: int | None = None,
    daily_quota: int | None = None,
    note: str = "",
    actor=None,
) -> tuple[ConnectionRequest, list[AccessGrant]]:
    """Approve: one grant for the whole service, or one per requested endpoint."""
    request = _lock_pending(request)
    if not legal_basis.strip():
        raise ServiceError(
            "legal_basis_required", _("Phải ghi căn cứ chấp thuận."), field="decision_legal_basis"
        )
    endpoints = list(request.endpoints.all()) or [None]
    grants = [
        _grant_create(
            service=request.service,
            client=request.client,
            endpoint=endpoint,
            rate_per_minute=rate_per_minute or request.rate_per_minute,
            daily_quota=daily_quota,
            legal_basis=legal_basis.strip(),
            request=request,
            actor=actor,
        )
        for endpoint in endpoints
    ]
    request.status = RequestStatus.APPROVED
    request.decided_at = timezone.now()
    request.decided_by = actor
    request.decision_legal_basis = legal_basis.strip()
    request.decision_note = note.strip()
    request.save(
        update_fields=["status", "decided_at", "decided_by", "decision_legal_basis", "decision_note"]
    )
    audit_record(
        action="lgsp.request.approve",
        obj=request,
        after={"legal_basis": request.decision_legal_basis, "grants": [g.pk for g in grants]},
        actor=actor,
    )
    publish.request(reason=f"request {request.pk} approved")
    return request, grants


@transaction.atomic
def request_refuse(
    *, request: ConnectionRequest, legal_basis: str, reason: str, actor=None
) -> ConnectionRequest:
    """Refuse in writing, with the reasons and the legal basis (Decree 194/2025 Art. 16)."""
    request = _lock_pending(request)
    if not legal_basis.strip():
        raise ServiceError(
            "legal_basis_required",
            _("Từ chối chia sẻ dữ liệu phải nêu căn cứ pháp lý (Nghị định 194/2025/NĐ-CP)."),
            field="decision_legal_basis",
        )
    if not reason.strip():
        raise ServiceError("reason_required", _("Phải nêu lý do từ chối."), field="decision_note")
    request.status = RequestStatus.REFUSED
    request.decided_at = timezone.now()
    request.decided_by = actor
    request.decision_legal_basis = legal_basis.strip()
    request.decision_note = reason.strip()
    request.save(
        update_fields=["status", "decided_at", "decided_by", "decision_legal_basis", "decision_note"]
    )
    audit_record(
        action="lgsp.request.refuse",
        obj=request,
        after={"legal_basis": request.decision_legal_basis, "reason": request.decision_note},
        actor=actor,
    )
    return request


@transaction.atomic
def request_withdraw(*, request: ConnectionRequest, actor=None) -> ConnectionRequest:
    request = _lock_pending(request)
    request.status = RequestStatus.WITHDRAWN
    request.decided_at = timezone.now()
    request.decided_by = actor
    request.save(update_fields=["status", "decided_at", "decided_by"])
    audit_record(action="lgsp.request.withdraw", obj=request, after={"status": request.status}, actor=actor)
    return request


# --------------------------------------------------------------------------------------------
# Grants
# --------------------------------------------------------------------------------------------


def _grant_create(
    *,
    service: Service,
    client: Subsystem | None = None,
    group: ClientGroup | None = None,
    endpoint: Endpoint | None = None,
    rate_per_minute: int | None = None,
    daily_quota: int | None = None,
    legal_basis: str = "",
    request: ConnectionRequest | None = None,
    actor=None,
) -> AccessGrant:
    if (client is None) == (group is None):
        raise ServiceError("grant_subject", _("Quyền được cấp cho đúng một hệ thống hoặc một nhóm."))
    if endpoint is not None and endpoint.service_id != service.pk:
        raise ServiceError("endpoint_mismatch", _("Điểm cuối không thuộc dịch vụ này."), field="endpoint")
    for name, value in (("rate_per_minute", rate_per_minute), ("daily_quota", daily_quota)):
        if value is not None and value < 1:
            raise ServiceError("invalid_limit", _("Giới hạn phải lớn hơn 0."), field=name)
    grant = AccessGrant.objects.create(
        service=service,
        client=client,
        group=group,
        endpoint=endpoint,
        rate_per_minute=rate_per_minute,
        daily_quota=daily_quota,
        legal_basis=legal_basis,
        request=request,
        granted_by=actor,
    )
    audit_record(
        action="lgsp.grant.create",
        obj=grant,
        after={
            "service": service.xroad_id,
            "client": client.xroad_id if client else None,
            "group": group.code if group else None,
            "endpoint": str(endpoint) if endpoint else None,
            "rate_per_minute": rate_per_minute,
            "daily_quota": daily_quota,
        },
        actor=actor,
    )
    return grant


@transaction.atomic
def grant_create(**kwargs) -> AccessGrant:
    """A grant made directly by the provider or the operator (not answering a request)."""
    grant = _grant_create(**kwargs)
    publish.request(reason=f"grant {grant.pk} created")
    return grant


@transaction.atomic
def grant_revoke(*, grant: AccessGrant, reason: str, actor=None) -> AccessGrant:
    grant = AccessGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.revoked_at is not None:
        raise Conflict("already_revoked", _("Quyền này đã bị thu hồi."))
    if not reason.strip():
        raise ServiceError("reason_required", _("Phải nêu lý do thu hồi."), field="revoke_reason")
    grant.revoked_at = timezone.now()
    grant.revoked_by = actor
    grant.revoke_reason = reason.strip()
    grant.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    audit_record(action="lgsp.grant.revoke", obj=grant, after={"reason": grant.revoke_reason}, actor=actor)
    publish.request(reason=f"grant {grant.pk} revoked")
    return grant


# --------------------------------------------------------------------------------------------
# Credentials
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedCredential:
    credential: Credential
    secret: str  # shown once, never stored


def _refuse_repeat(*, actor, client_token: str) -> str:
    """The cleaned token; Conflict when this user already issued a credential with it."""
    client_token = client_token_clean(client_token)
    repeated = (
        client_token
        and actor is not None
        and Credential.objects.filter(created_by=actor, client_token=client_token).exists()
    )
    if repeated:
        raise Conflict(
            "already_issued",
            _(
                "Tài khoản kết nối của lần gửi này đã được cấp. Khóa bí mật chỉ hiển thị một lần: "
                "nếu chưa lưu lại, hãy thu hồi tài khoản đó và cấp tài khoản mới."
            ),
        )
    return client_token


def _create_credential(**fields) -> Credential:
    try:
        with transaction.atomic():
            return Credential.objects.create(**fields)
    except IntegrityError as exc:  # the same token submitted twice at the same moment
        raise Conflict("already_issued", _("Tài khoản kết nối của lần gửi này đã được cấp.")) from exc


@transaction.atomic
def api_key_issue(
    *, subsystem: Subsystem, label: str = "", expires_at=None, client_token: str = "", actor=None
) -> IssuedCredential:
    """A new API key for ``subsystem``: the key is returned once; only its SHA-256 is kept.

    ``client_token`` (the form's one-time token, an API Idempotency-Key) makes a repeated
    submission a ``Conflict`` instead of a second key.
    """
    if not subsystem.active:
        raise ServiceError("client_inactive", _("Hệ thống đang ngừng hoạt động."))
    client_token = _refuse_repeat(actor=actor, client_token=client_token)
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    credential = _create_credential(
        client_token=client_token,
        subsystem=subsystem,
        kind=CredentialKind.API_KEY,
        label=label,
        prefix=key[: len(API_KEY_PREFIX) + 6],
        secret_sha256=secret_sha256(key),
        expires_at=expires_at,
        created_by=actor,
    )
    audit_record(
        action="lgsp.credential.issue",
        obj=credential,
        after={"subsystem": subsystem.xroad_id, "kind": credential.kind, "prefix": credential.prefix},
        actor=actor,
    )
    publish.request(reason=f"credential {credential.pk} issued")
    return IssuedCredential(credential, key)


@transaction.atomic
def oauth_client_issue(
    *, subsystem: Subsystem, label: str = "", expires_at=None, client_token: str = "", actor=None
) -> IssuedCredential:
    """A new OAuth2 client (client credentials grant): the secret is returned once."""
    if not subsystem.active:
        raise ServiceError("client_inactive", _("Hệ thống đang ngừng hoạt động."))
    client_token = _refuse_repeat(actor=actor, client_token=client_token)
    client_id = "lgsp-" + secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    credential = _create_credential(
        client_token=client_token,
        subsystem=subsystem,
        kind=CredentialKind.OAUTH_CLIENT,
        label=label,
        prefix=client_id[:16],
        client_id=client_id,
        secret_sha256=secret_sha256(secret),
        expires_at=expires_at,
        created_by=actor,
    )
    audit_record(
        action="lgsp.credential.issue",
        obj=credential,
        after={"subsystem": subsystem.xroad_id, "kind": credential.kind, "client_id": client_id},
        actor=actor,
    )
    publish.request(reason=f"credential {credential.pk} issued")
    return IssuedCredential(credential, secret)


@transaction.atomic
def credential_revoke(*, credential: Credential, actor=None) -> Credential:
    """Revoke: the next generation drops it, and the gateways refuse it within seconds."""
    credential = (
        Credential.objects.select_for_update().select_related("subsystem__member").get(pk=credential.pk)
    )
    if credential.revoked_at is not None:
        raise Conflict("already_revoked", _("Tài khoản kết nối này đã bị thu hồi."))
    credential.revoked_at = timezone.now()
    credential.revoked_by = actor
    credential.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        action="lgsp.credential.revoke",
        obj=credential,
        after={"subsystem": credential.subsystem.xroad_id, "prefix": credential.prefix},
        actor=actor,
    )
    publish.request(reason=f"credential {credential.pk} revoked")
    return credential
