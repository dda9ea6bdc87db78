"""Writes of dossiers: drafts, uploads, submission, counter intake and every workflow action.

Each function checks everything before it writes, runs in one transaction, appends a
``DossierEvent`` (the history) and queues its side effects (notifications, national-portal sync)
in the outbox of the same transaction, so a failure leaves nothing half-written and nothing sent.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cqs.accounts.permissions import has_unit_permission
from cqs.accounts.validators import normalize_phone, validate_cccd, validate_phone
from cqs.audit.services import audit_record
from cqs.core.counters import dossier_code_next
from cqs.core.exceptions import Conflict, Forbidden, NotFound, ServiceError
from cqs.core.idempotency import client_token_clean, create_once
from cqs.core.outbox import outbox_enqueue_many
from cqs.onestop import workflow
from cqs.onestop.choices import (
    ApplicantKind,
    Channel,
    DossierStatus,
    FileRole,
    OnlineLevel,
    ReturnMethod,
    Stage,
)
from cqs.onestop.deadlines import due_at_for
from cqs.onestop.dynforms import form_data_clean
from cqs.onestop.models import (
    Dossier,
    DossierEvent,
    DossierFile,
    Procedure,
    ProcedureDocument,
    ProcedureFee,
    ProcedureVersion,
    Rating,
)

MAX_FILES_PER_DOSSIER = 40
S = DossierStatus


# --- helpers -----------------------------------------------------------------------------------


def _now() -> datetime:
    return timezone.now()


def _official_unit(user):
    if user is None or not user.is_authenticated:
        return None
    if user._state.fields_cache.get("citizen_profile") is not None:
        return None  # a citizen, already known as one: no need to ask for an official profile
    profile = getattr(user, "official_profile", None)
    return profile.unit if profile is not None else None


def _procedure_and_version(procedure_code: str, on):
    """The procedure and its version in force on ``on``, in one query (filing is a hot path)."""
    code = str(procedure_code)[:8]
    version = (
        ProcedureVersion.objects.as_of(on).select_related("procedure").filter(procedure__code=code).first()
    )
    if version is not None:
        return version.procedure, version
    procedure = Procedure.objects.filter(code=code).first()
    if procedure is None:
        raise NotFound(
            "unknown_procedure",
            _("Không có thủ tục hành chính mã “%(code)s”.") % {"code": str(procedure_code)[:20]},
            field="procedure",
        )
    raise ServiceError(
        "procedure_not_in_force",
        _("Thủ tục “%(name)s” không còn hiệu lực.") % {"name": procedure.name},
        field="procedure",
    )


def _check_unit(procedure: Procedure, unit, on) -> None:
    if unit is None or not procedure.units.filter(pk=unit.pk).exists() or not unit.is_valid_on(on):
        raise ServiceError(
            "unit_not_implementing",
            _("Cơ quan đã chọn không giải quyết thủ tục này."),
            field="unit",
        )


def _clean_applicant(data: dict) -> dict:
    """Validate the applicant's details (chủ hồ sơ) given at the counter or by an organisation."""
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 200:
        raise ServiceError(
            "invalid_applicant_name", _("Họ và tên chủ hồ sơ là bắt buộc."), field="applicant_name"
        )
    cccd = str(data.get("cccd") or "").strip()
    if cccd:
        try:
            validate_cccd(cccd)
        except Exception as error:
            raise ServiceError(
                "invalid_cccd", _("Số căn cước phải gồm đúng 12 chữ số."), field="applicant_cccd"
            ) from error
    phone = normalize_phone(str(data.get("phone") or ""))
    if phone:
        try:
            validate_phone(phone)
        except Exception as error:
            raise ServiceError(
                "invalid_phone",
                _("Số điện thoại không hợp lệ (ví dụ 0912345678 hoặc +84912345678)."),
                field="applicant_phone",
            ) from error
    email = str(data.get("email") or "").strip()
    if email and ("@" not in email or len(email) > 254):
        raise ServiceError("invalid_email", _("Địa chỉ thư điện tử không hợp lệ."), field="applicant_email")
    address = str(data.get("address") or "").strip()[:300]
    kind = data.get("kind") or ApplicantKind.CITIZEN
    if kind not in ApplicantKind.values:
        raise ServiceError(
            "invalid_applicant_kind", _("Loại đối tượng không hợp lệ."), field="applicant_kind"
        )
    if kind == ApplicantKind.CITIZEN and not cccd:
        raise ServiceError("invalid_cccd", _("Số căn cước của công dân là bắt buộc."), field="applicant_cccd")
    return {
        "applicant_name": name,
        "applicant_cccd": cccd,
        "applicant_phone": phone,
        "applicant_email": email,
        "applicant_address": address,
        "applicant_kind": kind,
    }


def _citizen_applicant(user) -> dict:
    profile = getattr(user, "citizen_profile", None)
    if profile is None:
        raise Forbidden("not_a_citizen", _("Chỉ tài khoản công dân mới nộp hồ sơ trực tuyến."))
    return {
        "applicant_name": user.full_name or user.get_username(),
        "applicant_cccd": profile.cccd,
        "applicant_phone": profile.phone,
        "applicant_email": user.email,
        "applicant_address": profile.address,
        "applicant_kind": ApplicantKind.CITIZEN,
    }


def _clean_return(return_method: str, postal_address: str) -> tuple[str, str]:
    if return_method not in ReturnMethod.values:
        raise ServiceError(
            "invalid_return_method", _("Hình thức nhận kết quả không hợp lệ."), field="return_method"
        )
    postal_address = (postal_address or "").strip()[:300]
    if return_method == ReturnMethod.POSTAL and not postal_address:
        raise ServiceError(
            "postal_address_required",
            _("Vui lòng nhập địa chỉ nhận kết quả qua bưu chính."),
            field="postal_address",
        )
    return return_method, postal_address


def _event(
    dossier: Dossier,
    *,
    action: str,
    from_status: int,
    actor,
    note: str = "",
    to_user=None,
    to_unit=None,
    deadline=None,
    data: dict | None = None,
    public: bool = True,
    at: datetime | None = None,
) -> DossierEvent:
    """Append a history row and queue its side effects (after commit, through the outbox)."""
    event = DossierEvent.objects.create(
        dossier=dossier,
        action=action,
        from_status=from_status,
        to_status=dossier.status,
        stage=dossier.stage,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_unit=_official_unit(actor),
        to_user=to_user,
        to_unit=to_unit,
        at=at or _now(),
        deadline=deadline,
        note=note,
        public=public,
        data=data or {},
    )
    if dossier.status != S.DRAFT:
        messages = [
            ("onestop.dvcqg.dossier", {"dossier_id": dossier.pk}, f"dvcqg-dossier:{dossier.pk}:{event.pk}"),
            ("onestop.dvcqg.progress", {"event_id": event.pk}, f"dvcqg-progress:{event.pk}"),
        ]
        if (public and from_status != dossier.status) or action == "apologise":
            if dossier.applicant_email:
                messages.append(("onestop.notify.email", {"event_id": event.pk}, f"email:{event.pk}"))
            if dossier.applicant_phone:
                messages.append(("onestop.notify.sms", {"event_id": event.pk}, f"sms:{event.pk}"))
        outbox_enqueue_many(messages)
    return event


def _audit(dossier: Dossier, action: str, before: dict | None, actor) -> None:
    # Called last in each transaction: the audit chain's head row is locked until commit.
    audit_record(
        action=f"onestop.dossier.{action}",
        obj=dossier,
        before=before,
        after={"status": dossier.status, "stage": dossier.stage, "unit": dossier.handling_unit_id},
        actor=actor,
    )


def _state(dossier: Dossier) -> dict:
    return {"status": dossier.status, "stage": dossier.stage, "unit": dossier.handling_unit_id}


def _locked(dossier: Dossier) -> Dossier:
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer join to handling_unit.
    return (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("unit", "handling_unit", "version")
        .get(pk=dossier.pk)
    )


def _assign_code(dossier: Dossier, on) -> None:
    if not dossier.unit.identifier:
        raise ServiceError(
            "unit_without_identifier", _("Cơ quan tiếp nhận chưa có mã định danh điện tử."), field="unit"
        )
    dossier.code = dossier_code_next(agency_identifier=dossier.unit.identifier, on=on)


@lru_cache(maxsize=4096)
def _version_terms(version_pk: int, created_at: str) -> tuple[int, tuple[tuple[int, str], ...]]:
    """(total of fees, required papers) of a procedure version. Versions are never edited
    (ADR 0009, ``procedure_version_publish`` appends), so this is cached per process; the
    creation time is in the key so a reused primary key (a test database) is never confused."""
    fees = sum(ProcedureFee.objects.filter(version_id=version_pk).values_list("amount", flat=True))
    required = tuple(
        ProcedureDocument.objects.filter(version_id=version_pk, required=True)
        .order_by("order")
        .values_list("pk", "name")
    )
    return fees, required


def _terms(version) -> tuple[int, tuple[tuple[int, str], ...]]:
    return _version_terms(version.pk, version.created_at.isoformat())


def _missing_documents(dossier: Dossier) -> list[str]:
    _fees, required = _terms(dossier.version)
    if not required:
        return []
    provided = set(dossier.files.filter(role=FileRole.SUBMITTED).values_list("document_id", flat=True))
    return [name for pk, name in required if pk not in provided]


def _fee_total(version) -> int:
    return _terms(version)[0]


# --- online filing -----------------------------------------------------------------------------


@transaction.atomic
def dossier_draft_save(
    *,
    actor,
    procedure_code: str = "",
    unit=None,
    form_data: dict | None = None,
    return_method: str = ReturnMethod.ONLINE,
    postal_address: str = "",
    dossier: Dossier | None = None,
    client_token: str = "",
) -> Dossier:
    """Create or update a citizen's draft, in its own transaction (see ``_draft_save``)."""
    return _draft_save(
        actor=actor,
        procedure_code=procedure_code,
        unit=unit,
        form_data=form_data,
        return_method=return_method,
        postal_address=postal_address,
        dossier=dossier,
        client_token=client_token,
    )


def _draft_save(
    *,
    actor,
    procedure_code: str = "",
    unit=None,
    form_data: dict | None = None,
    return_method: str = ReturnMethod.ONLINE,
    postal_address: str = "",
    dossier: Dossier | None = None,
    client_token: str = "",
) -> Dossier:
    """Create or update a citizen's draft. The declaration is checked field by field but may be
    incomplete; the procedure version in force today is the one the dossier keeps."""
    today = timezone.localdate()
    applicant = _citizen_applicant(actor)
    return_method, postal_address = _clean_return(return_method, postal_address)
    if dossier is not None:
        dossier = _locked(dossier)
        if dossier.applicant_id != actor.pk:
            raise NotFound("dossier_not_found", _("Không tìm thấy hồ sơ."))
        if dossier.status != S.DRAFT:
            raise Conflict("not_a_draft", _("Hồ sơ đã nộp, không sửa được bản nháp."))
        version = dossier.version
    else:
        procedure, version = _procedure_and_version(procedure_code, today)
        if version.online_level == OnlineLevel.NONE:
            raise ServiceError(
                "procedure_not_online",
                _("Thủ tục này không cung cấp dịch vụ công trực tuyến."),
                field="procedure",
            )
        _check_unit(procedure, unit, today)
        dossier = Dossier(
            procedure=procedure,
            version=version,
            unit=unit,
            channel=Channel.ONLINE,
            applicant=actor,
            created_by=actor,
            client_token=client_token,
        )
    dossier.form_data = form_data_clean(version, form_data, partial=True)
    for key, value in applicant.items():
        setattr(dossier, key, value)
    dossier.return_method, dossier.postal_address = return_method, postal_address
    dossier.save()
    return dossier


def _may_upload(dossier: Dossier, actor, role: str) -> bool:
    if role in (FileRole.SUBMITTED, FileRole.SUPPLEMENT) and dossier.applicant_id == getattr(
        actor, "pk", None
    ):
        return dossier.status == (S.DRAFT if role == FileRole.SUBMITTED else S.SUPPLEMENT)
    if role == FileRole.SUPPLEMENT:
        return dossier.status == S.SUPPLEMENT and has_unit_permission(actor, workflow.RECEIVE, dossier.unit)
    if role == FileRole.DRAFT_RESULT:
        unit = dossier.handling_unit or dossier.unit
        return (
            dossier.status == S.PROCESSING
            and dossier.stage == Stage.HANDLING
            and has_unit_permission(actor, workflow.PROCESS, unit)
        )
    return False


@transaction.atomic
def dossier_file_add(
    *,
    dossier: Dossier,
    actor,
    name: str,
    data: bytes,
    document_id: int | None = None,
    role: str = FileRole.SUBMITTED,
) -> DossierFile:
    """Attach a checked (and, when configured, virus-scanned) file to ``dossier``."""
    dossier = _locked(dossier)
    if not _may_upload(dossier, actor, role):
        raise Forbidden("upload_not_allowed", _("Bạn không thể tải tệp lên hồ sơ này lúc này."))
    return _store_file(dossier, actor, name=name, data=data, document_id=document_id, role=role)


def _store_file(dossier: Dossier, actor, *, name: str, data: bytes, document_id: int | None, role: str):
    """Check ``data`` (type, content, ClamAV when configured) and keep it as a file of ``dossier``."""
    from cqs.core.uploads import upload_check

    document = None
    if document_id is not None:
        document = ProcedureDocument.objects.filter(pk=document_id, version=dossier.version).first()
        if document is None:
            raise ServiceError(
                "unknown_document", _("Thành phần hồ sơ không thuộc thủ tục này."), field="document"
            )
    if dossier.files.count() >= MAX_FILES_PER_DOSSIER:
        raise ServiceError(
            "too_many_files",
            _("Mỗi hồ sơ có tối đa %(n)s tệp.") % {"n": MAX_FILES_PER_DOSSIER},
            field="file",
        )
    checked = upload_check(name=name, data=data)
    stored = DossierFile(
        dossier=dossier,
        role=role,
        document=document,
        name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    stored.file.save(f"{checked.sha256[:16]}.{checked.kind}", ContentFile(data), save=False)
    stored.save()
    return stored


@transaction.atomic
def dossier_file_remove(*, dossier: Dossier, actor, file_id: int) -> None:
    dossier = _locked(dossier)
    if dossier.applicant_id != getattr(actor, "pk", None) or dossier.status != S.DRAFT:
        raise Forbidden("upload_not_allowed", _("Chỉ xóa được tệp của bản nháp do chính bạn lập."))
    deleted, _rows = dossier.files.filter(pk=file_id, role=FileRole.SUBMITTED).delete()
    if not deleted:
        raise NotFound("file_not_found", _("Không tìm thấy tệp."))


@transaction.atomic
def dossier_submit(*, dossier: Dossier, actor) -> Dossier:
    """Submit a draft: full declaration, every required paper, then a code (TT 01/2018 Art. 19)."""
    return _submit(_locked(dossier), actor)


def _submit(dossier: Dossier, actor) -> Dossier:
    workflow.transition_check("submit", user=actor, dossier=dossier)
    if dossier.version.valid_to is not None and dossier.version.valid_to <= timezone.localdate():
        raise ServiceError(
            "procedure_version_expired",
            _("Thủ tục đã có phiên bản mới; vui lòng lập lại hồ sơ theo quy định hiện hành."),
            field="procedure",
        )
    dossier.form_data = form_data_clean(dossier.version, dossier.form_data)
    missing = _missing_documents(dossier)
    if missing:
        raise ServiceError(
            "missing_documents",
            _("Còn thiếu giấy tờ bắt buộc: %(names)s.") % {"names": "; ".join(missing)},
            field="files",
        )
    now = _now()
    dossier.status = S.SUBMITTED
    dossier.submitted_at = now
    dossier.fee_total = _fee_total(dossier.version)
    _event(dossier, action="submit", from_status=S.DRAFT, actor=actor, at=now)
    # The code comes last: the agency's day counter stays locked from here to the commit, so
    # concurrent submissions to one agency wait on it as briefly as possible.
    _assign_code(dossier, timezone.localdate(now))
    dossier.save(update_fields=["code", "status", "submitted_at", "fee_total", "form_data", "updated_at"])
    return dossier


def dossier_file_payloads_add(dossier: Dossier, actor, files, role: str = FileRole.SUBMITTED) -> None:
    for item in files or []:
        dossier_file_add(
            dossier=dossier,
            actor=actor,
            name=item["name"],
            data=item["data"],
            document_id=item.get("document_id"),
            role=role,
        )


@transaction.atomic
def dossier_create_online(
    *,
    actor,
    procedure_code: str,
    unit,
    form_data: dict | None,
    files: list[dict] | None = None,
    return_method: str = ReturnMethod.ONLINE,
    postal_address: str = "",
    client_token: str = "",
    submit: bool = True,
) -> tuple[Dossier, bool]:
    """Draft, attach and (unless ``submit`` is false) submit in one step (the API). With
    ``client_token`` (the request's Idempotency-Key) a repeat returns the dossier the first
    request made: ``(dossier, False)``."""

    def create() -> Dossier:
        return _draft_save(
            actor=actor,
            procedure_code=procedure_code,
            unit=unit,
            form_data=form_data,
            return_method=return_method,
            postal_address=postal_address,
            client_token=client_token_clean(client_token),
        )

    dossier, created = create_once(Dossier, actor=actor, client_token=client_token, create=create)
    if not created:
        return dossier, False
    dossier_file_payloads_add(dossier, actor, files)
    if not submit:
        return dossier, True
    # Made in this transaction: no one else can see the row, so no lock is needed to submit it.
    return _submit(dossier, actor), True


# --- counter and postal intake -----------------------------------------------------------------


def _receive(dossier: Dossier, now: datetime) -> None:
    dossier.received_at = now
    dossier.due_at = due_at_for(
        amount=dossier.version.processing_time, unit=dossier.version.processing_time_unit, received_at=now
    )
    dossier.handling_unit = dossier.unit
    dossier.step_due_at = dossier.due_at
    dossier.status = S.RECEIVED
    dossier.stage = Stage.WAITING
    due = dossier.due_at
    # The overdue check runs when this dossier can become overdue (no cron needed).
    transaction.on_commit(lambda: _schedule_overdue_check(due), robust=True)


def _schedule_overdue_check(due) -> None:
    from cqs.onestop.tasks import schedule_overdue_check

    schedule_overdue_check(at=due)


@transaction.atomic
def dossier_intake(
    *,
    actor,
    unit,
    procedure_code: str,
    channel: int,
    applicant: dict,
    form_data: dict | None = None,
    files: list[dict] | None = None,
    return_method: str = ReturnMethod.COUNTER,
    postal_address: str = "",
    documents_checked: list[int] | None = None,
) -> Dossier:
    """A one-stop officer receives a paper dossier at the counter or by post: status 2 at once,
    with its code and appointment. ``documents_checked`` lists the papers seen (by id); every
    required one must be there, seen or scanned."""
    if channel not in (Channel.IN_PERSON, Channel.POSTAL):
        raise ServiceError(
            "invalid_channel", _("Hình thức nộp phải là trực tiếp hoặc bưu chính."), field="channel"
        )
    if unit is None or not has_unit_permission(actor, workflow.RECEIVE, unit):
        raise Forbidden("action_not_allowed", _("Bạn không có quyền tiếp nhận hồ sơ cho cơ quan này."))
    today = timezone.localdate()
    procedure, version = _procedure_and_version(procedure_code, today)
    _check_unit(procedure, unit, today)
    clean_applicant = _clean_applicant(applicant)
    return_method, postal_address = _clean_return(return_method, postal_address)
    form = form_data_clean(version, form_data)
    dossier = Dossier(
        procedure=procedure,
        version=version,
        unit=unit,
        channel=channel,
        created_by=actor,
        form_data=form,
        return_method=return_method,
        postal_address=postal_address,
        **clean_applicant,
    )
    # The code and the appointment are given when the status is set below; save first for files.
    now = _now()
    _assign_code(dossier, timezone.localdate(now))
    dossier.status = S.RECEIVED
    dossier.submitted_at = now
    dossier.fee_total = _fee_total(version)
    _receive(dossier, now)
    dossier.save()
    for item in files or []:
        _store_file(
            dossier,
            actor,
            name=item["name"],
            data=item["data"],
            document_id=item.get("document_id"),
            role=FileRole.SUBMITTED,
        )
    seen = set(documents_checked or []) | set(
        dossier.files.filter(role=FileRole.SUBMITTED).values_list("document_id", flat=True)
    )
    missing = [doc.name for doc in version.documents.all() if doc.required and doc.pk not in seen]
    if missing:
        raise ServiceError(
            "missing_documents",
            _("Còn thiếu giấy tờ bắt buộc: %(names)s.") % {"names": "; ".join(missing)},
            field="documents",
        )
    _event(
        dossier,
        action="intake",
        from_status=S.DRAFT,
        actor=actor,
        at=now,
        deadline=dossier.due_at,
        data={"documents_checked": sorted(seen - {None})},
    )
    _audit(dossier, "intake", None, actor)
    return dossier


@transaction.atomic
def dossier_rate(*, dossier: Dossier, actor, scores: dict, comment: str = "") -> Rating:
    """The citizen rates the service once, after the result is returned (QĐ 766 group 5)."""
    from cqs.onestop.choices import RATING_CRITERIA, RatingLevel

    dossier = _locked(dossier)
    if dossier.applicant_id is None or dossier.applicant_id != getattr(actor, "pk", None):
        raise Forbidden("action_not_allowed", _("Chỉ chủ hồ sơ mới đánh giá được."))
    if dossier.status != S.RETURNED:
        raise Conflict("rating_too_early", _("Chỉ đánh giá sau khi đã nhận kết quả."))
    if Rating.objects.filter(dossier=dossier).exists():
        raise Conflict("already_rated", _("Hồ sơ này đã được đánh giá."))
    clean = {}
    for code, label in RATING_CRITERIA:
        value = scores.get(code)
        if value not in RatingLevel.values:
            raise ServiceError(
                "invalid_rating", _("Chọn mức đánh giá cho “%(label)s”.") % {"label": label}, field=code
            )
        clean[code] = value
    rating = Rating.objects.create(
        dossier=dossier, scores=clean, overall=clean["overall"], comment=comment[:2000]
    )
    return rating
