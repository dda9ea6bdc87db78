"""Writes of the accounts app: accounts, roles, grants, sign-in and the second factor.

Every service is keyword-only, validates before it writes, runs in one transaction and records
an audit event in that transaction. ``actor=None`` means the platform itself (a management
command, the demo loader); a person acting through a page or the API is always passed as
``actor`` and is held to their unit-scoped permissions.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import django_otp
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.models import Permission
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from cqs.accounts.masking import mask_cccd, mask_phone
from cqs.accounts.models import CitizenProfile, ExternalIdentity, OfficialProfile, Role, RoleGrant, User
from cqs.accounts.oidc import (
    LOGIN_METHOD_PASSWORD,
    LOGIN_METHOD_SESSION_KEY,
    VNEID_PROVIDER,
)
from cqs.accounts.permissions import has_unit_permission
from cqs.accounts.validators import normalize_phone, validate_cccd, validate_phone
from cqs.audit.services import audit_record
from cqs.core.exceptions import Conflict, Forbidden, NotFound, ServiceError

ROLES_FILE = Path(__file__).resolve().parent / "data" / "roles.json"

logger = logging.getLogger(__name__)


# --- helpers -------------------------------------------------------------------------------


def _forget_cached_permissions(*users) -> None:
    # permissions.granted_unit_paths caches grants on the user object; a grant or revoke
    # must not leave a stale answer on the objects the caller still holds.
    for user in users:
        if user is not None:
            user.__dict__.pop("_cqs_grant_paths", None)
            user.__dict__.pop("_cqs_requires_2fa", None)


def _clean_username(username: str) -> str:
    username = User.normalize_username((username or "").strip())
    if not username or len(username) > 150:
        raise ServiceError(
            "invalid_username", _("Tên đăng nhập phải có từ 1 đến 150 ký tự."), field="username"
        )
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError as exc:
        raise ServiceError(
            "invalid_username",
            _("Tên đăng nhập chỉ gồm chữ, số và các ký tự @ . + - _."),
            field="username",
        ) from exc
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(
            "duplicate_username",
            _("Tên đăng nhập “%(username)s” đã được sử dụng.") % {"username": username},
            field="username",
        )
    return username


def _clean_full_name(full_name: str) -> str:
    full_name = " ".join((full_name or "").split())
    if not full_name:
        raise ServiceError("required", _("Vui lòng nhập họ và tên."), field="full_name")
    if len(full_name) > 200:
        raise ServiceError("invalid_full_name", _("Họ và tên không quá 200 ký tự."), field="full_name")
    return full_name


def _clean_phone(phone: str) -> str:
    phone = normalize_phone(phone)
    if not phone:
        return ""
    try:
        validate_phone(phone)
    except ValidationError as exc:
        raise ServiceError("invalid_phone", exc.messages[0], field="phone") from exc
    return phone


def _clean_cccd(cccd: str) -> str:
    cccd = (cccd or "").strip()
    try:
        validate_cccd(cccd)
    except ValidationError as exc:
        raise ServiceError("invalid_cccd", exc.messages[0], field="cccd") from exc
    return cccd


def _clean_email(email: str) -> str:
    email = (email or "").strip()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ServiceError("invalid_email", _("Địa chỉ thư điện tử không hợp lệ."), field="email") from exc
    if len(email) > 254:
        raise ServiceError("invalid_email", _("Địa chỉ thư điện tử không quá 254 ký tự."), field="email")
    return email


def _check_password(password: str, *, username: str, full_name: str) -> None:
    try:
        validate_password(password or "", user=User(username=username, full_name=full_name))
    except ValidationError as exc:
        raise ServiceError(
            "weak_password",
            _("Mật khẩu chưa đủ mạnh: %(reasons)s") % {"reasons": " ".join(exc.messages)},
            field="password",
        ) from exc


def _resolve_role(role: Role | str) -> Role:
    if isinstance(role, Role):
        return role
    found = Role.objects.filter(code=role).first()
    if found is None:
        raise NotFound("unknown_role", _("Không có vai trò “%(code)s”.") % {"code": role}, field="role")
    return found


def _user_state(user: User) -> dict[str, Any]:
    state: dict[str, Any] = {
        "username": user.username,
        "full_name": user.full_name,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
    }
    return state


def _grant_state(grant: RoleGrant) -> dict[str, Any]:
    return {
        "user": grant.user.username,
        "role": grant.role.code,
        "unit": grant.unit_id,
        "unit_name": grant.unit.name,
    }


def _require_grant_authority(*, actor, user: User, role: Role, unit, action: str) -> None:
    """A person may grant or revoke ``role`` on ``unit`` only inside their own scope, only for
    accounts they manage, and only a role whose every permission they hold there themselves
    (so a unit administrator cannot create a system administrator)."""
    if actor is None or actor.is_superuser:
        return
    if not has_unit_permission(actor, f"accounts.{action}_rolegrant", unit):
        raise Forbidden(
            "forbidden_unit",
            _("Bạn chỉ được phân quyền trong phạm vi đơn vị mình quản lý."),
            field="unit",
        )
    if not User.objects.restrict(actor, "accounts.change_user").filter(pk=user.pk).exists():
        raise Forbidden(
            "forbidden_user",
            _("Bạn chỉ được phân quyền cho cán bộ thuộc đơn vị mình quản lý."),
            field="user",
        )
    for app_label, codename in role.permissions.values_list("content_type__app_label", "codename"):
        if not has_unit_permission(actor, f"{app_label}.{codename}", unit):
            raise Forbidden(
                "role_exceeds_actor",
                _("Vai trò “%(role)s” có quyền mà bạn không có trên đơn vị này.") % {"role": role.name},
                field="role",
            )


# --- accounts --------------------------------------------------------------------------------


def user_create_official(
    *,
    username: str,
    password: str,
    full_name: str,
    unit,
    position: str = "",
    phone: str = "",
    email: str = "",
    roles: Iterable[Role | str] = (),
    is_staff: bool = False,
    is_superuser: bool = False,
    actor=None,
) -> User:
    """An official (cán bộ, công chức) working in ``unit``, with ``roles`` granted on that unit."""
    username = _clean_username(username)
    full_name = _clean_full_name(full_name)
    phone = _clean_phone(phone)
    position = " ".join((position or "").split())[:200]
    role_objects = [_resolve_role(role) for role in roles]
    if unit is None:
        raise ServiceError("required", _("Vui lòng chọn đơn vị công tác."), field="unit")
    if actor is not None and not actor.is_superuser:
        if is_staff or is_superuser:
            raise Forbidden(
                "forbidden_flag",
                _("Chỉ quản trị viên cấp cao nhất mới được cấp quyền truy cập trang quản trị."),
            )
        if not has_unit_permission(actor, "accounts.add_user", unit):
            raise Forbidden(
                "forbidden_unit",
                _("Bạn chỉ được tạo tài khoản trong phạm vi đơn vị mình quản lý."),
                field="unit",
            )
    _check_password(password, username=username, full_name=full_name)

    with transaction.atomic():
        user = User(
            username=username,
            full_name=full_name,
            email=(email or "").strip(),
            is_staff=is_staff,
            is_superuser=is_superuser,
        )
        user.set_password(password)
        _insert_user(user)
        profile = OfficialProfile.objects.create(user=user, unit=unit, position=position, phone=phone)
        after = _user_state(user) | {
            "kind": "official",
            "unit": unit.pk,
            "unit_name": unit.name,
            "position": profile.position,
            "phone": mask_phone(phone),
        }
        audit_record(action="accounts.user_create", obj=user, after=after, actor=actor)
        for role in role_objects:
            role_grant(user=user, role=role, unit=unit, actor=actor)
    return user


def user_create_citizen(
    *,
    username: str,
    password: str | None,
    full_name: str,
    cccd: str,
    phone: str = "",
    address: str = "",
    email: str = "",
    actor=None,
) -> User:
    """A citizen account (công dân). ``actor`` is None for self-registration.

    ``password=None`` makes an account that cannot sign in with a password, only through an
    identity provider (VNeID, see ``citizen_login_vneid``).
    """
    username = _clean_username(username)
    full_name = _clean_full_name(full_name)
    cccd = _clean_cccd(cccd)
    phone = _clean_phone(phone)
    email = _clean_email(email)
    if CitizenProfile.objects.filter(cccd=cccd).exists():
        raise Conflict(
            "duplicate_cccd", _("Số căn cước này đã được dùng cho một tài khoản khác."), field="cccd"
        )
    if password is not None:
        _check_password(password, username=username, full_name=full_name)

    with transaction.atomic():
        user = User(username=username, full_name=full_name, email=email)
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        _insert_user(user)
        try:
            with transaction.atomic():
                CitizenProfile.objects.create(user=user, cccd=cccd, phone=phone, address=address.strip())
        except IntegrityError as exc:
            # Two registrations with one CCCD at the same moment: the unique index decides.
            raise Conflict(
                "duplicate_cccd", _("Số căn cước này đã được dùng cho một tài khoản khác."), field="cccd"
            ) from exc
        # Personal numbers never go into the audit trail in clear (Decree 13/2023 on personal data).
        after = _user_state(user) | {"kind": "citizen", "cccd": mask_cccd(cccd), "phone": mask_phone(phone)}
        audit_record(action="accounts.user_create", obj=user, after=after, actor=actor)
    return user


def _insert_user(user: User) -> None:
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError as exc:
        raise Conflict(
            "duplicate_username",
            _("Tên đăng nhập “%(username)s” đã được sử dụng.") % {"username": user.username},
            field="username",
        ) from exc


# --- grants ----------------------------------------------------------------------------------


def role_grant(*, user: User, role: Role | str, unit, actor=None) -> RoleGrant:
    """``user`` holds ``role`` on ``unit`` and every unit below it."""
    role = _resolve_role(role)
    if unit is None:
        raise ServiceError("required", _("Vui lòng chọn đơn vị."), field="unit")
    if not OfficialProfile.objects.filter(user=user).exists():
        raise ServiceError(
            "not_official",
            _("Chỉ cán bộ, công chức mới được phân vai trò; tài khoản này không có hồ sơ cán bộ."),
            field="user",
        )
    _require_grant_authority(actor=actor, user=user, role=role, unit=unit, action="add")

    with transaction.atomic():
        if RoleGrant.objects.filter(user=user, role=role, unit=unit).exists():
            raise Conflict("duplicate_grant", _("Người dùng đã có vai trò này trên đơn vị này."))
        try:
            with transaction.atomic():
                grant = RoleGrant.objects.create(user=user, role=role, unit=unit)
        except IntegrityError as exc:
            raise Conflict("duplicate_grant", _("Người dùng đã có vai trò này trên đơn vị này.")) from exc
        audit_record(action="accounts.role_grant", obj=grant, after=_grant_state(grant), actor=actor)
    _forget_cached_permissions(user)
    return grant


def role_revoke(*, user: User, role: Role | str, unit, actor=None) -> None:
    role = _resolve_role(role)
    grant = RoleGrant.objects.filter(user=user, role=role, unit=unit).first()
    if grant is None:
        raise NotFound("grant_not_found", _("Người dùng không có vai trò này trên đơn vị này."))
    _require_grant_authority(actor=actor, user=user, role=role, unit=unit, action="delete")

    with transaction.atomic():
        grant = RoleGrant.objects.select_for_update().select_related("user", "role", "unit").get(pk=grant.pk)
        before = _grant_state(grant)
        audit_record(action="accounts.role_revoke", obj=grant, before=before, actor=actor)
        grant.delete()
    _forget_cached_permissions(user)


# --- roles as data ---------------------------------------------------------------------------


@dataclass
class RoleSyncResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def role_definitions_load(path: Path | str | None = None) -> list[dict[str, Any]]:
    """The role definitions of ``path`` (default: the shipped ``data/roles.json``)."""
    path = Path(path) if path else ROLES_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ServiceError(
            "invalid_role_file",
            _("Không đọc được tệp vai trò %(path)s: %(error)s") % {"path": path, "error": exc},
        ) from exc
    roles = data.get("roles") if isinstance(data, dict) else data
    if not isinstance(roles, list):
        raise ServiceError("invalid_role_file", _("Tệp vai trò phải có danh sách “roles”."))
    return roles


def _validated_definitions(definitions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from cqs.core.modules import get_module

    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    wanted: set[tuple[str, str]] = set()
    for index, raw in enumerate(definitions, start=1):
        if not isinstance(raw, dict):
            raise ServiceError("invalid_role_definition", _("Vai trò thứ %(n)s không hợp lệ.") % {"n": index})
        code = str(raw.get("code") or "")
        if not code or slugify(code) != code or len(code) > 50:
            raise ServiceError(
                "invalid_role_definition",
                _("Mã vai trò “%(code)s” không hợp lệ (chữ thường không dấu, số, dấu gạch ngang).")
                % {"code": code},
                field="code",
            )
        if code in seen:
            raise ServiceError("invalid_role_definition", _("Mã vai trò “%(code)s” bị lặp.") % {"code": code})
        seen.add(code)
        name = " ".join(str(raw.get("name") or "").split())
        if not name or len(name) > 200:
            raise ServiceError(
                "invalid_role_definition",
                _("Vai trò “%(code)s” phải có tên (không quá 200 ký tự).") % {"code": code},
                field="name",
            )
        requires_2fa = raw.get("requires_2fa", False)
        modules = raw.get("modules", [])
        permissions = raw.get("permissions", [])
        if (
            not isinstance(requires_2fa, bool)
            or not isinstance(modules, list)
            or not isinstance(permissions, list)
        ):
            raise ServiceError(
                "invalid_role_definition",
                _("Vai trò “%(code)s”: requires_2fa phải là true/false, modules và permissions là danh sách.")
                % {"code": code},
            )
        unknown_modules = [m for m in modules if not isinstance(m, str) or get_module(m) is None]
        if unknown_modules:
            raise ServiceError(
                "unknown_module",
                _("Vai trò “%(code)s” có phân hệ không tồn tại: %(modules)s")
                % {"code": code, "modules": ", ".join(map(str, unknown_modules))},
                field="modules",
            )
        pairs = []
        for perm in permissions:
            if not isinstance(perm, str) or perm.count(".") != 1:
                raise ServiceError(
                    "unknown_permission",
                    _("Quyền “%(perm)s” của vai trò “%(code)s” phải có dạng ứng_dụng.mã_quyền.")
                    % {"perm": perm, "code": code},
                    field="permissions",
                )
            pairs.append(tuple(perm.split(".", 1)))
        wanted.update(pairs)
        cleaned.append(
            {
                "code": code,
                "name": name,
                "description": str(raw.get("description") or "").strip(),
                "requires_2fa": requires_2fa,
                "modules": list(dict.fromkeys(modules)),
                "permissions": sorted(set(pairs)),
            }
        )
    found = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.filter(
            content_type__app_label__in={a for a, _c in wanted}, codename__in={c for _a, c in wanted}
        ).select_related("content_type")
    }
    missing = sorted(f"{a}.{c}" for a, c in wanted - found.keys())
    if missing:
        raise ServiceError(
            "unknown_permission",
            _("Các quyền sau không tồn tại (đã chạy cqs migrate chưa?): %(perms)s")
            % {"perms": ", ".join(missing)},
            field="permissions",
        )
    for definition in cleaned:
        definition["permission_objects"] = [found[pair] for pair in definition["permissions"]]
    return cleaned


def _role_state(role: Role) -> dict[str, Any]:
    perms = sorted(f"{a}.{c}" for a, c in role.permissions.values_list("content_type__app_label", "codename"))
    return {
        "code": role.code,
        "name": role.name,
        "description": role.description,
        "requires_2fa": role.requires_2fa,
        "modules": list(role.modules or []),
        "permissions": perms,
    }


def role_sync(*, definitions: list[dict[str, Any]], actor=None) -> RoleSyncResult:
    """Create or update the roles described by ``definitions``; a second run changes nothing.

    Roles missing from the definitions are left alone: they may still be granted, and a role is
    retired by an administrator, not by a file edit.
    """
    cleaned = _validated_definitions(definitions)
    result = RoleSyncResult()
    with transaction.atomic():
        for definition in cleaned:
            role = Role.objects.select_for_update().filter(code=definition["code"]).first()
            wanted = {
                "code": definition["code"],
                "name": definition["name"],
                "description": definition["description"],
                "requires_2fa": definition["requires_2fa"],
                "modules": definition["modules"],
                "permissions": [f"{a}.{c}" for a, c in definition["permissions"]],
            }
            before = _role_state(role) if role else None
            if before == wanted:
                result.unchanged.append(role.code)
                continue
            if role is None:
                role = Role(code=definition["code"])
            role.name = definition["name"]
            role.description = definition["description"]
            role.requires_2fa = definition["requires_2fa"]
            role.modules = definition["modules"]
            role.save()
            role.permissions.set(definition["permission_objects"])
            action = "accounts.role_update" if before else "accounts.role_create"
            audit_record(action=action, obj=role, before=before, after=wanted, actor=actor)
            (result.updated if before else result.created).append(role.code)
    return result


# --- sign-in and the second factor -----------------------------------------------------------


def user_login(*, request, user: User, method: str = LOGIN_METHOD_PASSWORD) -> None:
    """Open a session for ``user``, whose identity ``method`` has already proven: the password
    (checked by the login form) or an identity provider (``LOGIN_METHOD_VNEID``)."""
    # A provider's sign-in did not go through ``authenticate``: name the backend that will load
    # the user from the session on the next requests.
    backend = None if hasattr(user, "backend") else "django.contrib.auth.backends.ModelBackend"
    with transaction.atomic():
        auth_login(request, user, backend=backend)
        # Set after auth_login, which empties the session when another account was signed in.
        request.session[LOGIN_METHOD_SESSION_KEY] = method
        audit_record(action="accounts.login", obj=user, after={"method": method}, actor=user)


def user_logout(*, request) -> None:
    user = request.user
    with transaction.atomic():
        if user.is_authenticated:
            audit_record(action="accounts.logout", obj=user, actor=user)
        auth_logout(request)


def _clean_token(token: str) -> str:
    token = "".join((token or "").split())
    if not token.isdigit() or len(token) not in (6, 8):
        raise ServiceError("invalid_token", _("Mã xác thực gồm 6 chữ số."), field="otp_token")
    return token


def totp_device_confirm(*, user: User, key: str, token: str) -> TOTPDevice:
    """Enrol the authenticator app holding ``key`` once the user proves it with ``token``.

    One device per user: a second device could otherwise be added by someone who only knows
    the password. Replacing a lost device is an administrator's act (delete it in the admin).
    """
    token = _clean_token(token)
    if django_otp.user_has_device(user):
        raise Conflict("totp_already_enabled", _("Tài khoản đã bật xác thực hai yếu tố."))
    device = TOTPDevice(user=user, name=_("Ứng dụng xác thực"), key=key, confirmed=True)
    try:
        device.full_clean(exclude=["user"])
    except ValidationError as exc:
        raise ServiceError("invalid_key", _("Khóa bí mật không hợp lệ, vui lòng tải lại trang.")) from exc
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if not totp.verify(int(token), device.tolerance):
        raise ServiceError(
            "invalid_token",
            _("Mã xác thực không đúng. Kiểm tra giờ trên điện thoại và nhập mã mới nhất."),
            field="otp_token",
        )
    # The token that confirmed the device cannot be replayed to verify a session.
    device.last_t = totp.t()
    with transaction.atomic():
        device.save()
        audit_record(action="accounts.totp_enable", obj=user, after={"device": device.name}, actor=user)
    _forget_cached_permissions(user)
    return device


def user_otp_verify(*, request, token: str):
    """Mark this session as verified with the second factor."""
    user = request.user
    token = _clean_token(token)
    devices = list(django_otp.devices_for_user(user))
    if not devices:
        raise ServiceError("no_device", _("Tài khoản chưa đăng ký ứng dụng xác thực."), field="otp_token")
    # Each wrong token makes the device wait longer before the next try (django-otp throttling).
    allowed = [device for device in devices if device.verify_is_allowed()[0]]
    if not allowed:
        raise ServiceError(
            "otp_throttled",
            _("Nhập sai mã quá nhiều lần. Vui lòng đợi ít phút rồi thử lại."),
            field="otp_token",
        )
    for device in allowed:
        verified = django_otp.verify_token(user, device.persistent_id, token)
        if verified is not None:
            with transaction.atomic():
                django_otp.login(request, verified)
                audit_record(action="accounts.otp_verify", obj=user, actor=user)
            return verified
    raise ServiceError("invalid_token", _("Mã xác thực không đúng hoặc đã hết hạn."), field="otp_token")


# --- sign-in through VNeID -------------------------------------------------------------------


def _refuse_vneid_for(user: User) -> None:
    # Officials sign in with their own account, password and (for administrators) TOTP: a
    # VNeID session must never carry an official's powers.
    if user.is_official or user.is_staff or user.is_superuser:
        # The user id only: CCCD and phone numbers never go to the logs.
        logger.warning("VNeID sign-in refused for official account id=%s", user.pk)
        raise Forbidden(
            "official_vneid_refused",
            _(
                "Tài khoản cán bộ, công chức không được đăng nhập bằng VNeID trên hệ thống này. "
                "Vui lòng đăng nhập bằng tên đăng nhập và mật khẩu."
            ),
        )
    if not user.is_active:
        raise Forbidden("inactive", _("Tài khoản này đã bị khóa. Vui lòng liên hệ quản trị viên."))


def _vneid_username() -> str:
    # Neither the CCCD nor the name: usernames appear in the audit trail and in logs.
    for _attempt in range(5):
        username = f"vneid.{secrets.token_hex(5)}"
        if not User.objects.filter(username__iexact=username).exists():
            return username
    raise Conflict("duplicate_username", _("Không tạo được tên đăng nhập, vui lòng thử lại."))


def _link_state(identity: ExternalIdentity, *, cccd: str, created_account: bool) -> dict[str, Any]:
    return {
        "provider": identity.provider,
        "subject": identity.subject,
        "cccd": mask_cccd(cccd),
        "created_account": created_account,
    }


def citizen_login_vneid(*, subject: str, cccd: str, full_name: str, phone: str = "") -> User:
    """The citizen VNeID knows as ``subject``, for a sign-in: found by an earlier link, else the
    citizen with this CCCD number (linked now), else a new citizen account (created and linked).

    The caller has validated the id_token; opening the session is ``user_login``. Refused for an
    official's account and for an identity whose CCCD differs from the linked account's.
    """
    subject = (subject or "").strip()
    if not subject or len(subject) > 255:
        raise ServiceError("invalid_identity", _("VNeID không trả về mã định danh hợp lệ."))
    cccd = _clean_cccd(cccd)
    full_name = _clean_full_name(full_name)
    try:
        phone = _clean_phone(phone)
    except ServiceError:
        # A number in a format we do not know must not block the sign-in; it is only a contact.
        phone = ""

    with transaction.atomic():
        identity = (
            # ``of``: PostgreSQL cannot lock the nullable side of the join to the citizen profile.
            ExternalIdentity.objects.select_for_update(of=("self",))
            .select_related("user__citizen_profile")
            .filter(provider=VNEID_PROVIDER, subject=subject)
            .first()
        )
        if identity is not None:
            user = identity.user
            _refuse_vneid_for(user)
            profile = getattr(user, "citizen_profile", None)
            if profile is not None and profile.cccd != cccd:
                raise Conflict(
                    "identity_mismatch",
                    _(
                        "Số định danh VNeID trả về không khớp với tài khoản đã liên kết. "
                        "Vui lòng liên hệ bộ phận hỗ trợ."
                    ),
                )
            identity.last_login_at = timezone.now()
            identity.save(update_fields=["last_login_at"])
            return user

        profile = CitizenProfile.objects.select_related("user").filter(cccd=cccd).first()
        if profile is not None:
            user = profile.user
            _refuse_vneid_for(user)
            if ExternalIdentity.objects.filter(user=user, provider=VNEID_PROVIDER).exists():
                raise Conflict(
                    "identity_mismatch",
                    _("Tài khoản có số căn cước này đã được liên kết với một định danh VNeID khác."),
                )
            created_account = False
        else:
            user = user_create_citizen(
                username=_vneid_username(), password=None, full_name=full_name, cccd=cccd, phone=phone
            )
            created_account = True
        try:
            with transaction.atomic():
                identity = ExternalIdentity.objects.create(
                    user=user, provider=VNEID_PROVIDER, subject=subject, last_login_at=timezone.now()
                )
        except IntegrityError as exc:
            # The same person finishing two sign-ins at once: the unique index decides.
            raise Conflict(
                "identity_already_linked", _("Định danh VNeID này vừa được liên kết, vui lòng thử lại.")
            ) from exc
        audit_record(
            action="accounts.external_identity_link",
            obj=user,
            after=_link_state(identity, cccd=cccd, created_account=created_account),
            actor=None,
        )
    return user
