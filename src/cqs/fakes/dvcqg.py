"""A fake of the national public-service portal's sync services (Cổng DVCQG), standard library only.

Service names and payload fields are those OpenCPS uses against the portal
(``DVCQGIntegrationActionImpl.java``; domain/onestop.md 1.2). The envelope, the error codes and
the validation rules are **our assumption** (the portal's specification is not public), written
down in docs/integrations/dvcqg.md:

- every call carries ``Authorization: Bearer <token>``; a wrong token gives HTTP 401
  ``{"error_code": 401, "message": ...}``;
- ``POST /DongBoHoSoMC`` ``{"data": [dossier, ...]}``: each dossier needs ``MaHoSo``, ``MaTTHC``,
  ``NgayTiepNhan`` and ``TrangThaiHoSo`` (1–10); dates are ``yyyyMMddHHmmss`` (Vietnam time);
  list fields must be lists. The batch is all or nothing. A dossier pushed again replaces the
  stored one (the portal keys dossiers by ``MaHoSo``), so a repeated push is harmless;
- ``POST /CapNhatTienDoHoSoMC`` ``{"data": [{MaHoSo, NguoiXuLy, ThoiDiemXuLy, NoiDungXuLy,
  TrangThai}, ...]}``: appended to the dossier's progress; an unknown ``MaHoSo`` refuses the batch;
- ``GET /LayThuTuc?MaTTHC=``: ``{"error_code": 0, "data": [record]}`` in the ``LayThuTuc`` shape
  that ``cqs.onestop.laythutuc`` imports; ``GET /LayDanhSachTTHC``: codes and names;
- answers: ``{"error_code": 0, "message": ...}``; refusals HTTP 400 (404 for an unknown
  procedure) with ``error_code`` 1 (invalid payload), 2 (unknown dossier), 3 (unknown procedure).
  Refusal messages name the field, never its value (dossiers carry personal data).

Test hooks: ``app.state.dossiers`` (by MaHoSo), ``app.state.pushes`` (by MaHoSo),
``app.state.progress`` (by MaHoSo, lists), ``app.state.calls`` (method, path, status),
``app.fail_next(n, status=503)``, ``app.reset()``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime

from cqs.fakes._wsgi import FakeApp, Request, Response, json_response

OK = 0
INVALID_PAYLOAD = 1
UNKNOWN_DOSSIER = 2
UNKNOWN_PROCEDURE = 3
UNAUTHORIZED = 401

DATE_FORMAT = "%Y%m%d%H%M%S"
DOSSIER_REQUIRED = ("MaHoSo", "MaTTHC", "NgayTiepNhan", "TrangThaiHoSo")
DOSSIER_DATES = ("NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra")
DOSSIER_LISTS = ("TaiLieuNop", "DanhSachLePhi", "DanhSachHoSoBoSung", "DanhSachGiayToKetQua")
PROGRESS_REQUIRED = ("MaHoSo", "NguoiXuLy", "ThoiDiemXuLy", "TrangThai")

# Two small records in the LayThuTuc shape, for a fake built without a catalogue. The codes
# 9.9909xx are made up (the demo catalogue's convention), not national codes.
DEFAULT_PROCEDURES = [
    {
        "MATTHC": "9.990901",
        "TENTTHC": "Cấp bản sao trích lục hộ tịch",
        "LINHVUCTHUCHIEN": [{"MALINHVUC": "DEMO-HOTICH", "TENLINHVUC": "Hộ tịch"}],
        "CAPTHUCHIEN": ["Cấp Xã"],
        "MUCDO": "toan-trinh",
        "CACHTHUCTHUCHIEN": [
            {
                "KENH": "2",
                "THOIGIAN": [
                    {
                        "THOIGIANGIAIQUYET": "1",
                        "DONVITINH": "Ngày làm việc",
                        "PHILEPHI": [{"MAPHILEPHI": "", "SOTIEN": "8.000", "MOTA": "Phí cấp bản sao"}],
                    }
                ],
            }
        ],
        "THANHPHANHOSO": [{"GIAYTO": [{"TENGIAYTO": "Tờ khai cấp bản sao trích lục", "SOBANCHINH": 1}]}],
        "KETQUATHUCHIEN": "Bản sao trích lục hộ tịch",
        "CANCUPHAPLY": "Luật Hộ tịch số 60/2014/QH13",
        "COQUANTHUCHIEN": "Ủy ban nhân dân cấp xã",
        "NGAYHIEULUC": "01/07/2025",
        "GHICHU": "Dữ liệu của cổng giả lập, không phải thủ tục thật.",
    },
    {
        "MATTHC": "9.990902",
        "TENTTHC": "Chứng thực bản sao từ bản chính",
        "LINHVUCTHUCHIEN": [{"MALINHVUC": "DEMO-CHUNGTHUC", "TENLINHVUC": "Chứng thực"}],
        "CAPTHUCHIEN": ["Cấp Xã"],
        "MUCDO": "mot-phan",
        "CACHTHUCTHUCHIEN": [
            {
                "KENH": "1",
                "THOIGIAN": [
                    {
                        "THOIGIANGIAIQUYET": "1",
                        "DONVITINH": "Ngày làm việc",
                        "PHILEPHI": [{"SOTIEN": 2000, "MOTA": "Phí chứng thực bản sao, mỗi trang"}],
                    }
                ],
            }
        ],
        "THANHPHANHOSO": [{"GIAYTO": [{"TENGIAYTO": "Bản chính giấy tờ", "SOBANCHINH": 1}]}],
        "KETQUATHUCHIEN": "Bản sao được chứng thực",
        "CANCUPHAPLY": "Nghị định số 23/2015/NĐ-CP",
        "COQUANTHUCHIEN": "Ủy ban nhân dân cấp xã",
        "NGAYHIEULUC": "01/07/2025",
        "GHICHU": "Dữ liệu của cổng giả lập, không phải thủ tục thật.",
    },
]


@dataclass
class DvcqgState:
    dossiers: dict[str, dict] = field(default_factory=dict)
    pushes: dict[str, int] = field(default_factory=dict)
    progress: dict[str, list[dict]] = field(default_factory=dict)
    calls: list[dict] = field(default_factory=list)


class Refused(Exception):
    def __init__(self, error_code: int, message: str, status: int = 400):
        super().__init__(message)
        self.error_code = error_code
        self.status = status


def _invalid(path: str, message: str) -> Refused:
    return Refused(INVALID_PAYLOAD, f"{path}: {message}")


def _check_date(value: object, path: str) -> None:
    if not isinstance(value, str) or len(value) != 14:
        raise _invalid(path, "ngày giờ phải có dạng yyyyMMddHHmmss")
    try:
        datetime.strptime(value, DATE_FORMAT)
    except ValueError:
        raise _invalid(path, "ngày giờ phải có dạng yyyyMMddHHmmss") from None


def _check_status(value: object, path: str) -> None:
    # Numbers or digit strings: OpenCPS sends both.
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise _invalid(path, "trạng thái phải là số từ 1 đến 10")
    if not 1 <= int(value) <= 10:
        raise _invalid(path, "trạng thái phải là số từ 1 đến 10")


def _check_text(value: object, path: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise _invalid(path, "bắt buộc, phải là chuỗi khác rỗng")


class DvcqgFake(FakeApp):
    def __init__(self, *, token: str, procedures: list[dict] | None = None):
        self.token = token
        records = DEFAULT_PROCEDURES if procedures is None else procedures
        self.procedures = {record["MATTHC"]: copy.deepcopy(record) for record in records}
        super().__init__()

    def _initial_state(self) -> DvcqgState:
        return DvcqgState()

    def handle(self, request: Request) -> Response:
        routes = {
            ("POST", "/DongBoHoSoMC"): self.push_dossiers,
            ("POST", "/CapNhatTienDoHoSoMC"): self.push_progress,
            ("GET", "/LayThuTuc"): self.procedure,
            ("GET", "/LayDanhSachTTHC"): self.procedure_list,
        }
        view = routes.get((request.method, request.path.rstrip("/")))
        if view is None:
            return json_response({"error_code": 404, "message": "Không có dịch vụ này"}, status=404)
        if not request.bearer_matches(self.token):
            return json_response({"error_code": UNAUTHORIZED, "message": "Token không hợp lệ"}, status=401)
        try:
            return view(request)
        except Refused as refusal:
            return json_response(
                {"error_code": refusal.error_code, "message": str(refusal)}, status=refusal.status
            )

    def _batch(self, request: Request) -> list[dict]:
        try:
            body = request.json()
        except ValueError:
            raise _invalid("$", "không phải JSON") from None
        items = body.get("data") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            raise _invalid("data", "phải là danh sách khác rỗng")
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise _invalid(f"data[{index}]", "phải là đối tượng")
        return items

    def push_dossiers(self, request: Request) -> Response:
        dossiers = self._batch(request)
        for index, dossier in enumerate(dossiers):
            path = f"data[{index}]"
            for name in DOSSIER_REQUIRED:
                if dossier.get(name) in (None, ""):
                    raise _invalid(f"{path}.{name}", "bắt buộc")
            _check_text(dossier["MaHoSo"], f"{path}.MaHoSo")
            _check_text(dossier["MaTTHC"], f"{path}.MaTTHC")
            _check_status(dossier["TrangThaiHoSo"], f"{path}.TrangThaiHoSo")
            for name in DOSSIER_DATES:
                if dossier.get(name) not in (None, ""):
                    _check_date(dossier[name], f"{path}.{name}")
            for name in DOSSIER_LISTS:
                if name in dossier and not isinstance(dossier[name], list):
                    raise _invalid(f"{path}.{name}", "phải là danh sách")
            channel = dossier.get("HinhThuc")
            if channel not in (None, "") and str(channel) not in ("1", "2", "3"):
                raise _invalid(f"{path}.HinhThuc", "phải là 1, 2 hoặc 3")
        for dossier in dossiers:
            code = dossier["MaHoSo"]
            self.state.dossiers[code] = copy.deepcopy(dossier)
            self.state.pushes[code] = self.state.pushes.get(code, 0) + 1
        return json_response({"error_code": OK, "message": f"Đã đồng bộ {len(dossiers)} hồ sơ"})

    def push_progress(self, request: Request) -> Response:
        updates = self._batch(request)
        for index, update in enumerate(updates):
            path = f"data[{index}]"
            for name in PROGRESS_REQUIRED:
                if update.get(name) in (None, ""):
                    raise _invalid(f"{path}.{name}", "bắt buộc")
            _check_text(update["MaHoSo"], f"{path}.MaHoSo")
            _check_text(update["NguoiXuLy"], f"{path}.NguoiXuLy")
            _check_date(update["ThoiDiemXuLy"], f"{path}.ThoiDiemXuLy")
            _check_status(update["TrangThai"], f"{path}.TrangThai")
            if update["MaHoSo"] not in self.state.dossiers:
                raise Refused(UNKNOWN_DOSSIER, f"{path}.MaHoSo: hồ sơ chưa được đồng bộ")
        for update in updates:
            self.state.progress.setdefault(update["MaHoSo"], []).append(copy.deepcopy(update))
        return json_response({"error_code": OK, "message": f"Đã cập nhật {len(updates)} tiến độ"})

    def procedure(self, request: Request) -> Response:
        code = request.query.get("MaTTHC", "").strip()
        if not code:
            raise _invalid("MaTTHC", "bắt buộc")
        record = self.procedures.get(code)
        if record is None:
            raise Refused(UNKNOWN_PROCEDURE, "Không có thủ tục này", status=404)
        return json_response({"error_code": OK, "message": "", "data": [record]})

    def procedure_list(self, request: Request) -> Response:
        items = [
            {"MATTHC": code, "TENTTHC": record.get("TENTTHC", "")} for code, record in self.procedures.items()
        ]
        return json_response({"error_code": OK, "message": "", "data": items})


def make_app(*, token: str, procedures: list[dict] | None = None) -> DvcqgFake:
    """A fresh portal that accepts ``token`` and serves ``procedures`` (LayThuTuc records)."""
    return DvcqgFake(token=token, procedures=procedures)
