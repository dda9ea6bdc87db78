"""The documents API: work lists, one document with its trace, drafting and signing outgoing
documents, registering and handling incoming ones, scanned paper documents, search, registers.

For officials only (a citizen gets 403). Who sees what is ``selectors.documents_visible``: a
document the caller may not see is a 404, never a 403, so that ids reveal nothing. What may be
done is the services' decision; their ``ServiceError`` becomes ``application/problem+json``
(400/403/404/409) in ``cqs.core.api``. Views only read input, resolve ids and call a service.

Full-text search is its own endpoint, ``documents/search/``, and not a ``q`` on the list: it
pages by page number and answers each hit with a rank and a highlight, which the list has not.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from cqs.accounts.models import User
from cqs.core.api import DownloadNegotiation
from cqs.core.exceptions import Conflict, ServiceError
from cqs.documents import selectors, services
from cqs.documents.api.serializers import (
    DocumentActionSerializer,
    DocumentDetailSerializer,
    DocumentFileSerializer,
    DocumentFilterSerializer,
    DocumentSummarySerializer,
    FileUploadSerializer,
    IncomingScanSerializer,
    OutgoingCreateSerializer,
    RegisterBookSerializer,
    RegisteredSerializer,
    RegisterEntrySerializer,
    RegisterFilterSerializer,
    RegisterManySerializer,
    SearchPageSerializer,
    SearchQuerySerializer,
    SigningFinishSerializer,
    SigningPreparedSerializer,
)
from cqs.documents.choices import AssignmentRole, Direction, FileRole, IncomingStatus, OutgoingState
from cqs.documents.models import INCOMING_OPEN, Assignment, Document
from cqs.orgs.models import OrgUnit

TAGS = ["documents"]
IDEMPOTENCY_HEADER = "Idempotency-Key"
_REFUSED = {
    401: OpenApiResponse(description="Chưa đăng nhập (application/problem+json, code not_authenticated)."),
    403: OpenApiResponse(
        description="Không phải cán bộ, hoặc không có quyền (problem+json, ví dụ document_forbidden)."
    ),
    404: OpenApiResponse(description="Không có văn bản này hoặc người gọi không được xem (problem+json)."),
}
_INVALID = {400: OpenApiResponse(description="Dữ liệu không hợp lệ (application/problem+json, có `code`).")}
_CONFLICT = {
    409: OpenApiResponse(
        description=(
            "Không thực hiện được ở trạng thái hiện tại (problem+json, ví dụ invalid_state, "
            "duplicate_document, wrong_direction)."
        )
    )
}
_LIST_REFUSED = {400: _INVALID[400], 401: _REFUSED[401], 403: _REFUSED[403]}


class IsOfficial(BasePermission):
    """Documents are the administration's: officials (and administrators) only."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_superuser or user.is_official))


class DocumentPagination(LimitOffsetPagination):
    max_limit = 200


class _DocumentsView(APIView):
    permission_classes = [IsOfficial]


# --- helpers -----------------------------------------------------------------------------------


def _visible(request, pk: int) -> Document:
    document = selectors.document_get(request.user, pk)
    if document is None:
        raise NotFound
    return document


def _files(document: Document):
    # An incoming record shows only its current files: a recalled one has none left to show
    # (Art. 18.4: the receiver destroys it). An outgoing one keeps its versions, marked.
    files = document.files.order_by("pk")
    return files.filter(current=True) if document.is_incoming else files


def _detail(request, document: Document, *, status_code: int = status.HTTP_200_OK) -> Response:
    context = {
        "request": request,
        "files": list(_files(document)),
        "trace": list(selectors.trace(document)),
    }
    return Response(DocumentDetailSerializer(document, context=context).data, status=status_code)


def _after(request, document: Document, *, status_code: int = status.HTTP_200_OK) -> Response:
    reloaded = selectors.document_get(request.user, document.pk)
    if reloaded is None:
        return Response(status=status.HTTP_204_NO_CONTENT)
    return _detail(request, reloaded, status_code=status_code)


def _own_unit(request, unit_id: int | None) -> OrgUnit:
    """The unit named in the request, or the caller's own; the services check the grant."""
    if unit_id is not None:
        unit = OrgUnit.objects.filter(pk=unit_id).first()
    else:
        profile = getattr(request.user, "official_profile", None)
        unit = profile.unit if profile is not None else None
    if unit is None:
        raise ServiceError("unknown_unit", _("Không tìm thấy đơn vị."), field="unit")
    return unit


def _user(pk: int | None, *, code: str, message: str, field: str):
    """A user named by id; an unknown id reads as the service's own refusal of that person."""
    if pk is None:
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None:
        raise ServiceError(code, message, field=field)
    return user


def _users(pks: list[int], *, field: str) -> list:
    found = {u.pk: u for u in User.objects.filter(pk__in=pks, is_active=True)}
    if len(found) != len(set(pks)):
        raise ServiceError(
            "invalid_handler", _("Người được giao không xử lý được văn bản của đơn vị này."), field=field
        )
    return [found[pk] for pk in dict.fromkeys(pks)]


def _direction_required(document: Document, direction: str) -> None:
    if document.direction != direction:
        message = (
            _("Thao tác này chỉ dành cho văn bản đến.")
            if direction == Direction.INCOMING
            else _("Thao tác này chỉ dành cho văn bản đi.")
        )
        raise Conflict("wrong_direction", message)


# --- list --------------------------------------------------------------------------------------


_LIST_SCHEMA = extend_schema(
    tags=TAGS,
    summary="Danh sách văn bản",
    description=(
        "Văn bản người gọi được xem: của các đơn vị trong phạm vi được phân quyền, và các văn bản "
        "được giao xử lý, được trình ký hoặc do mình soạn. Mới nhất trước. Tìm toàn văn: "
        "`GET /api/v1/documents/search/`."
    ),
    parameters=[
        OpenApiParameter(
            "direction", OpenApiTypes.STR, enum=Direction.values, description="in: đến; out: đi."
        ),
        OpenApiParameter(
            "status",
            OpenApiTypes.STR,
            enum=[*OutgoingState.values, *IncomingStatus.values],
            description="Trạng thái văn bản đi (draft…recalled) hoặc mã trạng thái văn bản đến (01…15).",
        ),
        OpenApiParameter("type_code", OpenApiTypes.STR, description="Mã loại văn bản, ví dụ CV, QĐ."),
        OpenApiParameter("unit", OpenApiTypes.INT, description="Đơn vị giữ văn bản (id)."),
        OpenApiParameter("urgency", OpenApiTypes.INT, enum=[0, 1, 2, 3], description="Độ khẩn (Priority)."),
        OpenApiParameter(
            "overdue",
            OpenApiTypes.BOOL,
            description="true: văn bản đến chưa xong đã quá hạn xử lý; false: còn lại.",
        ),
        OpenApiParameter(
            "assigned_to_me",
            OpenApiTypes.BOOL,
            description="Văn bản đến mình đang chủ trì hoặc phối hợp xử lý.",
        ),
        OpenApiParameter("to_sign", OpenApiTypes.BOOL, description="Văn bản đi đang chờ mình ký."),
    ],
    responses={200: DocumentSummarySerializer(many=True), **_LIST_REFUSED},
)


@extend_schema_view(get=_LIST_SCHEMA)
class DocumentListView(generics.ListAPIView):
    serializer_class = DocumentSummarySerializer
    pagination_class = DocumentPagination
    permission_classes = [IsOfficial]

    def get_queryset(self):
        filters = DocumentFilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        user = self.request.user
        documents = selectors.documents_visible(user).select_related(*selectors.LIST_RELATED)
        if "direction" in data:
            documents = documents.filter(direction=data["direction"])
        if "status" in data:
            documents = documents.filter(Q(state=data["status"]) | Q(status=data["status"]))
        if "type_code" in data:
            documents = documents.filter(type_code=data["type_code"])
        if "unit" in data:
            documents = documents.filter(unit_id=data["unit"])
        if "urgency" in data:
            documents = documents.filter(urgency=data["urgency"])
        if data["overdue"] is not None:
            late = Q(
                direction=Direction.INCOMING,
                status__in=INCOMING_OPEN,
                handling_due_date__lt=timezone.localdate(),
            )
            documents = documents.filter(late) if data["overdue"] else documents.exclude(late)
        if data["assigned_to_me"]:
            mine = Assignment.objects.filter(
                document=OuterRef("pk"),
                user=user,
                active=True,
                role__in=[AssignmentRole.LEAD, AssignmentRole.CO],
            )
            documents = documents.filter(Exists(mine))
        if data["to_sign"]:
            documents = documents.filter(
                direction=Direction.OUTGOING, state=OutgoingState.REVIEW, signer=user
            )
        return documents.order_by("-created_at", "-pk")


# --- search ------------------------------------------------------------------------------------


def _documents_search():
    # Imported when called: the search module is optional for the rest of the API.
    from cqs.documents.search import documents_search

    return documents_search


@extend_schema(
    tags=TAGS,
    summary="Tìm kiếm văn bản",
    description=(
        "Tìm toàn văn trong trích yếu, thông tin và nội dung tệp, không phân biệt dấu tiếng Việt "
        "(“quyet dinh” tìm được “quyết định”; đúng dấu xếp trước). Chỉ trong các văn bản người gọi "
        "được xem. Không có `q`: danh sách theo bộ lọc, mới nhất trước. `highlight` là HTML an toàn, "
        "từ khớp nằm trong `<mark>`. Phân trang theo `page` và `per_page` (tối đa 100)."
    ),
    parameters=[
        OpenApiParameter("q", OpenApiTypes.STR, description="Từ khóa, tối đa 200 ký tự."),
        OpenApiParameter("page", OpenApiTypes.INT, description="Trang, từ 1."),
        OpenApiParameter(
            "per_page", OpenApiTypes.INT, description="Số kết quả mỗi trang (1–100, mặc định 20)."
        ),
        OpenApiParameter("direction", OpenApiTypes.STR, enum=Direction.values),
        OpenApiParameter(
            "status",
            OpenApiTypes.STR,
            enum=[*OutgoingState.values, *IncomingStatus.values],
            description="Trạng thái văn bản đi hoặc mã trạng thái văn bản đến.",
        ),
        OpenApiParameter("type_code", OpenApiTypes.STR, description="Mã loại văn bản."),
        OpenApiParameter(
            "organ", OpenApiTypes.STR, description="Tên cơ quan ban hành có chứa (không phân biệt dấu)."
        ),
        OpenApiParameter("unit", OpenApiTypes.INT, description="Đơn vị giữ văn bản (id)."),
        OpenApiParameter("urgency", OpenApiTypes.INT, enum=[0, 1, 2, 3], description="Độ khẩn."),
        OpenApiParameter("date_from", OpenApiTypes.DATE, description="Ngày ban hành hoặc ngày đến, từ."),
        OpenApiParameter("date_to", OpenApiTypes.DATE, description="Ngày ban hành hoặc ngày đến, đến."),
    ],
    responses={200: SearchPageSerializer, **_LIST_REFUSED},
)
class DocumentSearchView(_DocumentsView):
    def get(self, request):
        query = SearchQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        data = dict(query.validated_data)
        q, page, per_page = data.pop("q").strip(), data.pop("page"), data.pop("per_page")
        found = _documents_search()(user=request.user, q=q, filters=data, page=page, per_page=per_page)
        context = {"request": request}
        results = [
            {
                **DocumentSummarySerializer(hit.document, context=context).data,
                "rank": float(hit.rank or 0),
                "highlight": str(hit.highlight or ""),
            }
            for hit in found.items
        ]
        body = {
            "total": found.total,
            "total_capped": bool(getattr(found, "total_capped", False)),
            "page": found.page,
            "pages": found.pages,
            "per_page": found.per_page,
            "results": results,
        }
        return Response(body)


# --- one document ------------------------------------------------------------------------------


@extend_schema(
    tags=TAGS,
    summary="Chi tiết văn bản",
    description=(
        "Các trường Phụ lục VI NĐ 30/2020 theo tên tiếng Anh của chuẩn (CodeNumber, OrganName, "
        "SignerInfo…), tệp, nơi nhận và trạng thái họ báo lại, phân công xử lý, quá trình xử lý "
        "(TraceHeaderList) và kết quả kiểm tra chữ ký số khi văn bản đến."
    ),
    responses={200: DocumentDetailSerializer, 401: _REFUSED[401], 403: _REFUSED[403], 404: _REFUSED[404]},
)
class DocumentDetailView(_DocumentsView):
    def get(self, request, pk: int):
        return _detail(request, _visible(request, pk))


@extend_schema(
    tags=TAGS,
    summary="Soạn văn bản đi",
    description=(
        "Tạo dự thảo văn bản đi của đơn vị (quyền soạn thảo). Nơi nhận là đơn vị trong nền tảng "
        "(`unit`) hoặc cơ quan ngoài nền tảng (`organ_id`, `organ_name`), gửi qua trục liên thông. "
        "Tải tệp PDF lên bằng `POST /api/v1/documents/{id}/files/` rồi trình ký. Với tiêu đề "
        "`Idempotency-Key`, gửi lại cùng khóa trả về dự thảo đã tạo (200, tiêu đề "
        "`Idempotent-Replayed: true`) thay vì tạo dự thảo mới."
    ),
    parameters=[
        OpenApiParameter(
            IDEMPOTENCY_HEADER,
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            description="Khóa chống gửi trùng, tối đa 64 ký tự, do ứng dụng tạo cho mỗi dự thảo.",
        )
    ],
    request=OutgoingCreateSerializer,
    responses={
        201: DocumentDetailSerializer,
        200: OpenApiResponse(DocumentDetailSerializer, description="Gửi lại với cùng Idempotency-Key."),
        **_INVALID,
        401: _REFUSED[401],
        403: _REFUSED[403],
    },
)
class OutgoingCreateView(_DocumentsView):
    def post(self, request):
        serializer = OutgoingCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        unit = _own_unit(request, data.pop("unit"))
        recipients = [
            services.RecipientSpec(unit_id=r["unit"], organ_id=r["organ_id"], organ_name=r["organ_name"])
            for r in data.pop("recipients")
        ]
        document, created = services.outgoing_create_once(
            actor=request.user,
            client_token=request.headers.get(IDEMPOTENCY_HEADER, ""),
            unit=unit,
            recipients=recipients,
            **data,
        )
        response = _after(
            request, document, status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )
        response["Location"] = reverse("documents-api-detail", args=[document.pk])
        if not created:
            response["Idempotent-Replayed"] = "true"
        return response


@extend_schema(
    tags=TAGS,
    summary="Vào sổ văn bản đến bản giấy",
    description=(
        "Văn thư số hóa văn bản giấy: các trường Phụ lục VI theo tên của chuẩn, bản quét PDF "
        "(`file`) và phụ lục (`appendix`, nhiều phần). Văn bản được ghi nhận và vào sổ ngay. Nếu "
        "đơn vị đã có văn bản cùng số, ký hiệu và cơ quan ban hành: 409 `duplicate_document`; gửi "
        "lại với `confirm_duplicate=true` để vẫn vào sổ."
    ),
    request={"multipart/form-data": IncomingScanSerializer},
    responses={
        201: DocumentDetailSerializer,
        **_INVALID,
        401: _REFUSED[401],
        403: _REFUSED[403],
        **_CONFLICT,
    },
)
class IncomingScanView(_DocumentsView):
    def post(self, request):
        serializer = IncomingScanSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        unit = _own_unit(request, data.pop("unit"))
        scan = data.pop("file")
        files = [(scan.name, scan.read(), FileRole.MAIN)]
        files += [(upload.name, upload.read(), FileRole.APPENDIX) for upload in data.pop("appendix")]
        confirm = data.pop("confirm_duplicate")
        document = services.incoming_scan(
            actor=request.user, unit=unit, meta=data, files=files, confirm_duplicate=confirm
        )
        response = _after(request, document, status_code=status.HTTP_201_CREATED)
        response["Location"] = reverse("documents-api-detail", args=[document.pk])
        return response


@extend_schema(
    tags=TAGS,
    summary="Tải tệp lên dự thảo",
    description=(
        "Tệp PDF của dự thảo văn bản đi: `main` là văn bản (thay bản trước), `appendix` là phụ lục. "
        "Chỉ khi văn bản còn là dự thảo."
    ),
    request={"multipart/form-data": FileUploadSerializer},
    responses={201: DocumentFileSerializer, **_INVALID, **_REFUSED, **_CONFLICT},
)
class FileUploadView(_DocumentsView):
    def post(self, request, pk: int):
        document = _visible(request, pk)
        _direction_required(document, Direction.OUTGOING)
        serializer = FileUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        stored = services.outgoing_file_add(
            actor=request.user,
            document=document,
            name=upload.name,
            data=upload.read(),
            role=serializer.validated_data["role"],
        )
        return Response(
            DocumentFileSerializer(stored, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


@extend_schema(
    tags=TAGS,
    summary="Tải tệp của văn bản về",
    description="Văn bản đến chỉ tải được các tệp hiện hành: văn bản đã bị thu hồi không còn tệp.",
    responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **_REFUSED},
)
class FileDownloadView(_DocumentsView):
    content_negotiation_class = DownloadNegotiation

    def get(self, request, pk: int, file_id: int):
        document = _visible(request, pk)
        stored = _files(document).filter(pk=file_id).first()
        if stored is None:
            raise NotFound
        response = FileResponse(
            stored.file.open("rb"), as_attachment=True, filename=stored.name, content_type=stored.content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


# --- actions -----------------------------------------------------------------------------------


def _act(request, document: Document, data: dict) -> Document:
    """Dispatch one action to its service; returns the document to answer with."""
    action, actor = data["action"], request.user
    outgoing = {"submit", "return", "sign", "issue", "recall", "supersede"}
    _direction_required(document, Direction.OUTGOING if action in outgoing else Direction.INCOMING)
    if action == "submit":
        signer = _user(
            data["signer"],
            code="invalid_signer",
            message=_("Người được trình không có thẩm quyền ký văn bản của đơn vị."),
            field="signer",
        )
        return services.outgoing_submit(actor=actor, document=document, signer=signer, note=data["note"])
    if action == "return":
        return services.outgoing_return(actor=actor, document=document, note=data["note"])
    if action == "sign":
        return services.outgoing_sign(actor=actor, document=document, competence=data["competence"])
    if action == "issue":
        return services.outgoing_issue(actor=actor, document=document)
    if action == "recall":
        return services.outgoing_recall(actor=actor, document=document, reason=data["reason"])
    if action == "supersede":
        return services.outgoing_supersede(
            actor=actor, document=document, kind=data["kind"] or 0, reason=data["reason"]
        )
    if action == "register":
        return services.incoming_register(
            actor=actor,
            document=document,
            confirm_duplicate=data["confirm_duplicate"],
            handling_due_date=data["handling_due_date"],
        )
    if action == "reject":
        return services.incoming_reject(actor=actor, document=document, reason=data["reason"])
    if action == "assign":
        lead = _user(
            data["lead"],
            code="invalid_handler",
            message=_("Người được giao không xử lý được văn bản của đơn vị này."),
            field="lead",
        )
        return services.incoming_assign(
            actor=actor,
            document=document,
            lead=lead,
            co=_users(data["co"], field="co"),
            info=_users(data["info"], field="info"),
            due_date=data["due_date"],
            instruction=data["instruction"],
        )
    if action == "opinion":
        return services.incoming_opinion(actor=actor, document=document, note=data["note"])
    return services.incoming_complete(actor=actor, document=document, note=data["note"])


@extend_schema(
    tags=TAGS,
    summary="Thực hiện thao tác trên văn bản",
    description=(
        "Văn bản đi: trình ký, trả lại, ký, phát hành (cấp số, đóng dấu, gửi), thu hồi, cập nhật "
        "hoặc thay thế. Văn bản đến: vào sổ, từ chối, phân công, ghi ý kiến, hoàn thành; mỗi bước "
        "được báo lại cho nơi gửi. Trả về văn bản sau thao tác; `supersede` trả về (201) dự thảo "
        "mới. Vào sổ văn bản trùng: 409 `duplicate_document`, gửi lại với `confirm_duplicate=true`."
    ),
    request=DocumentActionSerializer,
    responses={
        200: DocumentDetailSerializer,
        201: OpenApiResponse(DocumentDetailSerializer, description="supersede: dự thảo mới."),
        204: OpenApiResponse(description="Đã thực hiện; người gọi không còn quyền xem văn bản."),
        **_INVALID,
        **_REFUSED,
        **_CONFLICT,
    },
)
class DocumentActionView(_DocumentsView):
    def post(self, request, pk: int):
        document = _visible(request, pk)
        serializer = DocumentActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = _act(request, document, serializer.validated_data)
        if result.pk != document.pk:
            response = _after(request, result, status_code=status.HTTP_201_CREATED)
            response["Location"] = reverse("documents-api-detail", args=[result.pk])
            return response
        return _after(request, result)


@extend_schema(
    tags=TAGS,
    summary="Vào sổ nhiều văn bản đến",
    description=(
        "Văn thư vào sổ một lúc các văn bản đã đến (tối đa 500): số đến liên tiếp theo thứ tự đến, "
        "mỗi văn bản được báo trạng thái 03 cho nơi gửi. Một văn bản không vào sổ được (chưa đến, "
        "của đơn vị khác, trùng số chưa xác nhận) thì cả lô bị từ chối, không ghi gì."
    ),
    request=RegisterManySerializer,
    responses={200: RegisteredSerializer(many=True), **_INVALID, **_REFUSED, **_CONFLICT},
)
class RegisterManyView(_DocumentsView):
    def post(self, request):
        serializer = RegisterManySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        done = services.incoming_register_many(
            actor=request.user,
            documents=serializer.validated_data["documents"],
            confirm_duplicate=serializer.validated_data["confirm_duplicate"],
        )
        return Response(RegisteredSerializer(done, many=True).data)


# --- signing with a USB token ------------------------------------------------------------------


@extend_schema(
    tags=TAGS,
    summary="Chuẩn bị ký bằng thiết bị ký số (USB token)",
    description=(
        "Người được trình ký lấy dữ liệu cần ký cho bản dự thảo hiện tại; trình cắm ký số trên máy "
        "người ký (VGCA) ký `data_to_sign` (hoặc `digest`) rồi gửi lại qua `signing/finish/`. "
        "Mã `token` hết hạn sau ít phút. Docs: docs/signing.md."
    ),
    request=None,
    responses={200: SigningPreparedSerializer, **_REFUSED, **_CONFLICT},
)
class SigningPrepareView(_DocumentsView):
    def post(self, request, pk: int):
        import base64

        document = _visible(request, pk)
        prepared = services.outgoing_sign_prepare(actor=request.user, document=document)
        return Response(
            SigningPreparedSerializer(
                {
                    "token": prepared.token,
                    "data_to_sign": base64.b64encode(prepared.data_to_sign).decode(),
                    "digest": base64.b64encode(prepared.digest).decode(),
                    "digest_algorithm": prepared.digest_algorithm,
                    "expires_at": prepared.expires_at,
                }
            ).data
        )


@extend_schema(
    tags=TAGS,
    summary="Hoàn tất ký bằng thiết bị ký số",
    description=(
        "Gửi chữ ký của thiết bị và chứng thư số; văn bản được ký (chữ ký hiện như Phụ lục I NĐ "
        "30/2020) và chuyển sang chờ phát hành. Chữ ký sai, chứng thư khác, mã hết hạn hoặc của văn "
        "bản khác đều bị từ chối, văn bản không đổi."
    ),
    request=SigningFinishSerializer,
    responses={200: DocumentDetailSerializer, **_INVALID, **_REFUSED, **_CONFLICT},
)
class SigningFinishView(_DocumentsView):
    def post(self, request, pk: int):
        document = _visible(request, pk)
        serializer = SigningFinishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = services.outgoing_sign_finish(
            actor=request.user,
            document=document,
            token=data["token"],
            signature=data["signature"],
            certificate_pem=data["certificate_pem"].encode(),
            competence=data["competence"],
        )
        return _after(request, result)


# --- registers ---------------------------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="Sổ đăng ký văn bản",
        description=(
            "Sổ văn bản đi, văn bản đến (và sổ mật) của các đơn vị người gọi được xem, năm mới trước."
        ),
        parameters=[
            OpenApiParameter("unit", OpenApiTypes.INT, description="Đơn vị (id)."),
            OpenApiParameter("year", OpenApiTypes.INT, description="Năm."),
            OpenApiParameter("direction", OpenApiTypes.STR, enum=Direction.values),
        ],
        responses={200: RegisterBookSerializer(many=True), **_LIST_REFUSED},
    )
)
class RegisterListView(generics.ListAPIView):
    serializer_class = RegisterBookSerializer
    pagination_class = DocumentPagination
    permission_classes = [IsOfficial]

    def get_queryset(self):
        filters = RegisterFilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        books = selectors.registers_visible(self.request.user)
        if "unit" in data:
            books = books.filter(unit_id=data["unit"])
        if "year" in data:
            books = books.filter(year=data["year"])
        if "direction" in data:
            books = books.filter(direction=data["direction"])
        return books.order_by("unit__name", "-year", "direction", "secret", "pk")


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="Các dòng của sổ đăng ký",
        description="Văn bản trong sổ theo số thứ tự (Phụ lục IV NĐ 30/2020).",
        responses={200: RegisterEntrySerializer(many=True), **_REFUSED},
    )
)
class RegisterEntriesView(generics.ListAPIView):
    serializer_class = RegisterEntrySerializer
    pagination_class = DocumentPagination
    permission_classes = [IsOfficial]

    def get_queryset(self):
        book = selectors.registers_visible(self.request.user).filter(pk=self.kwargs["pk"]).first()
        if book is None:
            raise NotFound
        return selectors.register_entries(book)
