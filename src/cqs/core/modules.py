"""The modules of the platform, as one registry, and which of them a user may open.

Which modules a person sees is data (``Role.modules``, a list of module codes); this file only
names the modules and where they live. URL names are resolved when a page is drawn, not at
import, so a module whose pages are not registered yet shows as "đang xây dựng" instead of
breaking every page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Module:
    code: str
    name: str | Promise
    description: str | Promise
    url_name: str = ""
    # False for modules announced in plan 326 but not built yet: listed, never linked.
    available: bool = True
    # Citizens (and only they, besides officials granted it) see public modules.
    public: bool = False
    # Django admin turns away non-staff users, so a link to it would only lead to a login page.
    staff_only: bool = False

    @property
    def url(self) -> str | None:
        if not self.available or not self.url_name:
            return None
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return None

    @property
    def is_ready(self) -> bool:
        return self.url is not None


MODULES: tuple[Module, ...] = (
    Module(
        code="orgs",
        name=_("Cơ cấu tổ chức"),
        description=_("Cây đơn vị hành chính của tỉnh theo từng thời điểm, kể cả sắp xếp năm 2025."),
        url_name="orgs:tree",
    ),
    Module(
        code="plans",
        name=_("Kế hoạch 326/KH-UBND"),
        description=_("Mục tiêu, số liệu năm 2021, dự án, kinh phí và danh mục hệ thống thông tin."),
        url_name="plans:detail",
    ),
    Module(
        code="admin",
        name=_("Quản trị"),
        description=_("Danh mục, người dùng, vai trò và nhật ký hệ thống."),
        url_name="admin:index",
        staff_only=True,
    ),
    Module(
        code="onestop",
        name=_("Một cửa điện tử"),
        description=_("Tiếp nhận, giải quyết và trả kết quả hồ sơ thủ tục hành chính."),
        url_name="onestop:procedure-list",
    ),
    Module(
        code="documents",
        name=_("Quản lý văn bản"),
        description=_("Văn bản đến, văn bản đi, xử lý và ký số văn bản điện tử."),
        url_name="documents:dashboard",
    ),
    Module(
        code="reporting",
        name=_("Báo cáo"),
        description=_("Chế độ báo cáo, chỉ tiêu, kỳ báo cáo và tổng hợp số liệu."),
        url_name="reporting:home",
    ),
    Module(
        code="lgsp",
        name=_("LGSP"),
        description=_("Nền tảng tích hợp, chia sẻ dữ liệu cấp tỉnh."),
        url_name="lgsp:home",
    ),
    Module(
        code="feedback",
        name=_("Phản ánh kiến nghị"),
        description=_("Tiếp nhận, xử lý và công khai trả lời phản ánh, kiến nghị."),
        url_name="feedback:inbox",
    ),
    Module(
        code="ioc",
        name=_("IOC"),
        description=_("Trung tâm điều hành thông minh: chỉ số theo dõi so với mục tiêu kế hoạch."),
        available=False,
    ),
)

_BY_CODE = {module.code: module for module in MODULES}
_PUBLIC_CODES = frozenset(module.code for module in MODULES if module.public)


def get_module(code: str) -> Module | None:
    return _BY_CODE.get(code)


def granted_module_codes(grants) -> set[str]:
    """Union of ``Role.modules`` over ``grants`` (RoleGrant rows with their role loaded)."""
    codes: set[str] = set()
    for grant in grants:
        codes.update(code for code in (grant.role.modules or []) if isinstance(code, str))
    return codes


def modules_for(user, *, grants=None) -> list[Module]:
    """Modules ``user`` may open, in registry order.

    Superuser: all. Official: the union of the modules of the roles granted to them. Citizen:
    the public modules. Anonymous: none (they get the landing page). ``grants`` may be passed
    when the caller has already loaded ``user.grants.select_related("role")``.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return list(MODULES)
    if grants is None:
        grants = user.grants.select_related("role")
    codes = granted_module_codes(grants)
    if _PUBLIC_CODES and getattr(user, "is_citizen", False):
        codes.update(_PUBLIC_CODES)
    return [module for module in MODULES if module.code in codes and (not module.staff_only or user.is_staff)]
