"""A fake of the national population database's lookup service (CSDLQG về dân cư), WSGI, standard
library only. **This is a fake**: every citizen it answers about is generated, never a real person.

Field names are those of QCVN 109:2017/BTTTT (the citizen data model and its sample messages on
qcvn109.gov.vn: ``SoDinhDanh``, ``HoVaTen`` {``Ho``, ``ChuDem``, ``Ten``}, ``GioiTinh``, ``DanToc``,
``TonGiao``, ``NgayThangNamSinh``, ``NoiDangKyKhaiSinh``, ``QueQuan``, ``ThuongTru``,
``NoiOHienTai``, ``QuocTich``, ...). The request fields (``MaYeuCau``, ``MaDVC``, ``MaDonVi``,
``MaCanBo``) follow the population-DB services published on NDXP. The transport — paths, JSON
envelope, status codes, error codes — is **our assumption** (docs/integrations/dancu.md):

- ``POST /api/v1/congdan/tra-cuu`` with ``Authorization: Bearer <token>`` and a JSON body
  ``{"MaYeuCau", "MaDonVi", "MaCanBo", "SoDinhDanh", ["MaDVC", "HoVaTen", "NgayThangNamSinh"]}``.
  The number travels in the body, never in the URL (URLs end up in access logs).
  200 ``{"MaYeuCau", "CongDan": {...}, "KetQuaDoiChieu": {...}?}``: ``KetQuaDoiChieu`` says, when
  the caller sent ``HoVaTen`` or ``NgayThangNamSinh``, whether they match the record.
- refusals ``{"error": <code>, "message": ..., "field": ...}``: 401 ``unauthorized``, 400
  ``invalid_json`` / ``missing_field`` / ``invalid_number`` (12 digits; a province code of birth
  registration 001–096 in use; a century-and-sex digit 0–9; a birth year not in the future),
  404 ``not_found`` for a valid number outside the demo population.
- ``GET /healthz``: ``{"status": "ok"}``; ``GET /``: a page with the number of lookups (fake only).

The synthetic population: every valid number whose six last digits start with ``99`` (the
"random" part, Circular 59/2021/TT-BCA) is a citizen, generated from the number itself, so the
same number always answers the same person: sex and birth year from the century-and-sex digit
and the year digits, place of birth registration from the province code.

Test hooks: ``app.state.lookups`` (count), ``app.state.calls`` (method, path, status; never the
body), ``app.fail_next(n, status)``, ``app.reset()``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from cqs.fakes._wsgi import FakeApp, Request, Response, html_page, json_response

PATH = "/api/v1/congdan/tra-cuu"
NUMBER = re.compile(r"^\d{12}$")
# The "random" part of the demo population's numbers starts with this.
DEMO_PREFIX = "99"
REQUIRED = ("MaYeuCau", "MaDonVi", "MaCanBo", "SoDinhDanh")
FAKE_NOTE = "Dữ liệu giả lập của bản trình diễn CQS, không phải thông tin của người thật."

# Province codes of the place of birth registration (Circular 59/2021/TT-BCA, the 63 provinces
# before the 2025 merger; the codes are the provinces' administrative codes, Decision 124/2004).
# Codes of countries for births registered abroad are not handled (unconfirmed).
PROVINCES = {
    "001": "Thành phố Hà Nội", "002": "Tỉnh Hà Giang", "004": "Tỉnh Cao Bằng", "006": "Tỉnh Bắc Kạn",
    "008": "Tỉnh Tuyên Quang", "010": "Tỉnh Lào Cai", "011": "Tỉnh Điện Biên", "012": "Tỉnh Lai Châu",
    "014": "Tỉnh Sơn La", "015": "Tỉnh Yên Bái", "017": "Tỉnh Hòa Bình", "019": "Tỉnh Thái Nguyên",
    "020": "Tỉnh Lạng Sơn", "022": "Tỉnh Quảng Ninh", "024": "Tỉnh Bắc Giang", "025": "Tỉnh Phú Thọ",
    "026": "Tỉnh Vĩnh Phúc", "027": "Tỉnh Bắc Ninh", "030": "Tỉnh Hải Dương", "031": "Thành phố Hải Phòng",
    "033": "Tỉnh Hưng Yên", "034": "Tỉnh Thái Bình", "035": "Tỉnh Hà Nam", "036": "Tỉnh Nam Định",
    "037": "Tỉnh Ninh Bình", "038": "Tỉnh Thanh Hóa", "040": "Tỉnh Nghệ An", "042": "Tỉnh Hà Tĩnh",
    "044": "Tỉnh Quảng Bình", "045": "Tỉnh Quảng Trị", "046": "Tỉnh Thừa Thiên Huế",
    "048": "Thành phố Đà Nẵng", "049": "Tỉnh Quảng Nam", "051": "Tỉnh Quảng Ngãi", "052": "Tỉnh Bình Định",
    "054": "Tỉnh Phú Yên", "056": "Tỉnh Khánh Hòa", "058": "Tỉnh Ninh Thuận", "060": "Tỉnh Bình Thuận",
    "062": "Tỉnh Kon Tum", "064": "Tỉnh Gia Lai", "066": "Tỉnh Đắk Lắk", "067": "Tỉnh Đắk Nông",
    "068": "Tỉnh Lâm Đồng", "070": "Tỉnh Bình Phước", "072": "Tỉnh Tây Ninh", "074": "Tỉnh Bình Dương",
    "075": "Tỉnh Đồng Nai", "077": "Tỉnh Bà Rịa - Vũng Tàu", "079": "Thành phố Hồ Chí Minh",
    "080": "Tỉnh Long An", "082": "Tỉnh Tiền Giang", "083": "Tỉnh Bến Tre", "084": "Tỉnh Trà Vinh",
    "086": "Tỉnh Vĩnh Long", "087": "Tỉnh Đồng Tháp", "089": "Tỉnh An Giang", "091": "Tỉnh Kiên Giang",
    "092": "Thành phố Cần Thơ", "093": "Tỉnh Hậu Giang", "094": "Tỉnh Sóc Trăng", "095": "Tỉnh Bạc Liêu",
    "096": "Tỉnh Cà Mau",
}  # fmt: skip

# Obviously made-up names: common family and middle names, given names from a short list.
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hà")
MIDDLE = {1: ("Văn", "Đức", "Minh", "Quang"), 2: ("Thị", "Thu", "Ngọc", "Thanh")}
GIVEN = {
    1: ("An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Nam", "Phúc", "Sơn", "Tuấn"),
    2: ("Anh", "Chi", "Dung", "Giang", "Hà", "Hoa", "Lan", "Linh", "Mai", "Nga", "Thảo", "Yến"),
}
# QCVN 109 code lists are not reproduced here: the ethnicity codes follow the General Statistics
# Office list (01 Kinh, 06 Mường), the religion code "00" for none is our assumption.
ETHNIC = (("01", "Kinh"), ("01", "Kinh"), ("01", "Kinh"), ("06", "Mường"))


class Invalid(Exception):
    def __init__(self, code: str, message: str, field: str = ""):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


def birth_of(number: str) -> tuple[int, int]:
    """(sex 1 male / 2 female, birth year) from the century-and-sex digit and the year digits.

    Digit 4: 0/1 born 1900–1999 male/female, 2/3 2000–2099, 4/5 2100–2199, and so on
    (Decree 137/2015 Art. 13, Circular 59/2021/TT-BCA).
    """
    digit = int(number[3])
    century = 1900 + 100 * (digit // 2)
    return (1 if digit % 2 == 0 else 2), century + int(number[4:6])


def validate_number(number: object, *, this_year: int) -> str:
    """The number as a string, or ``Invalid("invalid_number")`` saying what is wrong with it."""
    if not isinstance(number, str) or not NUMBER.match(number):
        raise Invalid("invalid_number", "Số định danh cá nhân phải gồm đúng 12 chữ số", "SoDinhDanh")
    if number[:3] not in PROVINCES:
        raise Invalid("invalid_number", "Mã tỉnh nơi đăng ký khai sinh không hợp lệ", "SoDinhDanh")
    _sex, year = birth_of(number)
    if year > this_year:
        raise Invalid("invalid_number", "Mã thế kỷ, năm sinh không hợp lệ", "SoDinhDanh")
    return number


def _pick(seed: bytes, index: int, options: tuple):
    return options[seed[index] % len(options)]


def _place(code: str, detail: str) -> dict:
    return {"MaDonViHanhChinh": code[1:], "ChiTiet": detail, "QuocGia": "VN"}


def citizen(number: str) -> dict | None:
    """The synthetic citizen of ``number`` (already valid), or None outside the demo population."""
    if not number[6:].startswith(DEMO_PREFIX):
        return None
    seed = hashlib.sha256(number.encode()).digest()
    sex, year = birth_of(number)
    province = PROVINCES[number[:3]]
    month = 1 + seed[0] % 12
    day = 1 + seed[1] % 28
    ethnic_code, ethnic_name = _pick(seed, 2, ETHNIC)
    house = 1 + seed[3] % 200
    hamlet = 1 + seed[4] % 12
    address = f"Số nhà {house}, thôn Mẫu {hamlet}, {province}"
    return {
        "SoDinhDanh": number,
        "HoVaTen": {
            "Ho": _pick(seed, 5, FAMILY),
            "ChuDem": _pick(seed, 6, MIDDLE[sex]),
            "Ten": _pick(seed, 7, GIVEN[sex]),
        },
        "GioiTinh": sex,
        "DanToc": {"MaDanToc": ethnic_code, "TenGoi": ethnic_name},
        "TonGiao": {"MaTonGiao": "00", "TenGoi": "Không"},
        "QuocTich": "VN",
        "TinhTrangHonNhan": 0 if year > 2005 else 1 + seed[8] % 2,
        "NhomMau": f"{seed[9] % 5:02d}",
        "NgayThangNamSinh": {"NgayThangNam": f"{year:04d}-{month:02d}-{day:02d}"},
        "NoiDangKyKhaiSinh": _place(number[:3], province),
        "QueQuan": _place(number[:3], province),
        "ThuongTru": _place(number[:3], address),
        "NoiOHienTai": _place(number[:3], address),
        "GhiChu": FAKE_NOTE,
    }


def full_name(record: dict) -> str:
    name = record["HoVaTen"]
    return " ".join(part for part in (name["Ho"], name["ChuDem"], name["Ten"]) if part)


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


@dataclass
class DancuState:
    lookups: int = 0
    calls: list[dict] = field(default_factory=list)


class DancuFake(FakeApp):
    def __init__(self, *, token: str):
        self.token = token
        super().__init__()

    def _initial_state(self) -> DancuState:
        return DancuState()

    def failure_response(self, status: int) -> Response:
        return json_response({"error": "unavailable", "message": "Lỗi giả lập"}, status=status)

    @staticmethod
    def _refuse(code: str, message: str, status: int, field: str = "") -> Response:
        body = {"error": code, "message": message}
        if field:
            body["field"] = field
        return json_response(body, status=status)

    def handle(self, request: Request) -> Response:
        route = (request.method, request.path.rstrip("/") or "/")
        if route == ("POST", PATH):
            return self.lookup(request)
        if route == ("GET", "/healthz"):
            return json_response({"status": "ok"})
        if route == ("GET", "/"):
            note = f"<p>Đã trả lời {self.state.lookups} lượt tra cứu.</p><p class=note>{FAKE_NOTE}</p>"
            return html_page("Cơ sở dữ liệu quốc gia về dân cư (giả lập)", note)
        return self._refuse("not_found", "Không có địa chỉ này", 404)

    def lookup(self, request: Request) -> Response:
        if not request.bearer_matches(self.token):
            return self._refuse("unauthorized", "Token không hợp lệ", 401)
        try:
            query = request.json()
        except (ValueError, UnicodeDecodeError):
            return self._refuse("invalid_json", "Nội dung không phải JSON", 400)
        if not isinstance(query, dict):
            return self._refuse("invalid_json", "Nội dung phải là một đối tượng JSON", 400)
        for name in REQUIRED:
            value = query.get(name)
            # A number of the wrong type is an invalid number (below), not a missing one.
            if value is None or (isinstance(value, str) and not value.strip()):
                return self._refuse("missing_field", f"Thiếu trường {name}", 400, name)
        if not all(isinstance(query[name], str) for name in REQUIRED if name != "SoDinhDanh"):
            return self._refuse("invalid_json", "Các trường mã phải là chuỗi", 400)
        try:
            number = validate_number(query["SoDinhDanh"], this_year=self.now().year)
        except Invalid as exc:
            return self._refuse(exc.code, exc.message, 400, exc.field)
        record = citizen(number)
        if record is None:
            return self._refuse("not_found", "Không tìm thấy công dân có số định danh này", 404)
        self.state.lookups += 1
        answer = {"MaYeuCau": query["MaYeuCau"], "CongDan": record}
        checks = {}
        if isinstance(query.get("HoVaTen"), str):
            checks["HoVaTen"] = _same_text(query["HoVaTen"], full_name(record))
        if isinstance(query.get("NgayThangNamSinh"), str):
            born = record["NgayThangNamSinh"]["NgayThangNam"]
            # yyyy-mm-dd or only the year, as the NDXP services accept.
            checks["NgayThangNamSinh"] = query["NgayThangNamSinh"].strip() in (born, born[:4])
        if checks:
            answer["KetQuaDoiChieu"] = checks
        return json_response(answer)


def make_app(*, token: str) -> DancuFake:
    return DancuFake(token=token)
