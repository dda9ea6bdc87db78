"""Demo data of the LGSP: the province's registry, national services, consumers and a month of calls.

Loaded by ``cqs demo`` after the orgs and plans demos (it needs the unit tree and the plan's
Appendix 1). What it makes, through the services (so everything is validated and audited):

* **Members**: every unit in force today that has an electronic identifier (UBND tỉnh Phú Thọ
  and its communes), the former UBND tỉnh Vĩnh Phúc (its identifier is still on its documents),
  and the national bodies the platform talks to. Their level-1 codes are those of Decision
  09/2025/QĐ-TTg as quoted by the press (not checked against the Official Gazette): Văn phòng
  Chính phủ G22, Bộ Công an G01, Bộ Tài chính G12 (business registration since the 2025 merger of
  the Ministry of Planning and Investment), Bộ Khoa học và Công nghệ G06 (NDXP's operator since
  the 2025 merger of the Ministry of Information and Communications: our assumption).
* **Subsystems**: the 42 information systems of the plan's Appendix 1 (``HT01``…``HT42``, owned
  by the unit named in the plan when it exists today, else by the province), the platform's own
  modules (``MOTCUA``, ``VANBAN``, ``BAOCAO``) and its integration client ``CQS``, which holds the
  platform's API key (``outbound.py``), and the national systems (``DVCQG``, ``VDXP``, ``RIS``,
  ``DANCU``, ``NDXP``).
* **Services** with small OpenAPI 3.0 documents and endpoints: the population lookup, the
  business registration lookup, DVCQG, VDXP and the reporting system (upstreams: the settings of
  the fakes, ``cqs.fakes``), the one-stop dossier lookup and procedure catalogue of our own API,
  and one draft service of a provincial system.
* **Consumers**: grants of the platform to the national systems it calls, demo consumers (one
  with an endpoint-level grant, one group), an approved, a refused (with its legal basis) and two
  pending connection requests, one of them overdue.
* **Usage**: about 3,000 calls over the last 30 days written as the built-in gateway writes them
  (``logs/access-builtin-demo.jsonl``, never overwritten), then ingested (``usage.ingest_logs``).

Idempotent: what exists is left alone, so a second run adds nothing. The last step publishes the
registry to the gateway (``publish.publish_now``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cqs.lgsp import outbound, publish
from cqs.lgsp.choices import CodeListKind, DataClassification, MemberClass, ServiceStatus
from cqs.lgsp.models import (
    AccessGrant,
    ClientGroup,
    CodeList,
    ConnectionRequest,
    Credential,
    GatewayGeneration,
    Member,
    Service,
    Subsystem,
)
from cqs.lgsp.services import access, registry
from cqs.orgs.models import OrgUnit

# Where the fakes listen by default (cqs.fakes.registry); the settings win when they are set.
DEFAULT_URLS = {"CQS_DANCU_URL": "http://127.0.0.1:8108", "CQS_NDXP_URL": "http://127.0.0.1:8109"}
HISTORY_FILE = "access-builtin-demo.jsonl"
HISTORY_DAYS = 30
HISTORY_CALLS = 3000
DEMO_KEYS_FILE = "demo-consumers.json"
PLATFORM = "CQS"

# Level-1 codes of Decision 09/2025/QĐ-TTg, read in the press (baodautu.vn), not in the Gazette.
NATIONAL_MEMBERS = (
    ("000.00.00.G22", "Văn phòng Chính phủ"),
    ("000.00.00.G01", "Bộ Công an"),
    ("000.00.00.G12", "Bộ Tài chính"),
    ("000.00.00.G06", "Bộ Khoa học và Công nghệ"),
)
# (member code, subsystem code, name, description)
NATIONAL_SUBSYSTEMS = (
    ("000.00.00.G22", "DVCQG", "Cổng Dịch vụ công quốc gia", "Đồng bộ hồ sơ, tiến độ và danh mục thủ tục."),
    ("000.00.00.G22", "VDXP", "Trục liên thông văn bản quốc gia", "Gửi, nhận văn bản điện tử (edXML)."),
    ("000.00.00.G22", "RIS", "Hệ thống thông tin báo cáo Chính phủ", "Tiếp nhận báo cáo định kỳ."),
    ("000.00.00.G01", "DANCU", "Cơ sở dữ liệu quốc gia về dân cư", "Tra cứu, đối chiếu thông tin công dân."),
    (
        "000.00.00.G06",
        "NDXP",
        "Nền tảng tích hợp, chia sẻ dữ liệu quốc gia (NDXP)",
        "Cung cấp các dịch vụ dữ liệu quốc gia, trong đó có tra cứu thông tin đăng ký doanh nghiệp "
        "(dữ liệu của Bộ Tài chính).",
    ),
)
# The platform's own subsystems, members of the province.
OWN_SUBSYSTEMS = (
    ("MOTCUA", "Hệ thống thông tin giải quyết thủ tục hành chính (CQS)", "Một cửa điện tử của tỉnh."),
    ("VANBAN", "Hệ thống quản lý văn bản và điều hành (CQS)", "Văn bản đi, đến và liên thông."),
    ("BAOCAO", "Hệ thống thông tin báo cáo của tỉnh (CQS)", "Chế độ báo cáo, tổng hợp, gửi Chính phủ."),
    (
        PLATFORM,
        "Nền tảng CQS: kết nối với hệ thống quốc gia",
        "Tài khoản kết nối của chính nền tảng: các kết nối tới Cổng DVCQG, trục VDXP và hệ thống báo cáo "
        "Chính phủ đi qua cổng LGSP khi được cấu hình (CQS_LGSP_ROUTE).",
    ),
)
LEGAL_47 = "Nghị định 47/2020/NĐ-CP, sửa đổi bởi Nghị định 194/2025/NĐ-CP"


def _url(name: str) -> str:
    value = getattr(settings, name, None)
    return DEFAULT_URLS.get(name, "") if value is None else value


# --------------------------------------------------------------------------------------------
# OpenAPI documents
# --------------------------------------------------------------------------------------------

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}},
}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def openapi(title: str, description: str, version: str, operations: list[dict]) -> dict:
    """A small OpenAPI 3.0 document: ``operations`` are dicts with method, path, id, summary, and
    optionally body (a schema), ok (the 200 schema) and errors ({status: description})."""
    paths: dict[str, dict] = {}
    for op in operations:
        responses = {"200": _json(op.get("ok", {"type": "object"}), "Thành công")}
        for status, text in op.get("errors", {}).items():
            responses[str(status)] = _json(ERROR_SCHEMA, text)
        operation = {"operationId": op["id"], "summary": op["summary"], "responses": responses}
        if op.get("query"):
            operation["parameters"] = [
                {"name": name, "in": "query", "required": True, "schema": {"type": "string"}}
                for name in op["query"]
            ]
        if op.get("path_params"):
            operation.setdefault("parameters", []).extend(
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in op["path_params"]
            )
        if op.get("body") is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {op.get("body_type", "application/json"): {"schema": op["body"]}},
            }
        paths.setdefault(op["path"], {})[op["method"].lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": version, "description": description},
        "paths": paths,
        "components": {
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "oauth2": {
                    "type": "oauth2",
                    "flows": {"clientCredentials": {"tokenUrl": "/api/v1/lgsp/oauth/token", "scopes": {}}},
                },
            }
        },
        "security": [{"apiKey": []}, {"oauth2": []}],
    }


def _text_props(*names: str) -> dict:
    return {name: {"type": "string"} for name in names}


PLACE = {"type": "object", "properties": _text_props("MaDonViHanhChinh", "ChiTiet", "QuocGia")}
CITIZEN = {
    "type": "object",
    "description": "Thông tin công dân, tên trường theo QCVN 109:2017/BTTTT.",
    "properties": {
        "SoDinhDanh": {"type": "string", "pattern": "^[0-9]{12}$"},
        "HoVaTen": {"type": "object", "properties": _text_props("Ho", "ChuDem", "Ten")},
        "GioiTinh": {"type": "integer", "enum": [0, 1, 2]},
        "DanToc": {"type": "object", "properties": _text_props("MaDanToc", "TenGoi")},
        "TonGiao": {"type": "object", "properties": _text_props("MaTonGiao", "TenGoi")},
        "QuocTich": {"type": "string"},
        "TinhTrangHonNhan": {"type": "integer"},
        "NhomMau": {"type": "string"},
        "NgayThangNamSinh": {"type": "object", "properties": _text_props("NgayThangNam")},
        "NoiDangKyKhaiSinh": PLACE,
        "QueQuan": PLACE,
        "ThuongTru": PLACE,
        "NoiOHienTai": PLACE,
    },
}
ENTERPRISE = {
    "type": "object",
    "properties": {
        **_text_props(
            "MaSoDoanhNghiep",
            "TenDoanhNghiep",
            "TenVietTat",
            "LoaiHinhDoanhNghiep",
            "NgayThanhLap",
            "DiaChiTruSo",
            "TinhTrangHoatDong",
        ),
        "VonDieuLe": {"type": "integer"},
        "NganhNgheKinhDoanhChinh": {"type": "object", "properties": _text_props("MaNganh", "TenNganh")},
        "NguoiDaiDienTheoPhapLuat": {"type": "object", "properties": _text_props("HoVaTen", "ChucDanh")},
    },
}
DVCQG_ANSWER = {
    "type": "object",
    "properties": {"error_code": {"type": "integer"}, "message": {"type": "string"}},
}
VDXP_ANSWER = {"type": "object", "properties": _text_props("status", "ErrorCode", "ErrorDesc")}
VDXP_OPS = [
    ("sendEdoc", "Gửi gói tin edXML (văn bản hoặc trạng thái)"),
    ("getReceivedEdocList", "Danh sách gói tin chờ nhận"),
    ("getEdoc", "Tải một gói tin đã nhận"),
    ("updateStatus", "Xác nhận đã nhận hoặc nhận lỗi"),
    ("getAgenciesList", "Danh sách cơ quan kết nối trục"),
]


def _service_specs() -> list[dict]:
    """The demo's services: (provider subsystem, code, fields, endpoints)."""
    site = settings.CQS_SITE_URL.rstrip("/")
    return [
        {
            "provider": ("000.00.00.G01", "DANCU"),
            "code": "tra-cuu-cong-dan",
            "upstream": _url("CQS_DANCU_URL"),
            "suffix": "/api/v1",
            "name": "Tra cứu thông tin công dân",
            "description": (
                "Tra cứu và đối chiếu thông tin công dân theo số định danh cá nhân (QCVN 109:2017/BTTTT)."
            ),
            "legal_basis": f"Luật Căn cước 2023; {LEGAL_47}",
            "data_classification": DataClassification.PERSONAL,
            "timeout_ms": 5000,
            "default_rate_per_minute": 120,
            "endpoints": [("POST", "/congdan/tra-cuu", "Tra cứu theo số định danh")],
            "openapi": openapi(
                "Tra cứu thông tin công dân",
                "Số định danh gửi trong nội dung yêu cầu, không bao giờ trên đường dẫn.",
                "1.0",
                [
                    {
                        "method": "POST",
                        "path": "/congdan/tra-cuu",
                        "id": "traCuuCongDan",
                        "summary": "Tra cứu công dân theo số định danh cá nhân",
                        "body": {
                            "type": "object",
                            "required": ["MaYeuCau", "MaDonVi", "MaCanBo", "SoDinhDanh"],
                            "properties": _text_props(
                                "MaYeuCau",
                                "MaDVC",
                                "MaDonVi",
                                "MaCanBo",
                                "SoDinhDanh",
                                "HoVaTen",
                                "NgayThangNamSinh",
                            ),
                        },
                        "ok": {
                            "type": "object",
                            "properties": {"MaYeuCau": {"type": "string"}, "CongDan": CITIZEN},
                        },
                        "errors": {400: "Số định danh không hợp lệ", 401: "Sai token", 404: "Không tìm thấy"},
                    }
                ],
            ),
        },
        {
            "provider": ("000.00.00.G06", "NDXP"),
            "code": "doanh-nghiep",
            "upstream": _url("CQS_NDXP_URL"),
            "suffix": "/api/v1",
            "name": "Tra cứu thông tin đăng ký doanh nghiệp",
            "description": "Thông tin doanh nghiệp theo mã số doanh nghiệp (10 hoặc 13 chữ số), qua NDXP.",
            "legal_basis": f"Luật Doanh nghiệp 2020; {LEGAL_47}",
            "data_classification": DataClassification.SHARED,
            "timeout_ms": 5000,
            "default_rate_per_minute": 120,
            "endpoints": [("GET", "/doanh-nghiep", "Tra cứu theo mã số doanh nghiệp")],
            "openapi": openapi(
                "Tra cứu thông tin đăng ký doanh nghiệp",
                "Dịch vụ của Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp, cung cấp qua NDXP.",
                "1.0",
                [
                    {
                        "method": "GET",
                        "path": "/doanh-nghiep/{MaSoDoanhNghiep}",
                        "id": "traCuuDoanhNghiep",
                        "summary": "Tra cứu doanh nghiệp theo mã số",
                        "path_params": ["MaSoDoanhNghiep"],
                        "ok": {"type": "object", "properties": {"DoanhNghiep": ENTERPRISE}},
                        "errors": {400: "Mã số không hợp lệ", 401: "Sai token", 404: "Không tìm thấy"},
                    }
                ],
            ),
        },
        {
            "provider": ("000.00.00.G22", "DVCQG"),
            "code": "dvcqg",
            "upstream": settings.CQS_DVCQG_URL,
            "suffix": "",
            "name": "Dịch vụ đồng bộ của Cổng Dịch vụ công quốc gia",
            "description": "Đồng bộ hồ sơ, tiến độ xử lý và lấy danh mục thủ tục hành chính.",
            "legal_basis": "Nghị định 45/2020/NĐ-CP; Nghị định 118/2025/NĐ-CP",
            "data_classification": DataClassification.PERSONAL,
            "timeout_ms": 15000,
            "default_rate_per_minute": 600,
            "endpoints": [
                ("POST", "/DongBoHoSoMC", "Đồng bộ hồ sơ"),
                ("POST", "/CapNhatTienDoHoSoMC", "Cập nhật tiến độ"),
                ("GET", "/LayThuTuc", "Lấy thủ tục"),
                ("GET", "/LayDanhSachTTHC", "Danh sách thủ tục"),
            ],
            "openapi": openapi(
                "Cổng Dịch vụ công quốc gia: dịch vụ đồng bộ",
                "Tên dịch vụ theo OpenCPS; phong bì trả lời là giả định (docs/integrations/dvcqg.md).",
                "1.0",
                [
                    {
                        "method": "POST",
                        "path": "/DongBoHoSoMC",
                        "id": "dongBoHoSo",
                        "summary": "Đồng bộ hồ sơ",
                        "body": {"type": "object", "properties": {"data": {"type": "array", "items": {}}}},
                        "ok": DVCQG_ANSWER,
                    },
                    {
                        "method": "POST",
                        "path": "/CapNhatTienDoHoSoMC",
                        "id": "capNhatTienDo",
                        "summary": "Cập nhật tiến độ hồ sơ",
                        "body": {"type": "object", "properties": {"data": {"type": "array", "items": {}}}},
                        "ok": DVCQG_ANSWER,
                    },
                    {
                        "method": "GET",
                        "path": "/LayThuTuc",
                        "id": "layThuTuc",
                        "summary": "Lấy một thủ tục hành chính",
                        "query": ["MaTTHC"],
                        "ok": DVCQG_ANSWER,
                    },
                    {
                        "method": "GET",
                        "path": "/LayDanhSachTTHC",
                        "id": "layDanhSachThuTuc",
                        "summary": "Danh sách thủ tục",
                        "ok": DVCQG_ANSWER,
                    },
                ],
            ),
        },
        {
            "provider": ("000.00.00.G22", "VDXP"),
            "code": "vdxp",
            "upstream": settings.CQS_VDXP_URL,
            "suffix": "",
            "name": "Liên thông văn bản qua trục quốc gia",
            "description": "Các lời gọi của SDK trục liên thông (tiêu đề XroadVnpt-* có chữ ký).",
            "legal_basis": "Nghị định 30/2020/NĐ-CP; Quyết định 28/2018/QĐ-TTg",
            "data_classification": DataClassification.RESTRICTED,
            "timeout_ms": 30000,
            "default_rate_per_minute": 600,
            "endpoints": [("POST", f"/{name}", text) for name, text in VDXP_OPS],
            "openapi": openapi(
                "Trục liên thông văn bản quốc gia",
                "Gọi như SDK của Văn phòng Chính phủ (docs/integrations/vdxp.md).",
                "3.0.201608",
                [
                    {
                        "method": "POST",
                        "path": f"/{name}",
                        "id": name,
                        "summary": text,
                        "body": {"type": "string", "format": "binary"},
                        "body_type": "application/octet-stream",
                        "ok": VDXP_ANSWER,
                    }
                    for name, text in VDXP_OPS
                ],
            ),
        },
        {
            "provider": ("000.00.00.G22", "RIS"),
            "code": "ris",
            "upstream": settings.CQS_RIS_URL,
            "suffix": "",
            "name": "Tiếp nhận báo cáo của Hệ thống thông tin báo cáo Chính phủ",
            "description": "Gửi báo cáo đã phê duyệt (hợp đồng giả định, docs/integrations/ris.md).",
            "legal_basis": "Nghị định 09/2019/NĐ-CP",
            "data_classification": DataClassification.SHARED,
            "timeout_ms": 30000,
            "default_rate_per_minute": 120,
            "endpoints": [("POST", "/api/v1/reports", "Gửi báo cáo"), ("GET", "/api/v1/reports", "Đã nhận")],
            "openapi": openapi(
                "Hệ thống thông tin báo cáo Chính phủ",
                "Tiếp nhận báo cáo, có khóa Idempotency-Key.",
                "1.0",
                [
                    {
                        "method": "POST",
                        "path": "/api/v1/reports",
                        "id": "guiBaoCao",
                        "summary": "Gửi một báo cáo",
                        "body": {"type": "object"},
                        "ok": {"type": "object", "properties": _text_props("receiptId", "receivedAt")},
                        "errors": {401: "Sai token", 422: "Báo cáo không hợp lệ"},
                    },
                    {"method": "GET", "path": "/api/v1/reports", "id": "baoCaoDaNhan", "summary": "Đã nhận"},
                ],
            ),
        },
        {
            "provider": (None, "MOTCUA"),
            "code": "tra-cuu-ho-so",
            "upstream": site,
            "suffix": "/api/v1",
            "name": "Tra cứu tình trạng hồ sơ thủ tục hành chính",
            "description": "Tình trạng hồ sơ theo mã hồ sơ, từ hệ thống một cửa điện tử của tỉnh.",
            "legal_basis": "Nghị định 118/2025/NĐ-CP",
            "data_classification": DataClassification.SHARED,
            "timeout_ms": 5000,
            "default_rate_per_minute": 300,
            "endpoints": [("GET", "/lookup", "Tra cứu theo mã hồ sơ")],
            "openapi": openapi(
                "Tra cứu tình trạng hồ sơ",
                "API một cửa của tỉnh (/api/v1/lookup/).",
                "1.0",
                [
                    {
                        "method": "GET",
                        "path": "/lookup/",
                        "id": "traCuuHoSo",
                        "summary": "Tình trạng hồ sơ theo mã",
                        "query": ["code"],
                        "errors": {404: "Không tìm thấy hồ sơ"},
                    }
                ],
            ),
        },
        {
            "provider": (None, "MOTCUA"),
            "code": "thu-tuc-hanh-chinh",
            "upstream": site,
            "suffix": "/api/v1",
            "name": "Danh mục thủ tục hành chính của tỉnh",
            "description": "Thủ tục hành chính đang áp dụng, thành phần hồ sơ, thời hạn, phí.",
            "legal_basis": "Nghị định 63/2010/NĐ-CP; Nghị định 118/2025/NĐ-CP",
            "data_classification": DataClassification.OPEN,
            "timeout_ms": 5000,
            "default_rate_per_minute": 600,
            "endpoints": [("GET", "/procedures", "Danh sách và chi tiết thủ tục")],
            "openapi": openapi(
                "Danh mục thủ tục hành chính",
                "API một cửa của tỉnh (/api/v1/procedures/).",
                "1.0",
                [
                    {"method": "GET", "path": "/procedures/", "id": "danhSachThuTuc", "summary": "Danh sách"},
                    {
                        "method": "GET",
                        "path": "/procedures/{code}/",
                        "id": "chiTietThuTuc",
                        "summary": "Chi tiết một thủ tục",
                        "path_params": ["code"],
                        "errors": {404: "Không có thủ tục"},
                    },
                ],
            ),
        },
        {
            # A provincial system's service still being written: shows a draft in the catalogue.
            "provider": (None, "HT07"),
            "code": "ho-so-can-bo",
            "upstream": "http://10.44.0.7:8080",
            "suffix": "/api",
            "draft": True,
            "name": "Thông tin hồ sơ cán bộ, công chức, viên chức",
            "description": "Đang xây dựng: chưa cung cấp.",
            "legal_basis": f"Luật Cán bộ, công chức 2025; {LEGAL_47}",
            "data_classification": DataClassification.RESTRICTED,
            "timeout_ms": 5000,
            "default_rate_per_minute": 60,
            "endpoints": [],
            "openapi": openapi(
                "Hồ sơ cán bộ, công chức, viên chức",
                "Bản nháp.",
                "0.1",
                [
                    {
                        "method": "GET",
                        "path": "/can-bo/{ma}",
                        "id": "hoSoCanBo",
                        "summary": "Hồ sơ một người",
                        "path_params": ["ma"],
                    }
                ],
            ),
        },
    ]


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------


class _Loaded:
    def __init__(self):
        self.created: dict[str, int] = {}
        self.members: dict[str, Member] = {}
        self.subsystems: dict[str, Subsystem] = {}  # by code (unique in the demo)
        self.services: dict[str, Service] = {}  # by code

    def count(self, kind: str) -> None:
        self.created[kind] = self.created.get(kind, 0) + 1


def _member(loaded: _Loaded, code: str, name: str, unit=None) -> Member:
    member = Member.objects.filter(
        instance=settings.CQS_LGSP_INSTANCE, member_class=MemberClass.GOV, code=code
    ).first()
    if member is None:
        member = registry.member_create(member_class=MemberClass.GOV, code=code, name=name, unit=unit)
        loaded.count("members")
    loaded.members[code] = member
    return member


def _subsystem(loaded: _Loaded, member: Member, code: str, name: str, **fields) -> Subsystem:
    subsystem = Subsystem.objects.filter(member=member, code=code).first()
    if subsystem is None:
        subsystem = registry.subsystem_create(member=member, code=code, name=name[:500], **fields)
        loaded.count("subsystems")
    loaded.subsystems[code] = subsystem
    return subsystem


def _members(loaded: _Loaded, today: date) -> Member | None:
    province = (
        OrgUnit.objects.as_of(today).filter(parent__isnull=True).exclude(identifier="").order_by("id").first()
    )
    if province is None:
        return None
    for unit in OrgUnit.objects.as_of(today).exclude(identifier="").order_by("path"):
        _member(loaded, unit.identifier, unit.name, unit)
    # The province's former People's Committees: their identifiers are on documents still in use.
    for unit in OrgUnit.objects.filter(parent__isnull=True, valid_to__lte=today).exclude(identifier=""):
        if unit.identifier not in loaded.members:
            _member(loaded, unit.identifier, unit.name, unit)
    for code, name in NATIONAL_MEMBERS:
        _member(loaded, code, name)
    return loaded.members[province.identifier]


def _subsystems(loaded: _Loaded, province: Member, today: date) -> None:
    for member_code, code, name, description in NATIONAL_SUBSYSTEMS:
        _subsystem(loaded, loaded.members[member_code], code, name, description=description)
    for code, name, description in OWN_SUBSYSTEMS:
        _subsystem(loaded, province, code, name, description=description)
    from cqs.plans.models import InformationSystem
    from cqs.plans.selectors import org_units_by_name, plan_current

    plan = plan_current()
    if plan is None:
        return
    systems = list(InformationSystem.objects.filter(plan=plan).order_by("number"))
    owners = org_units_by_name({s.owner_name for s in systems if s.owner_name}, on=today)
    by_unit = {m.unit_id: m for m in loaded.members.values() if m.unit_id}
    for system in systems:
        unit = owners.get(system.owner_name)
        member = by_unit.get(unit.pk, province) if unit is not None else province
        description = f"Hệ thống số {system.number} tại Phụ lục 1 Kế hoạch {plan.number}."
        if system.owner_name:
            description += f" Đơn vị sở hữu theo kế hoạch: {system.owner_name}."
        _subsystem(
            loaded,
            member,
            f"HT{system.number:02d}",
            system.name,
            description=description,
            information_system=system,
        )


def _services(loaded: _Loaded, province: Member) -> list[str]:
    skipped = []
    for spec in _service_specs():
        member_code, subsystem_code = spec["provider"]
        subsystem = loaded.subsystems.get(subsystem_code)
        if subsystem is None:
            skipped.append(spec["code"])
            continue
        service = Service.objects.filter(subsystem=subsystem, code=spec["code"]).first()
        if service is None:
            if not spec["upstream"]:  # the integration is off in the settings
                skipped.append(spec["code"])
                continue
            service = registry.service_create(
                subsystem=subsystem,
                code=spec["code"],
                publish_now=not spec.get("draft", False),
                name=spec["name"],
                description=spec["description"],
                upstream_url=spec["upstream"].rstrip("/") + spec["suffix"],
                openapi=spec["openapi"],
                legal_basis=spec["legal_basis"],
                data_classification=spec["data_classification"],
                timeout_ms=spec["timeout_ms"],
                default_rate_per_minute=spec["default_rate_per_minute"],
                contact_name="Bộ phận kỹ thuật" if member_code else "Trung tâm Chuyển đổi số tỉnh",
                contact_email="kythuat@cqs.invalid",
            )
            loaded.count("services")
        existing = set(service.endpoints.values_list("method", "path"))
        for method, path, description in spec["endpoints"]:
            if (method, path) not in existing:
                registry.endpoint_create(service=service, method=method, path=path, description=description)
                loaded.count("endpoints")
        loaded.services[spec["code"]] = service
    return skipped


def _grant(loaded: _Loaded, service_code: str, *, client=None, group=None, endpoint=None, **limits) -> None:
    service = loaded.services.get(service_code)
    if service is None or (client is None and group is None):
        return
    exists = AccessGrant.objects.filter(
        service=service, client=client, group=group, endpoint=endpoint, revoked_at__isnull=True
    ).exists()
    if not exists:
        access.grant_create(
            service=service, client=client, group=group, endpoint=endpoint, legal_basis=LEGAL_47, **limits
        )
        loaded.count("grants")


def _consumers(loaded: _Loaded, today: date) -> None:
    subsystems = loaded.subsystems
    platform = subsystems[PLATFORM]
    # The platform calls the national systems on behalf of its modules (outbound.py).
    for code in ("dvcqg", "vdxp", "ris"):
        _grant(loaded, code, client=platform, rate_per_minute=600)
    _grant(loaded, "tra-cuu-cong-dan", client=subsystems["MOTCUA"], rate_per_minute=120, daily_quota=5000)
    _grant(loaded, "doanh-nghiep", client=subsystems["MOTCUA"], rate_per_minute=120)
    _grant(loaded, "tra-cuu-ho-so", client=subsystems["BAOCAO"], rate_per_minute=60)
    if "HT33" in subsystems and "tra-cuu-cong-dan" in loaded.services:
        # Endpoint-level: the certification software may look citizens up, nothing else.
        lookup = loaded.services["tra-cuu-cong-dan"].endpoints.filter(path="/congdan/tra-cuu").first()
        _grant(
            loaded,
            "tra-cuu-cong-dan",
            client=subsystems["HT33"],
            endpoint=lookup,
            rate_per_minute=30,
            daily_quota=2000,
        )
    business = [subsystems[code] for code in ("HT01", "HT12", "HT17", "HT36", "HT42") if code in subsystems]
    group = ClientGroup.objects.filter(code="DOANH-NGHIEP").first()
    if group is None and business:
        group = registry.group_create(
            code="DOANH-NGHIEP",
            name="Hệ thống làm việc với doanh nghiệp",
            description="Các hệ thống của tỉnh cần thông tin đăng ký doanh nghiệp.",
            subsystems=business,
        )
        loaded.count("groups")
    if group is not None:
        _grant(loaded, "doanh-nghiep", group=group, rate_per_minute=60, daily_quota=1000)
        _grant(loaded, "thu-tuc-hanh-chinh", group=group, rate_per_minute=60)
    _requests(loaded, today)


def _request(loaded: _Loaded, client_code: str, service_code: str, purpose: str, legal_basis: str = ""):
    client, service = loaded.subsystems.get(client_code), loaded.services.get(service_code)
    if client is None or service is None or service.status != ServiceStatus.PUBLISHED:
        return None
    if ConnectionRequest.objects.filter(client=client, service=service).exists():
        return None
    loaded.count("requests")
    return access.request_submit(client=client, service=service, purpose=purpose, legal_basis=legal_basis)


def _requests(loaded: _Loaded, today: date) -> None:
    approved = _request(
        loaded,
        "HT35",
        "tra-cuu-cong-dan",
        "Xác minh nhân thân người vi phạm khi lập biên bản xử lý vi phạm hành chính.",
        "Luật Xử lý vi phạm hành chính 2012 (sửa đổi 2020)",
    )
    if approved is not None:
        access.request_approve(request=approved, legal_basis=LEGAL_47, rate_per_minute=30, daily_quota=500)
    refused = _request(
        loaded,
        "HT14",
        "tra-cuu-cong-dan",
        "Kiểm tra thông tin nhân vật trong tin bài.",
    )
    if refused is not None:
        access.request_refuse(
            request=refused,
            legal_basis="Luật Căn cước 2023; Luật Bảo vệ dữ liệu cá nhân 2025",
            reason=(
                "Mục đích tác nghiệp báo chí không thuộc các trường hợp được khai thác thông tin "
                "công dân trong Cơ sở dữ liệu quốc gia về dân cư."
            ),
        )
    _request(
        loaded,
        "HT37",
        "tra-cuu-cong-dan",
        "Đối chiếu thông tin người lao động đăng ký tìm việc.",
        "Luật Việc làm 2025",
    )
    overdue = _request(
        loaded,
        "HT40",
        "tra-cuu-cong-dan",
        "Đối chiếu thông tin người tham gia bảo hiểm y tế do ngân sách tỉnh hỗ trợ.",
        "Luật Bảo hiểm y tế 2008 (sửa đổi 2024)",
    )
    if overdue is not None:
        # Sent a week ago and not answered: past its two working days, for the escalation demo.
        sent = today - timedelta(days=7)
        ConnectionRequest.objects.filter(pk=overdue.pk).update(
            submitted_at=timezone.make_aware(datetime.combine(sent, time(9, 30))),
            due_on=access.request_due_on(sent),
        )


# --------------------------------------------------------------------------------------------
# Credentials
# --------------------------------------------------------------------------------------------


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


def _credentials(loaded: _Loaded) -> list[str]:
    """The platform's key (kept if still valid) and keys of two demo consumers (written once)."""
    notes = []
    platform = loaded.subsystems[PLATFORM]
    key = outbound.platform_key()
    if not key or outbound.key_client(key) != platform.xroad_id:
        issued = access.api_key_issue(subsystem=platform, label="Khóa của nền tảng (bản trình diễn)")
        # Written at once: if the load is rolled back, the next one finds the key unknown and
        # replaces it (the key is checked against the registry, not trusted because it is there).
        outbound.write_platform_key(issued.secret)
        loaded.count("credentials")
        notes.append(f"khóa của nền tảng: {outbound.key_file()}")
    demo_file = Path(settings.CQS_LGSP_DIR) / "keys" / DEMO_KEYS_FILE
    consumers = [code for code in ("MOTCUA", "HT33") if code in loaded.subsystems]
    if not Credential.objects.filter(
        subsystem__code__in=consumers, label__startswith="Bản trình diễn"
    ).exists():
        keys = {}
        for code in consumers:
            subsystem = loaded.subsystems[code]
            issued = access.api_key_issue(subsystem=subsystem, label="Bản trình diễn: gọi thử qua cổng")
            keys[subsystem.xroad_id] = issued.secret
            loaded.count("credentials")
        access.oauth_client_issue(subsystem=loaded.subsystems["MOTCUA"], label="Bản trình diễn: OAuth2")
        loaded.count("credentials")
        text = json.dumps(keys, ensure_ascii=False, indent=1) + "\n"
        _write_private(demo_file, text)
        notes.append(f"khóa gọi thử của bên khai thác: {demo_file}")
    return notes


# --------------------------------------------------------------------------------------------
# Usage history
# --------------------------------------------------------------------------------------------

# (client subsystem code, service code, method, share of the traffic)
TRAFFIC = (
    (PLATFORM, "dvcqg", "POST", 30),
    (PLATFORM, "vdxp", "POST", 20),
    (PLATFORM, "ris", "POST", 3),
    ("MOTCUA", "tra-cuu-cong-dan", "POST", 20),
    ("MOTCUA", "doanh-nghiep", "GET", 8),
    ("HT33", "tra-cuu-cong-dan", "POST", 8),
    ("HT35", "tra-cuu-cong-dan", "POST", 3),
    ("HT01", "doanh-nghiep", "GET", 3),
    ("HT17", "doanh-nghiep", "GET", 3),
    ("BAOCAO", "tra-cuu-ho-so", "GET", 2),
)
# (status, X-Road error type, share) of the calls that fail
FAILURES = (
    (403, "Server.ServerProxy.AccessDenied", 3),
    (429, "Server.ServerProxy.RateLimitExceeded", 3),
    (502, "Server.ServerProxy.ServiceFailed", 2),
    (504, "Server.ServerProxy.ServiceTimeout", 1),
    (404, "", 3),  # the provider's own answer (not found), passed through
    (401, "Client.Unauthorized", 2),
)


def _hash(rng: random.Random) -> str:
    return base64.b64encode(hashlib.sha512(rng.randbytes(16)).digest()).decode("ascii")


def history_lines(loaded: _Loaded, *, now: datetime, calls: int = HISTORY_CALLS) -> list[str]:
    """Access-log lines of the built-in gateway (common format) spread over the last 30 days,
    during office hours mostly; deterministic for a given ``now``'s day."""
    rng = random.Random(f"lgsp-demo-{now.date()}")  # noqa: S311 - demo data, not security
    traffic = [
        (loaded.subsystems[c].xroad_id, loaded.services[s].xroad_id, method, weight)
        for c, s, method, weight in TRAFFIC
        if c in loaded.subsystems and s in loaded.services
    ]
    if not traffic:
        return []
    weights = [t[3] for t in traffic]
    failure_weights = [f[2] for f in FAILURES]
    start = now.timestamp() - HISTORY_DAYS * 86400
    lines = []
    for _ in range(calls):
        client, service, method, _weight = rng.choices(traffic, weights)[0]
        day = start + rng.randrange(HISTORY_DAYS) * 86400
        local_hour = rng.choices(range(24), [1] * 7 + [6] * 11 + [1] * 6)[0]
        # Local midnight of that day (UTC+7), then the hour; kept inside the 30 days.
        ts = day - (day + 7 * 3600) % 86400 + local_hour * 3600 + rng.random() * 3600
        ts = min(max(ts, start), now.timestamp() - 60)
        ok = rng.random() > 0.06
        status, error = (200, "") if ok else rng.choices(FAILURES, failure_weights)[0][:2]
        forwarded = ok or error in (
            "",
            "Server.ServerProxy.ServiceTimeout",
            "Server.ServerProxy.ServiceFailed",
        )
        latency = rng.lognormvariate(3.3, 0.6) if forwarded else rng.uniform(0.2, 1.5)
        if error == "Server.ServerProxy.ServiceTimeout":
            latency = 5000 + rng.random() * 300
        line = {
            "ts": round(ts, 3),
            "engine": "builtin",
            "request_id": str(uuid.UUID(bytes=rng.randbytes(16), version=4)),
            "client": "" if status == 401 else client,
            "service": service,
            "method": method,
            "status": status,
            "error": error,
            "latency_ms": round(latency, 2),
            "bytes_in": rng.randrange(150, 2500) if method == "POST" else 0,
            "bytes_out": rng.randrange(300, 6000) if ok else 160,
            "request_hash": _hash(rng) if forwarded else "",
            "response_hash": _hash(rng) if forwarded else "",
            "hash_complete": True,
        }
        lines.append((line["ts"], json.dumps(line, ensure_ascii=False, separators=(",", ":"))))
    lines.sort()
    return [text for _ts, text in lines]


def _history(loaded: _Loaded) -> str:
    path = Path(settings.CQS_LGSP_DIR) / "logs" / HISTORY_FILE
    written = 0
    if not path.exists():
        lines = history_lines(loaded, now=timezone.now())
        if lines:
            _write_private(path, "\n".join(lines) + "\n")
            written = len(lines)
    try:
        from cqs.lgsp.usage import ingest_logs
    except ImportError:  # the evidence module is not there: the file waits for it
        return f"{written} lượt gọi mẫu ghi vào {path} (chưa nạp thống kê)"
    result = ingest_logs()
    return f"{written} lượt gọi mẫu ghi vào nhật ký; nạp thống kê: {result.calls} lượt"


# --------------------------------------------------------------------------------------------
# Shared code lists (Decree 47/2020 Art. 9), from the organisation tree itself
# --------------------------------------------------------------------------------------------


def _code_lists(loaded: _Loaded, province: Member, today: date) -> None:
    units = list(OrgUnit.objects.as_of(today).select_related("parent").order_by("path"))
    lists = [
        (
            "DM-DVHC",
            "Danh mục đơn vị hành chính của tỉnh (theo cây tổ chức hiện hành)",
            "Quyết định 124/2004/QĐ-TTg về Bảng danh mục và mã số các đơn vị hành chính Việt Nam",
            [
                (unit.division_code, unit.name, unit.parent.division_code if unit.parent else "")
                for unit in units
                if unit.division_code
            ],
        ),
        (
            "DM-MA-DINH-DANH",
            "Mã định danh điện tử của các cơ quan, đơn vị trong tỉnh",
            "Quyết định 20/2020/QĐ-TTg về mã định danh điện tử của các cơ quan, tổ chức",
            [
                (unit.identifier, unit.name, unit.parent.identifier if unit.parent else "")
                for unit in units
                if unit.identifier
            ],
        ),
    ]
    for code, name, legal_basis, items in lists:
        if CodeList.objects.filter(code=code).exists() or not items:
            continue
        # The tree may repeat a code across versions of a unit: keep the first of each.
        unique = list({item[0]: item for item in reversed(items)}.values())[::-1]
        registry.code_list_create(
            code=code,
            name=name,
            kind=CodeListKind.CODE_LIST,
            owner=province,
            items=unique,
            legal_basis=legal_basis,
            version=today.isoformat(),
        )
        loaded.count("code lists")


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def load_demo(*, log: Callable[[str], None] = print) -> None:
    today = timezone.localdate()
    loaded = _Loaded()
    with transaction.atomic():
        province = _members(loaded, today)
        if province is None:
            log("lgsp: chưa có cây đơn vị (orgs); bỏ qua dữ liệu LGSP minh họa.")
            return
        _subsystems(loaded, province, today)
        skipped = _services(loaded, province)
        _consumers(loaded, today)
        notes = _credentials(loaded)
        _code_lists(loaded, province, today)
    history = _history(loaded)
    generation = publish.publish_now(reason="demo")
    made = ", ".join(f"{kind} {count}" for kind, count in loaded.created.items()) or "không có gì mới"
    log(f"lgsp: tạo mới {made}.")
    if skipped:
        log(f"lgsp: bỏ qua dịch vụ chưa cấu hình địa chỉ: {', '.join(skipped)}.")
    for note in notes:
        log(f"lgsp: {note}")
    log(f"lgsp: {history}.")
    generation = generation or GatewayGeneration.objects.order_by("-number").first()
    if generation is not None:
        log(f"lgsp: cấu hình cổng thế hệ {generation.number} ({generation.get_status_display()}).")


load = load_demo
