"""``/api/v1/org-units/``: the organisation tree, read-only.

Any signed-in user may read every unit, with no unit-scoped restriction: the tree is public
information (units, names and codes are published in the decisions that create them), and every
module needs to name units outside the user's own scope (the recipient of a document, the
successor of a commune). Anonymous access is refused like the rest of the API; open publication
is the open-data portal's job.
"""

import re
from datetime import date

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated

from cqs.core.exceptions import ServiceError
from cqs.orgs import selectors
from cqs.orgs.api.serializers import OrgUnitDetailSerializer, OrgUnitSerializer
from cqs.orgs.validators import IDENTIFIER_RE

_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no", ""}
_DIGITS = re.compile(r"^[0-9]{1,18}\Z")


def _invalid(field: str, message: str) -> ServiceError:
    return ServiceError("invalid", message, field=field)


def parse_filters(params) -> dict:
    """Query parameters → arguments of ``selectors.orgunit_list``; a bad value is refused with
    code ``invalid`` rather than ignored, so a typo never returns the whole tree."""
    every_version = params.get("all", "").strip().lower()
    if every_version not in _TRUE | _FALSE:
        raise _invalid("all", _("Tham số all chỉ nhận true hoặc false."))
    filters: dict = {}
    raw_date = params.get("as_of", "").strip()
    if every_version in _TRUE:
        if raw_date:
            raise _invalid("as_of", _("Không dùng đồng thời all=true và as_of."))
        filters["as_of"] = None
    elif raw_date:
        try:
            filters["as_of"] = date.fromisoformat(raw_date)
        except ValueError:
            raise _invalid(
                "as_of", _("Ngày “%(value)s” không hợp lệ; dùng dạng YYYY-MM-DD.") % {"value": raw_date}
            ) from None
    else:
        filters["as_of"] = selectors.today()
    identifier, code = params.get("identifier", "").strip(), params.get("code", "").strip()
    if identifier and code and identifier != code:
        raise _invalid("code", _("Tham số code là tên khác của identifier; hai giá trị phải giống nhau."))
    identifier = identifier or code
    if identifier and not IDENTIFIER_RE.match(identifier):
        raise _invalid(
            "identifier",
            _("Mã định danh “%(value)s” không đúng định dạng (ví dụ 000.00.00.H62).") % {"value": identifier},
        )
    filters["identifier"] = identifier
    kind_code = params.get("kind", "").strip()
    if kind_code:
        filters["kind"] = selectors.orgunit_kind_get(kind_code)
        if filters["kind"] is None:
            raise _invalid("kind", _("Không có loại đơn vị “%(value)s”.") % {"value": kind_code})
    parent = params.get("parent", "").strip()
    if parent:
        if not _DIGITS.match(parent):
            raise _invalid("parent", _("Tham số parent phải là số id của đơn vị."))
        if selectors.orgunit_get(int(parent)) is None:
            raise _invalid("parent", _("Không có đơn vị id %(value)s.") % {"value": parent})
        filters["parent_id"] = int(parent)
    division_code = params.get("division_code", "").strip()
    if division_code and not _DIGITS.match(division_code):
        raise _invalid("division_code", _("Mã đơn vị hành chính chỉ gồm chữ số."))
    filters["division_code"] = division_code
    return filters


_FILTERS = [
    OpenApiParameter(
        "as_of",
        OpenApiTypes.DATE,
        description="Ngày xem cây tổ chức (YYYY-MM-DD); mặc định hôm nay. Chỉ trả về các phiên bản "
        "có hiệu lực ngày đó (valid_from <= as_of < valid_to).",
    ),
    OpenApiParameter(
        "all",
        OpenApiTypes.BOOL,
        description="true: trả về mọi phiên bản, kể cả đã hết hiệu lực (bỏ qua as_of).",
    ),
    OpenApiParameter(
        "identifier",
        OpenApiTypes.STR,
        description="Mã định danh điện tử theo QĐ 20/2020/QĐ-TTg, ví dụ 000.00.00.H62.",
    ),
    OpenApiParameter("code", OpenApiTypes.STR, description="Tên khác của identifier."),
    OpenApiParameter("kind", OpenApiTypes.STR, description="Mã loại đơn vị, ví dụ ubnd-tinh, so, huyen, xa."),
    OpenApiParameter("parent", OpenApiTypes.INT, description="Id của đơn vị cấp trên (một phiên bản)."),
    OpenApiParameter(
        "division_code", OpenApiTypes.STR, description="Mã đơn vị hành chính (Tổng cục Thống kê)."
    ),
]


class OrgUnitListView(generics.ListAPIView):
    """Organisation units in force on a date (or every version), in tree order."""

    serializer_class = OrgUnitSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return selectors.orgunit_list(**parse_filters(self.request.query_params))

    @extend_schema(
        summary="Danh sách đơn vị", parameters=_FILTERS, description="Cây tổ chức theo ngày, theo thứ tự cây."
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class OrgUnitDetailView(generics.RetrieveAPIView):
    """One unit version with its ancestors, predecessors and successors."""

    serializer_class = OrgUnitDetailSerializer
    permission_classes = [IsAuthenticated]

    def get_object(self):
        unit = selectors.orgunit_get(self.kwargs["pk"])
        if unit is None:
            raise NotFound
        return unit

    @extend_schema(summary="Chi tiết đơn vị")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
