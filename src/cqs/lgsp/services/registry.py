"""Registry writes: members, subsystems, services, endpoints, groups. Every write is audited and
publishes a new gateway generation after commit (``publish.py``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cqs.audit.services import audit_record
from cqs.core.exceptions import Conflict, ServiceError
from cqs.lgsp import publish
from cqs.lgsp.choices import CodeListKind, DataClassification, MemberClass, ServiceKind, ServiceStatus
from cqs.lgsp.identifiers import METASERVICES
from cqs.lgsp.models import ClientGroup, CodeList, CodeListItem, Endpoint, Member, Service, Subsystem

SERVICE_FIELDS = (
    "name",
    "description",
    "kind",
    "version",
    "upstream_url",
    "openapi",
    "wsdl",
    "legal_basis",
    "data_classification",
    "contact_name",
    "contact_email",
    "contact_phone",
    "timeout_ms",
    "default_rate_per_minute",
)


def _full_clean(obj, *, exclude: list[str] | None = None) -> None:
    """Model validation as a ServiceError naming the first invalid field."""
    try:
        obj.full_clean(exclude=exclude, validate_unique=True, validate_constraints=True)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        code = "duplicate" if field == "__all__" else "invalid_field"
        raise ServiceError(code, messages[0], field=None if field == "__all__" else field) from exc


def check_upstream_url(url: str) -> None:
    """An endpoint the gateway can forward to: http(s), a host, no credentials, no query or fragment."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username
        or parts.password
        or parts.query
        or parts.fragment
        or port == -1
        or any(char in url for char in " \"'\\|#")
    ):
        raise ServiceError(
            "invalid_upstream_url",
            _(
                "Địa chỉ dịch vụ phải là http:// hoặc https:// với tên máy chủ, không chứa tài khoản, "
                "tham số truy vấn hay ký tự đặc biệt."
            ),
            field="upstream_url",
        )


def _audit_snapshot(service: Service) -> dict:
    data = {name: getattr(service, name) for name in SERVICE_FIELDS if name not in ("openapi", "wsdl")}
    data["status"] = service.status
    data["has_openapi"] = service.openapi is not None
    data["has_wsdl"] = bool(service.wsdl)
    return data


@transaction.atomic
def member_create(
    *,
    member_class: str,
    code: str,
    name: str,
    unit=None,
    instance: str | None = None,
    contact_name: str = "",
    contact_email: str = "",
    actor=None,
) -> Member:
    if member_class not in MemberClass.values:
        raise ServiceError("invalid_member_class", _("Loại thành viên không hợp lệ."), field="member_class")
    member = Member(
        instance=instance or settings.CQS_LGSP_INSTANCE,
        member_class=member_class,
        code=code,
        name=name,
        unit=unit,
        contact_name=contact_name,
        contact_email=contact_email,
    )
    _full_clean(member)
    member.save()
    audit_record(
        action="lgsp.member.create", obj=member, after={"id": member.xroad_id, "name": name}, actor=actor
    )
    return member


@transaction.atomic
def subsystem_create(
    *,
    member: Member,
    code: str,
    name: str,
    description: str = "",
    information_system=None,
    contact_email: str = "",
    actor=None,
) -> Subsystem:
    subsystem = Subsystem(
        member=member,
        code=code,
        name=name,
        description=description,
        information_system=information_system,
        contact_email=contact_email,
    )
    _full_clean(subsystem)
    subsystem.save()
    audit_record(
        action="lgsp.subsystem.create",
        obj=subsystem,
        after={"id": subsystem.xroad_id, "name": name},
        actor=actor,
    )
    # A new subsystem is a metaservice target at the gateway (the snapshot's "subsystems").
    publish.request(reason=f"subsystem {subsystem.xroad_id} created")
    return subsystem


@transaction.atomic
def subsystem_set_active(*, subsystem: Subsystem, active: bool, actor=None) -> Subsystem:
    subsystem = Subsystem.objects.select_for_update().get(pk=subsystem.pk)
    if subsystem.active == active:
        return subsystem
    subsystem.active = active
    subsystem.save(update_fields=["active"])
    audit_record(
        action="lgsp.subsystem.activate" if active else "lgsp.subsystem.deactivate",
        obj=subsystem,
        after={"active": active},
        actor=actor,
    )
    publish.request(reason=f"subsystem {subsystem.xroad_id} active={active}")
    return subsystem


def _check_service(service: Service) -> None:
    if service.code in METASERVICES:
        raise ServiceError(
            "reserved_service_code",
            _("Mã dịch vụ %(code)s trùng tên một dịch vụ siêu dữ liệu của X-Road.") % {"code": service.code},
            field="code",
        )
    check_upstream_url(service.upstream_url)
    if service.kind not in ServiceKind.values:
        raise ServiceError("invalid_kind", _("Kiểu dịch vụ không hợp lệ."), field="kind")
    if service.data_classification not in DataClassification.values:
        raise ServiceError(
            "invalid_classification", _("Phân loại dữ liệu không hợp lệ."), field="data_classification"
        )
    if not service.legal_basis.strip():
        raise ServiceError(
            "legal_basis_required",
            _("Phải ghi căn cứ pháp lý của việc chia sẻ dữ liệu (Nghị định 47/2020/NĐ-CP)."),
            field="legal_basis",
        )
    if service.openapi is not None and (
        not isinstance(service.openapi, dict) or not ({"openapi", "swagger"} & service.openapi.keys())
    ):
        raise ServiceError(
            "invalid_openapi",
            _("Tài liệu OpenAPI phải là một đối tượng JSON có khóa openapi."),
            field="openapi",
        )
    if service.wsdl and "definitions" not in service.wsdl[:2000]:
        raise ServiceError("invalid_wsdl", _("Tài liệu WSDL không có phần tử definitions."), field="wsdl")


@transaction.atomic
def service_create(
    *, subsystem: Subsystem, code: str, actor=None, publish_now: bool = False, **fields
) -> Service:
    """A service of ``subsystem`` (draft unless ``publish_now``); ``fields`` are ``SERVICE_FIELDS``."""
    unknown = set(fields) - set(SERVICE_FIELDS)
    if unknown:
        raise TypeError(f"unknown service fields: {sorted(unknown)}")
    service = Service(subsystem=subsystem, code=code, **fields)
    service.status = ServiceStatus.PUBLISHED if publish_now else ServiceStatus.DRAFT
    _check_service(service)
    _full_clean(service)
    service.save()
    audit_record(action="lgsp.service.create", obj=service, after=_audit_snapshot(service), actor=actor)
    if publish_now:
        publish.validate_or_refuse()
        publish.request(reason=f"service {service.xroad_id} created")
    return service


@transaction.atomic
def service_update(*, service: Service, actor=None, **fields) -> Service:
    unknown = set(fields) - set(SERVICE_FIELDS)
    if unknown:
        raise TypeError(f"unknown service fields: {sorted(unknown)}")
    service = Service.objects.select_for_update().select_related("subsystem__member").get(pk=service.pk)
    before = _audit_snapshot(service)
    for name, value in fields.items():
        setattr(service, name, value)
    _check_service(service)
    _full_clean(service)
    service.save()
    audit_record(
        action="lgsp.service.update", obj=service, before=before, after=_audit_snapshot(service), actor=actor
    )
    if service.status == ServiceStatus.PUBLISHED:
        publish.validate_or_refuse()
        publish.request(reason=f"service {service.xroad_id} updated")
    return service


@transaction.atomic
def service_set_status(*, service: Service, status: str, actor=None) -> Service:
    if status not in ServiceStatus.values:
        raise ServiceError("invalid_status", _("Trạng thái dịch vụ không hợp lệ."), field="status")
    service = Service.objects.select_for_update().select_related("subsystem__member").get(pk=service.pk)
    if service.status == status:
        return service
    before = service.status
    service.status = status
    service.save(update_fields=["status", "updated_at"])
    audit_record(
        action="lgsp.service.status",
        obj=service,
        before={"status": before},
        after={"status": status},
        actor=actor,
    )
    publish.validate_or_refuse()
    publish.request(reason=f"service {service.xroad_id} {status}")
    return service


@transaction.atomic
def endpoint_create(
    *, service: Service, method: str, path: str, description: str = "", actor=None
) -> Endpoint:
    endpoint = Endpoint(service=service, method=method.upper(), path=path, description=description)
    _full_clean(endpoint)
    endpoint.save()
    audit_record(
        action="lgsp.endpoint.create",
        obj=endpoint,
        after={"method": endpoint.method, "path": path},
        actor=actor,
    )
    return endpoint


@transaction.atomic
def group_create(*, code: str, name: str, description: str = "", subsystems=(), actor=None) -> ClientGroup:
    group = ClientGroup(code=code, name=name, description=description)
    _full_clean(group)
    try:
        group.save()
    except IntegrityError as exc:  # a concurrent create of the same code
        raise Conflict("duplicate", _("Đã có nhóm với mã này."), field="code") from exc
    group.subsystems.set(subsystems)
    audit_record(
        action="lgsp.group.create",
        obj=group,
        after={"code": code, "subsystems": sorted(s.xroad_id for s in group.subsystems.all())},
        actor=actor,
    )
    publish.request(reason=f"group {code} created")
    return group


@transaction.atomic
def group_set_members(*, group: ClientGroup, subsystems, actor=None) -> ClientGroup:
    group = ClientGroup.objects.select_for_update().get(pk=group.pk)
    before = sorted(s.xroad_id for s in group.subsystems.all())
    group.subsystems.set(subsystems)
    after = sorted(s.xroad_id for s in group.subsystems.all())
    audit_record(
        action="lgsp.group.members",
        obj=group,
        before={"subsystems": before},
        after={"subsystems": after},
        actor=actor,
    )
    publish.request(reason=f"group {group.code} members")
    return group


@transaction.atomic
def code_list_create(
    *,
    code: str,
    name: str,
    kind: str,
    owner: Member,
    items: list[tuple[str, str, str]],
    legal_basis: str = "",
    version: str = "",
    description: str = "",
    actor=None,
) -> CodeList:
    """A shared code list or master data set (Decree 47/2020, Art. 9) with its items
    ``(code, name, parent code)``. Item codes must be unique in the list."""
    if kind not in CodeListKind.values:
        raise ServiceError("invalid_kind", _("Loại danh mục không hợp lệ."), field="kind")
    codes = [item[0] for item in items]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise ServiceError(
            "duplicate_item",
            _("Mã mục bị trùng trong danh mục: %(codes)s.") % {"codes": ", ".join(duplicates[:5])},
            field="items",
        )
    code_list = CodeList(
        code=code,
        name=name,
        kind=kind,
        owner=owner,
        legal_basis=legal_basis,
        version=version,
        description=description,
    )
    _full_clean(code_list)
    code_list.save()
    CodeListItem.objects.bulk_create(
        CodeListItem(code_list=code_list, code=item_code, name=item_name, parent_code=parent)
        for item_code, item_name, parent in items
    )
    audit_record(
        action="lgsp.codelist.create",
        obj=code_list,
        after={"code": code, "kind": kind, "owner": owner.xroad_id, "items": len(items)},
        actor=actor,
    )
    return code_list
