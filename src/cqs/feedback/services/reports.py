"""Writes on reports: filing one (``report_submit``), every workflow action (``report_act``),
the satisfaction survey (``survey_submit``) and the overdue sweep (``reports_overdue_mark``).

Every write checks everything first, then runs in one transaction: lock the row, apply, append
the history row, audit, queue the notices in the outbox. Nothing is half-saved: a photo stored
before a failure is deleted again.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cqs.accounts.permissions import has_unit_permission
from cqs.audit.services import audit_record
from cqs.core.deadlines import due_at_for
from cqs.core.exceptions import Conflict, Forbidden, NotFound, ServiceError
from cqs.core.outbox import outbox_enqueue
from cqs.core.sms import normalise_phone
from cqs.feedback import geo, workflow
from cqs.feedback.attributes import attributes_clean
from cqs.feedback.choices import Channel, Resolution, Status, TimeUnit, Urgency
from cqs.feedback.models import Category, Report, ReportEvent, ReportPhoto, SatisfactionResponse
from cqs.feedback.photos import PHOTOS_MAX, photo_prepare
from cqs.feedback.privacy import mask_personal
from cqs.feedback.routing import route
from cqs.feedback.tasks import schedule_overdue_check

# Law 42/2013 Art. 28 and Decree 20/2008 Art. 9 (docs/feedback.md#deadlines).
ACK_WORKING_DAYS = 10
FORWARD_WORKING_DAYS = 5
# When a category has no deadline for the report's urgency (and none for "normal").
DEFAULT_DEADLINE = (10, TimeUnit.WORKING_DAYS)
DESCRIPTION_MAX = 4000
ANSWER_MIN = 10
SPLIT_MAX = 10
REOPEN_WINDOW_DAYS = 30
# Open311 has no idempotency key: the same app sending the same report again within this window
# gets the first one back.
OPEN311_REPEAT_WINDOW = timedelta(minutes=10)
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_PUBLIC_STEPS = {
    "accept",
    "reject",
    "forward",
    "transfer",
    "request_info",
    "answer",
    "reopen",
    "mark_duplicate",
}


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _new_code() -> str:
    return "PA" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))


def report_get(code_or_pk) -> Report:
    query = Report.objects.select_related("category", "unit", "area")
    report = (
        query.filter(pk=code_or_pk).first()
        if isinstance(code_or_pk, int)
        else query.filter(code=str(code_or_pk).strip().upper()).first()
    )
    if report is None:
        raise NotFound("report_not_found", _("Không tìm thấy phản ánh."))
    return report


def deadline_for(category: Category, urgency: str, start: datetime) -> datetime:
    rows = {d.urgency: d for d in category.deadlines.all()}
    row = rows.get(urgency) or rows.get(Urgency.NORMAL)
    amount, unit = (row.amount, row.unit) if row else DEFAULT_DEADLINE
    return due_at_for(amount=amount, unit=unit, received_at=start)


# --- checks shared by the form, the API and Open311 -------------------------------------------


def category_for_report(category: Category | None) -> Category:
    if category is None or not category.active:
        raise ServiceError("unknown_category", _("Lĩnh vực phản ánh không tồn tại."), field="category")
    if category.children.filter(active=True).exists():
        raise ServiceError(
            "category_not_leaf", _("Vui lòng chọn một lĩnh vực cụ thể trong nhóm này."), field="category"
        )
    return category


def location_clean(
    *, lat, lon, address: str, area, require: bool = True
) -> tuple[float | None, float | None]:
    if (lat is None) != (lon is None):
        raise ServiceError("invalid_location", _("Cần cả vĩ độ và kinh độ."), field="lat")
    if lat is not None:
        try:
            lat, lon = float(lat), float(lon)
        except (TypeError, ValueError):
            raise ServiceError("invalid_location", _("Vĩ độ và kinh độ phải là số."), field="lat") from None
        if not (-90 <= lat <= 90) or not (-180 <= lon <= 180):
            raise ServiceError(
                "invalid_location",
                _("Vĩ độ phải từ -90 đến 90 và kinh độ từ -180 đến 180."),
                field="lat",
            )
        if not geo.inside_province(lat, lon):
            raise ServiceError("outside_province", _("Vị trí đã chọn nằm ngoài địa bàn tỉnh."), field="lat")
    elif require and not (address or "").strip() and area is None:
        raise ServiceError(
            "location_missing", _("Vui lòng chọn vị trí trên bản đồ hoặc nhập địa chỉ."), field="lat"
        )
    if area is not None and not area.is_valid_on(timezone.localdate()):
        raise ServiceError("invalid_area", _("Xã, phường đã chọn không còn tồn tại."), field="area")
    return lat, lon


def _clean(text) -> str:
    """Text as stored: NUL removed (PostgreSQL refuses it in text), spaces trimmed."""
    return str(text or "").replace("\x00", "").strip()


def _contact_clean(*, anonymous: bool, name: str, phone: str, email: str) -> tuple[str, str, str]:
    if anonymous:
        return "", "", ""
    name, phone, email = _clean(name)[:200], _clean(phone), _clean(email)
    if phone:
        phone = normalise_phone(phone)
        if not phone.isdigit() or not 9 <= len(phone) <= 11:
            raise ServiceError("invalid_phone", _("Số điện thoại không hợp lệ."), field="phone")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ServiceError(
                "invalid_email", _("Địa chỉ thư điện tử không hợp lệ."), field="email"
            ) from None
    return name, phone, email[:254]


def _text_clean(description: str, title: str) -> tuple[str, str]:
    description = _clean(description)
    if not description:
        raise ServiceError("description_missing", _("Vui lòng nhập nội dung phản ánh."), field="description")
    if len(description) > DESCRIPTION_MAX:
        raise ServiceError(
            "description_too_long",
            _("Nội dung phản ánh dài tối đa %(limit)s ký tự.") % {"limit": DESCRIPTION_MAX},
            field="description",
        )
    title = _clean(title)[:200] or " ".join(description.split())[:80]
    return description, title


def _media_url_clean(url: str) -> str:
    url = _clean(url)
    if not url:
        return ""
    try:
        if len(url) > 500:
            raise ValidationError("too long")
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ServiceError(
            "invalid_media_url",
            _("Đường dẫn ảnh phải là địa chỉ http(s) hợp lệ, tối đa 500 ký tự."),
            field="media_url",
        ) from None
    return url


# --- history, audit, notices ------------------------------------------------------------------


def _event(
    report: Report, *, action, at, actor, from_status="", note="", public=False, data=None
) -> ReportEvent:
    event = ReportEvent.objects.create(
        report=report,
        at=at,
        action=action,
        from_status=from_status,
        to_status=report.status,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        unit=report.unit,
        note=note,
        public=public,
        data=data or {},
    )
    return event


def _audit(report: Report, action: str, actor, data: dict | None = None) -> None:
    audit_record(
        action=f"feedback.{action}",
        obj=report,
        object_repr=report.code,
        after={"status": report.status, "unit": report.unit_id, **(data or {})},
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _notify(report: Report, event: ReportEvent, *, recipient: Report | None = None) -> None:
    """Queue the e-mail and SMS telling ``recipient`` (default: the report's reporter) about ``event``."""
    recipient = recipient or report
    key = f"{event.pk}:{recipient.pk}"
    if recipient.contact_email or (recipient.reporter_id and recipient.reporter.email):
        outbox_enqueue(
            topic="feedback.notify.email",
            payload={"event_id": event.pk, "report_id": recipient.pk},
            dedup_key=f"feedback.notify.email:{key}",
        )
    if recipient.contact_phone:
        outbox_enqueue(
            topic="feedback.notify.sms",
            payload={"event_id": event.pk, "report_id": recipient.pk},
            dedup_key=f"feedback.notify.sms:{key}",
        )


# --- filing a report --------------------------------------------------------------------------


def _open311_repeat(*, api_client, category, description, lat, lon, now) -> Report | None:
    if api_client is None:
        return None
    return (
        Report.objects.filter(
            api_client=api_client,
            category=category,
            description=description,
            lat=lat,
            lon=lon,
            submitted_at__gte=now - OPEN311_REPEAT_WINDOW,
        )
        .order_by("pk")
        .first()
    )


def report_submit(
    *,
    category: Category | None,
    description: str,
    title: str = "",
    urgency: str = Urgency.NORMAL,
    attributes: dict | None = None,
    lat=None,
    lon=None,
    address: str = "",
    area=None,
    reporter=None,
    anonymous: bool = False,
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    channel: str = Channel.WEB,
    api_client=None,
    device_id: str = "",
    media_url: str = "",
    photos: list[tuple[str, bytes]] | tuple = (),
    client_token: str = "",
    now: datetime | None = None,
) -> tuple[Report, bool]:
    """File a report. Returns ``(report, created)``: a repeated submission (same ``client_token``,
    or the same Open311 app sending the same report again) returns the first one, unchanged."""
    now = _now(now)
    client_token = (client_token or "").strip()[:80]
    if client_token:
        existing = Report.objects.filter(client_token=client_token).first()
        if existing is not None:
            return existing, False
    category = category_for_report(category)
    if urgency not in Urgency.values:
        raise ServiceError("invalid_urgency", _("Mức độ khẩn cấp không hợp lệ."), field="urgency")
    description, title = _text_clean(description, title)
    address = _clean(address)
    media_url = _media_url_clean(media_url)
    lat, lon = location_clean(lat=lat, lon=lon, address=address, area=area)
    if reporter is not None and not getattr(reporter, "is_authenticated", False):
        reporter = None
    name, phone, email = _contact_clean(
        anonymous=anonymous, name=contact_name, phone=contact_phone, email=contact_email
    )
    if reporter is not None and not anonymous:
        name = name or reporter.get_full_name()
        email = email or (reporter.email or "")
    clean_attributes = attributes_clean(category, attributes)
    if len(photos) > PHOTOS_MAX:
        raise ServiceError(
            "too_many_photos", _("Gửi tối đa %(limit)s ảnh.") % {"limit": PHOTOS_MAX}, field="photos"
        )
    prepared = [photo_prepare(name=name_, data=data) for name_, data in photos]
    repeat = _open311_repeat(
        api_client=api_client, category=category, description=description, lat=lat, lon=lon, now=now
    )
    if repeat is not None:
        return repeat, False

    unit, rule = route(category=category, area=area, text=f"{title}\n{description}\n{address}")
    stored: list[ReportPhoto] = []
    try:
        with transaction.atomic():
            report = Report(
                code=_new_code(),
                access_token=secrets.token_urlsafe(32),
                client_token=client_token or None,
                category=category,
                urgency=urgency,
                title=title,
                description=description,
                attributes=clean_attributes,
                lat=lat,
                lon=lon,
                address=address[:300],
                area=area,
                unit=unit,
                routing_rule=rule,
                reporter=None if anonymous else reporter,
                anonymous=anonymous,
                contact_name=name,
                contact_phone=phone,
                contact_email=email,
                channel=channel,
                api_client=api_client,
                device_id=_clean(device_id)[:100],
                media_url=media_url,
                status=Status.RECEIVED,
                submitted_at=now,
                updated_at=now,
                ack_due_at=due_at_for(amount=ACK_WORKING_DAYS, unit=TimeUnit.WORKING_DAYS, received_at=now),
                forward_due_at=due_at_for(
                    amount=FORWARD_WORKING_DAYS, unit=TimeUnit.WORKING_DAYS, received_at=now
                ),
                due_at=deadline_for(category, urgency, now),
                is_public=False,
            )
            report.save()
            for photo in prepared:
                row = ReportPhoto(
                    report=report,
                    original_name=photo.name,
                    sha256=photo.sha256,
                    width=photo.width,
                    height=photo.height,
                    size=len(photo.data),
                    uploaded_at=now,
                )
                row.file.save(f"{photo.sha256[:12]}.jpg", ContentFile(photo.data), save=False)
                stored.append(row)
                row.save()
            event = _event(
                report,
                action="submit",
                at=now,
                actor=reporter,
                public=True,
                data={"rule": rule.pk if rule else None, "photos": len(prepared), "channel": channel},
            )
            _audit(report, "submit", reporter, {"category": category.code, "rule": rule.pk if rule else None})
            _notify(report, event)
            transaction.on_commit(lambda: schedule_overdue_check(at=report.due_at))
    except IntegrityError:
        _delete_files(stored)
        if client_token:
            existing = Report.objects.filter(client_token=client_token).first()
            if existing is not None:
                return existing, False
        raise
    except BaseException:
        _delete_files(stored)
        raise
    return report, True


def _delete_files(photos: list[ReportPhoto]) -> None:
    for photo in photos:
        if photo.file.name:
            photo.file.storage.delete(photo.file.name)


def report_photo_add(
    *, report: Report, name: str, data: bytes, actor=None, token: str | None = None, now=None
):
    """A photo added later, by the reporter (with more information) or by staff (the fix)."""
    now = _now(now)
    staff = actor is not None and has_unit_permission(actor, workflow.HANDLE, report.unit)
    if not staff and not workflow.is_reporter(user=actor, report=report, token=token):
        raise Forbidden("action_not_allowed", _("Bạn không có quyền thêm ảnh cho phản ánh này."))
    if report.photos.count() >= PHOTOS_MAX * 2:
        raise ServiceError("too_many_photos", _("Phản ánh đã có đủ số ảnh tối đa."), field="photos")
    photo = photo_prepare(name=name, data=data)
    row = ReportPhoto(
        report=report,
        original_name=photo.name,
        sha256=photo.sha256,
        width=photo.width,
        height=photo.height,
        size=len(photo.data),
        added_by_staff=staff,
        uploaded_at=now,
    )
    row.file.save(f"{photo.sha256[:12]}.jpg", ContentFile(photo.data), save=False)
    try:
        with transaction.atomic():
            row.save()
            _audit(report, "photo_add", actor, {"photo": row.sha256[:12]})
    except BaseException:
        _delete_files([row])
        raise
    return row


# --- workflow actions -------------------------------------------------------------------------


def _require_note(note: str, transition: workflow.Transition) -> str:
    note = _clean(note)
    if transition.needs_note and not note:
        raise ServiceError(
            "note_required",
            _("Vui lòng nhập nội dung cho thao tác “%(label)s”.") % {"label": transition.label},
            field="note",
        )
    if len(note) > DESCRIPTION_MAX:
        raise ServiceError(
            "note_too_long",
            _("Nội dung dài tối đa %(limit)s ký tự.") % {"limit": DESCRIPTION_MAX},
            field="note",
        )
    return note


def _ack(report: Report, now: datetime) -> None:
    if report.acknowledged_at is None:
        report.acknowledged_at = now


def _act_forward(report, ctx):
    unit = ctx.get("unit")
    if unit is None or unit.pk == report.unit_id:
        raise ServiceError("invalid_unit", _("Chọn đơn vị khác để chuyển phản ánh."), field="unit")
    if not unit.is_valid_on(timezone.localdate()):
        raise ServiceError("invalid_unit", _("Đơn vị nhận không còn hoạt động."), field="unit")
    ctx["data"] = {
        "from_unit": report.unit_id,
        "to_unit": unit.pk,
        "late": ctx["now"] > report.forward_due_at,
    }
    report.unit = unit
    _ack(report, ctx["now"])


def _act_transfer(report, ctx):
    agency = (ctx.get("external_agency") or "").strip()[:255]
    reference = (ctx.get("external_reference") or "").strip()[:100]
    if not agency:
        raise ServiceError("agency_missing", _("Nhập tên cơ quan nhận chuyển."), field="external_agency")
    if not reference:
        raise ServiceError(
            "reference_missing", _("Nhập số, ký hiệu văn bản chuyển phản ánh."), field="external_reference"
        )
    report.external_agency, report.external_reference = agency, reference
    report.closed_at = ctx["now"]
    _ack(report, ctx["now"])
    ctx["data"] = {"agency": agency, "reference": reference}


def _act_answer(report, ctx):
    answer = _clean(ctx.get("answer") or ctx["note"])
    if len(answer) < ANSWER_MIN:
        raise ServiceError("answer_missing", _("Vui lòng nhập nội dung trả lời."), field="answer")
    if len(answer) > DESCRIPTION_MAX:
        raise ServiceError(
            "answer_too_long",
            _("Nội dung trả lời dài tối đa %(limit)s ký tự.") % {"limit": DESCRIPTION_MAX},
            field="answer",
        )
    report.answer = answer
    report.answer_public = ""
    report.answered_at = ctx["now"]
    report.answered_by_unit = report.unit
    report.resolution = Resolution.ANSWERED
    _ack(report, ctx["now"])
    ctx["note"] = answer
    ctx["data"] = {"on_time": ctx["now"] <= report.due_at}
    ctx["notify_duplicates"] = True


def _act_publish(report, ctx):
    if not report.category.is_public:
        raise Conflict(
            "category_not_public",
            _("Phản ánh thuộc lĩnh vực không công khai nên không thể đăng công khai."),
        )
    text = _clean(ctx.get("answer_public")) or mask_personal(report.answer)
    if len(text) < ANSWER_MIN:
        raise ServiceError(
            "answer_missing", _("Vui lòng nhập nội dung trả lời công khai."), field="answer_public"
        )
    report.answer_public = text[:DESCRIPTION_MAX]
    report.is_public = True


def _act_close(report, ctx):
    report.closed_at = ctx["now"]
    if ctx["from_status"] == Status.INFO_REQUESTED:
        report.resolution = Resolution.NO_ANSWER


def _act_reopen(report, ctx):
    if ctx["by_reporter"] and (
        report.answered_at is None or report.resolution in (Resolution.DUPLICATE, Resolution.SPLIT)
    ):
        raise Conflict("reopen_not_allowed", _("Chỉ mở lại được phản ánh đã được trả lời."))
    if ctx["by_reporter"] and ctx["now"] > report.answered_at + timedelta(days=REOPEN_WINDOW_DAYS):
        raise Conflict(
            "reopen_window_passed",
            _("Đã quá %(days)s ngày kể từ khi trả lời; vui lòng gửi phản ánh mới.")
            % {"days": REOPEN_WINDOW_DAYS},
        )
    report.reopen_count += 1
    report.closed_at = None
    report.resolution = Resolution.NONE
    report.due_at = deadline_for(report.category, report.urgency, ctx["now"])
    report.overdue_notified_at = None
    ctx["data"] = {"due_at": report.due_at.isoformat()}


def _act_reject(report, ctx):
    report.closed_at = ctx["now"]
    _ack(report, ctx["now"])


def _act_accept(report, ctx):
    _ack(report, ctx["now"])


def _act_mark_duplicate(report, ctx):
    original = ctx.get("duplicate_of")
    if original is None or original.pk == report.pk:
        raise ServiceError(
            "invalid_original", _("Chọn phản ánh gốc khác phản ánh này."), field="duplicate_of"
        )
    seen = {report.pk}
    while original.duplicate_of_id is not None and original.pk not in seen:
        seen.add(original.pk)
        original = original.duplicate_of
    if original.pk == report.pk:
        raise ServiceError("invalid_original", _("Không thể liên kết vòng tròn."), field="duplicate_of")
    report.duplicate_of = original
    report.resolution = Resolution.DUPLICATE
    report.closed_at = ctx["now"]
    _ack(report, ctx["now"])
    ctx["data"] = {"original": original.code}
    ctx["original"] = original


def _act_split(report, ctx):
    parts = ctx.get("parts") or []
    if not 2 <= len(parts) <= SPLIT_MAX:
        raise ServiceError(
            "invalid_split", _("Tách thành từ 2 đến %(max)s phản ánh.") % {"max": SPLIT_MAX}, field="parts"
        )
    cleaned = []
    for part in parts:
        category = category_for_report(part.get("category"))
        description, title = _text_clean(part.get("description", ""), part.get("title", ""))
        cleaned.append((category, description, title))
    children = []
    for category, description, title in cleaned:
        unit, rule = route(
            category=category, area=report.area, text=f"{title}\n{description}\n{report.address}"
        )
        child = Report.objects.create(
            code=_new_code(),
            access_token=report.access_token,
            category=category,
            urgency=report.urgency,
            title=title,
            description=description,
            lat=report.lat,
            lon=report.lon,
            address=report.address,
            area=report.area,
            unit=unit,
            routing_rule=rule,
            reporter=report.reporter,
            anonymous=report.anonymous,
            contact_name=report.contact_name,
            contact_phone=report.contact_phone,
            contact_email=report.contact_email,
            channel=report.channel,
            status=Status.RECEIVED,
            submitted_at=report.submitted_at,
            updated_at=ctx["now"],
            ack_due_at=report.ack_due_at,
            forward_due_at=report.forward_due_at,
            due_at=deadline_for(category, report.urgency, report.submitted_at),
            split_from=report,
        )
        _event(
            child,
            action="split_from",
            at=ctx["now"],
            actor=ctx["actor"],
            public=True,
            data={"from": report.code},
        )
        _audit(child, "split_from", ctx["actor"], {"from": report.code})
        children.append(child)
    report.resolution = Resolution.SPLIT
    report.closed_at = ctx["now"]
    _ack(report, ctx["now"])
    ctx["data"] = {"children": [c.code for c in children]}
    ctx["children"] = children


def _act_reclassify(report, ctx):
    changed = {}
    category = ctx.get("category")
    if category is not None and category.pk != report.category_id:
        report.category = category_for_report(category)
        changed["category"] = category.code
    urgency = ctx.get("urgency")
    if urgency and urgency != report.urgency:
        if urgency not in Urgency.values:
            raise ServiceError("invalid_urgency", _("Mức độ khẩn cấp không hợp lệ."), field="urgency")
        report.urgency = urgency
        changed["urgency"] = urgency
    if ctx.get("location_given"):
        lat, lon = location_clean(
            lat=ctx.get("lat"),
            lon=ctx.get("lon"),
            address=ctx.get("address", ""),
            area=ctx.get("area"),
            require=False,
        )
        report.lat, report.lon = lat, lon
        report.address = _clean(ctx.get("address"))[:300]
        report.area = ctx.get("area")
        changed["location"] = True
    if not changed:
        raise ServiceError("nothing_changed", _("Chưa thay đổi lĩnh vực, mức độ hay vị trí."))
    if "category" in changed or "urgency" in changed:
        report.due_at = deadline_for(report.category, report.urgency, report.submitted_at)
    if "category" in changed or "location" in changed:
        # The rules name units by category and place; an urgency change alone keeps the unit.
        unit, rule = route(
            category=report.category,
            area=report.area,
            text=f"{report.title}\n{report.description}\n{report.address}",
        )
        changed["from_unit"] = report.unit_id
        report.unit, report.routing_rule = unit, rule
        changed["to_unit"] = unit.pk
    ctx["data"] = changed


_EFFECTS = {
    "accept": _act_accept,
    "reject": _act_reject,
    "forward": _act_forward,
    "transfer": _act_transfer,
    "answer": _act_answer,
    "publish": _act_publish,
    "close": _act_close,
    "reopen": _act_reopen,
    "mark_duplicate": _act_mark_duplicate,
    "split": _act_split,
    "reclassify": _act_reclassify,
}


def report_act(
    *,
    report: Report,
    action: str,
    actor=None,
    token: str | None = None,
    note: str = "",
    now: datetime | None = None,
    **fields,
) -> Report:
    """Take ``action`` (workflow.TRANSITIONS) on ``report``. ``fields`` are the action's own inputs:
    ``unit`` (forward), ``external_agency``/``external_reference`` (transfer), ``answer``
    (answer), ``answer_public`` (publish), ``duplicate_of`` (mark_duplicate), ``parts`` (split:
    ``[{category, description, title}]``), ``category``/``urgency``/``lat``/``lon``/``address``/
    ``area`` with ``location_given=True`` (reclassify)."""
    now = _now(now)
    with transaction.atomic():
        locked = Report.objects.select_for_update().select_related("category", "unit").get(pk=report.pk)
        transition = workflow.transition_check(action, user=actor, report=locked, token=token)
        ctx = {
            "now": now,
            "actor": actor,
            "note": _require_note(note, transition),
            "from_status": locked.status,
            "by_reporter": workflow.is_reporter(user=actor, report=locked, token=token)
            and not any(
                a != workflow.REPORTER and has_unit_permission(actor, a, locked.unit)
                for a in transition.actors
            ),
            **fields,
        }
        effect = _EFFECTS.get(action)
        if effect is not None:
            effect(locked, ctx)
        if transition.target is not None:
            locked.status = transition.target
        locked.updated_at = now
        locked.save()
        public = transition.public and action != "comment"
        event = _event(
            locked,
            action=action,
            at=now,
            actor=actor,
            from_status=ctx["from_status"],
            note=ctx["note"],
            public=public,
            data=ctx.get("data"),
        )
        _audit(locked, action, actor, ctx.get("data"))
        if action in _PUBLIC_STEPS and not ctx["by_reporter"]:
            _notify(locked, event)
        if ctx.get("notify_duplicates"):
            for duplicate in locked.duplicates.all():
                _notify(locked, event, recipient=duplicate)
        original = ctx.get("original")
        if original is not None and original.answered_at is not None:
            original_answer = original.events.filter(action="answer").order_by("-at").first()
            if original_answer is not None:
                _notify(original, original_answer, recipient=locked)
    report.refresh_from_db()
    return report


# --- survey -----------------------------------------------------------------------------------


def survey_submit(
    *,
    report: Report,
    rating: int,
    comment: str = "",
    reopen: bool = False,
    user=None,
    token: str | None = None,
    now: datetime | None = None,
) -> SatisfactionResponse:
    """The reporter's rating of the answer (1–5); an unhappy reporter may ask to reopen it."""
    now = _now(now)
    if not workflow.is_reporter(user=user, report=report, token=token):
        raise Forbidden("not_reporter", _("Chỉ người gửi phản ánh mới đánh giá được câu trả lời."))
    if report.status not in (Status.ANSWERED, Status.PUBLISHED, Status.CLOSED) or report.answered_at is None:
        raise Conflict("not_answered", _("Phản ánh chưa được trả lời nên chưa thể đánh giá."))
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ServiceError("invalid_rating", _("Chọn mức đánh giá từ 1 đến 5."), field="rating")
    if reopen and rating > 3:
        raise ServiceError(
            "reopen_needs_low_rating",
            _("Chỉ đề nghị xử lý lại khi chưa hài lòng (đánh giá từ 1 đến 3)."),
            field="reopen",
        )
    comment = (comment or "").strip()[:2000]
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.surveys.filter(at__gte=locked.answered_at).exists():
            raise Conflict("survey_already_answered", _("Ông/bà đã đánh giá câu trả lời này."))
        response = SatisfactionResponse.objects.create(
            report=locked, rating=rating, comment=comment, reopen_requested=bool(reopen), at=now
        )
        _event(
            locked,
            action="survey",
            at=now,
            actor=user,
            note=comment,
            public=False,
            data={"rating": rating, "reopen": bool(reopen)},
        )
        _audit(locked, "survey", user, {"rating": rating, "reopen": bool(reopen)})
        if reopen:
            report_act(
                report=locked,
                action="reopen",
                actor=user,
                token=token,
                note=comment or _("Người phản ánh chưa hài lòng với câu trả lời."),
                now=now,
            )
    return response


# --- overdue ----------------------------------------------------------------------------------


def reports_overdue_mark(*, now: datetime | None = None, batch: int = 500) -> list[int]:
    """Open reports past their answer deadline get one alert to their unit (through the outbox)."""
    from cqs.feedback.choices import OPEN_STATUSES

    now = _now(now)
    marked: list[int] = []
    while True:
        with transaction.atomic():
            rows = list(
                Report.objects.select_for_update(skip_locked=True)
                .filter(status__in=OPEN_STATUSES, due_at__lt=now, overdue_notified_at__isnull=True)
                .order_by("due_at")[:batch]
            )
            for report in rows:
                report.overdue_notified_at = now
                report.save(update_fields=["overdue_notified_at"])
                outbox_enqueue(
                    topic="feedback.overdue",
                    payload={"report_id": report.pk},
                    dedup_key=f"feedback.overdue:{report.pk}:{report.reopen_count}",
                )
                marked.append(report.pk)
        if len(rows) < batch:
            return marked
