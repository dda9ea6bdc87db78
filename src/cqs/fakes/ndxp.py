"""A fake of the national data integration and sharing platform (NDXP, Nền tảng tích hợp, chia sẻ
dữ liệu quốc gia) serving one national service: the business registration lookup (tra cứu thông
tin doanh nghiệp in the national business registration database). WSGI, standard library only.
**This is a fake**: every enterprise it answers about is generated.

No public specification of NDXP's services exists: the whole contract is **our assumption**
(docs/integrations/ndxp.md); field names are Vietnamese in the style of the NDXP and QCVN 109
services (``MaSoDoanhNghiep``, ``TenDoanhNghiep``, ``DiaChiTruSo``, ``TinhTrangHoatDong``,
``NguoiDaiDienTheoPhapLuat``, ...).

- ``GET /api/v1/doanh-nghiep/<MaSoDoanhNghiep>`` with ``Authorization: Bearer <token>``; the code
  is 10 digits (an enterprise) or 13 digits (a branch or dependent unit: the enterprise's 10 and
  3 more, written with or without a ``-`` before them). Enterprise codes are not personal data,
  so they may travel in the path. The legal representative's name in the answer is.
  200 ``{"DoanhNghiep": {...}}``; refusals ``{"error": <code>, "message": ...}``: 401
  ``unauthorized``, 400 ``invalid_code``, 404 ``not_found`` for a valid code outside the demo
  range.
- ``GET /healthz``: ``{"status": "ok"}``; ``GET /``: a page with the number of lookups.

The demo range: every valid code starting with ``99`` (no tax department numbers that way, as far
as we know; the check digit of real codes is not verified, its rule being unconfirmed) is an
enterprise generated from the code; codes ending in ``9`` have stopped trading, so the demo shows
every status.

Test hooks: ``app.state.lookups``, ``app.state.calls``, ``app.fail_next(n, status)``, ``app.reset()``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from cqs.fakes._wsgi import FakeApp, Request, Response, html_page, json_response

PREFIX = "/api/v1/doanh-nghiep/"
CODE = re.compile(r"^(\d{10})(?:-?(\d{3}))?$")
DEMO_PREFIX = "99"
FAKE_NOTE = "Dữ liệu giả lập của bản trình diễn CQS, không phải thông tin của doanh nghiệp thật."

KINDS = (
    "Công ty trách nhiệm hữu hạn một thành viên",
    "Công ty trách nhiệm hữu hạn hai thành viên trở lên",
    "Công ty cổ phần",
    "Doanh nghiệp tư nhân",
)
SHORT = {KINDS[0]: "Công ty TNHH", KINDS[1]: "Công ty TNHH", KINDS[2]: "Công ty cổ phần", KINDS[3]: "DNTN"}
TRADES = (
    ("4659", "Bán buôn máy móc, thiết bị và phụ tùng máy khác"),
    ("6201", "Lập trình máy vi tính"),
    ("4100", "Xây dựng nhà các loại"),
    ("1079", "Sản xuất thực phẩm khác chưa được phân vào đâu"),
    ("5510", "Dịch vụ lưu trú ngắn ngày"),
)
WORDS = ("Mẫu", "Thử Nghiệm", "Minh Họa", "Trình Diễn", "Giả Lập")
THINGS = ("Thương mại", "Công nghệ", "Xây dựng", "Thực phẩm", "Du lịch")
PEOPLE = ("Nguyễn Văn Mẫu", "Trần Thị Thử", "Lê Minh Họa", "Phạm Thu Diễn", "Hoàng Đức Lập")
TITLES = ("Giám đốc", "Tổng giám đốc", "Chủ tịch Hội đồng thành viên")
ACTIVE = "Đang hoạt động"
STOPPED = "Tạm ngừng kinh doanh"


def parse_code(code: str) -> tuple[str, str] | None:
    """(the enterprise's 10 digits, the branch's 3 or ""), or None when ``code`` is not one."""
    match = CODE.match(code)
    return (match.group(1), match.group(2) or "") if match else None


def enterprise(code: str) -> dict | None:
    """The synthetic enterprise (or branch) of a valid ``code``; None outside the demo range."""
    parts = parse_code(code)
    if parts is None or not parts[0].startswith(DEMO_PREFIX):
        return None
    main, branch = parts
    seed = hashlib.sha256(main.encode()).digest()
    kind = KINDS[seed[0] % len(KINDS)]
    trade_code, trade_name = TRADES[seed[1] % len(TRADES)]
    name = f"{SHORT[kind]} {THINGS[seed[1] % len(THINGS)]} {WORDS[seed[2] % len(WORDS)]} {main[-4:]}"
    founded = f"{2005 + seed[3] % 20:04d}-{1 + seed[4] % 12:02d}-{1 + seed[5] % 28:02d}"
    record = {
        "MaSoDoanhNghiep": main + (f"-{branch}" if branch else ""),
        "TenDoanhNghiep": name.upper() if branch == "" else f"CHI NHÁNH {branch} - {name.upper()}",
        "TenVietTat": f"{WORDS[seed[2] % len(WORDS)].upper().replace(' ', '')} {main[-4:]}",
        "LoaiHinhDoanhNghiep": kind,
        "NgayThanhLap": founded,
        "DiaChiTruSo": f"Số {1 + seed[6] % 300}, đường Mẫu {1 + seed[7] % 9}, phường Vĩnh Yên, tỉnh Phú Thọ",
        "TinhTrangHoatDong": STOPPED if main.endswith("9") else ACTIVE,
        "VonDieuLe": (1 + seed[8] % 50) * 1_000_000_000,
        "NganhNgheKinhDoanhChinh": {"MaNganh": trade_code, "TenNganh": trade_name},
        "NguoiDaiDienTheoPhapLuat": {
            "HoVaTen": PEOPLE[seed[9] % len(PEOPLE)],
            "ChucDanh": TITLES[seed[10] % len(TITLES)],
        },
        "GhiChu": FAKE_NOTE,
    }
    if branch:
        record["MaSoDoanhNghiepChuQuan"] = main
    return record


@dataclass
class NdxpState:
    lookups: int = 0
    calls: list[dict] = field(default_factory=list)


class NdxpFake(FakeApp):
    def __init__(self, *, token: str):
        self.token = token
        super().__init__()

    def _initial_state(self) -> NdxpState:
        return NdxpState()

    def failure_response(self, status: int) -> Response:
        return json_response({"error": "unavailable", "message": "Lỗi giả lập"}, status=status)

    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        if request.method == "GET" and path.startswith(PREFIX):
            return self.lookup(request, path[len(PREFIX) :])
        if (request.method, path) == ("GET", "/healthz"):
            return json_response({"status": "ok"})
        if (request.method, path) == ("GET", "/"):
            note = f"<p>Đã trả lời {self.state.lookups} lượt tra cứu.</p><p class=note>{FAKE_NOTE}</p>"
            return html_page("NDXP: tra cứu thông tin doanh nghiệp (giả lập)", note)
        return json_response({"error": "not_found", "message": "Không có địa chỉ này"}, status=404)

    def lookup(self, request: Request, code: str) -> Response:
        if not request.bearer_matches(self.token):
            return json_response({"error": "unauthorized", "message": "Token không hợp lệ"}, status=401)
        if parse_code(code) is None:
            return json_response(
                {"error": "invalid_code", "message": "Mã số doanh nghiệp phải gồm 10 hoặc 13 chữ số"},
                status=400,
            )
        record = enterprise(code)
        if record is None:
            return json_response(
                {"error": "not_found", "message": "Không tìm thấy doanh nghiệp có mã số này"}, status=404
            )
        self.state.lookups += 1
        return json_response({"DoanhNghiep": record})


def make_app(*, token: str) -> NdxpFake:
    return NdxpFake(token=token)
