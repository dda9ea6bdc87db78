"""Demo data of the reporting module: five regimes of the province and their reports since July 2024.

Loaded by ``cqs demo`` after the orgs demo (the tree of Vĩnh Phúc until 30/6/2025, then Phú Thọ's
communes). Each regime has two versions: the first, received by UBND tỉnh Vĩnh Phúc and
reported by its departments, districts and communes; the second, from 1/7/2025 (two-level local
government, the province merged into Phú Thọ), received by UBND tỉnh Phú Thọ and reported by
the new communes.

The regimes (made through ``services.metadata``): IT application and e-government (monthly,
plan 326/KH-UBND Part I), administrative-procedure results (monthly, bound to the one-stop
sources, pushed to the Government reporting system), clerical work and archives (six-monthly,
Decree 30/2020, bound to the documents sources), digital-transformation progress (quarterly),
information security (yearly).

History: from the first period ending after 1/7/2024 to the last period due before today, with
plausible values (a growing trend, seasonal noise, every validation rule satisfied): about 5%
of reports missing, 8% late, most approved, recent ones still waiting for review, a few
returned; the period under way today is a draft (about four in ten with figures entered). The
history is written with bulk inserts (it is data, not a workflow: no signed PDFs, no outbox),
and the load is recorded as one audit event. Idempotent: a regime that already has reports is
left alone.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, OuterRef, Subquery
from django.utils import timezone

from cqs.audit.services import audit_record
from cqs.orgs.models import OrgUnit
from cqs.reporting.choices import (
    Aggregation,
    Importance,
    MissingValueStrategy,
    Operator,
    PeriodType,
    ReportAction,
    ReportStatus,
    ValueSource,
    ValueType,
)
from cqs.reporting.models import CategoryOptionCombo, DataValue, Regime, RegimeVersion, Report, ReportEvent
from cqs.reporting.periods import PeriodSpec, period_of
from cqs.reporting.selectors import assigned_units, regime_rows, reviewer_for
from cqs.reporting.services.metadata import (
    DEFAULT,
    AssignmentSpec,
    RegimeSpec,
    RuleSpec,
    category_combo_ensure,
    indicator_ensure,
    regime_version_create,
)
from cqs.reporting.services.reports import period_ensure, report_dates
from cqs.reporting.values import value_parse

VINH_PHUC = "000.00.00.H62"
PHU_THO = "000.00.00.H44"
MERGER = date(2025, 7, 1)
HISTORY_FROM = date(2024, 7, 1)
FIRST_VERSION_FROM = date(2024, 1, 1)
STORED_BY = "du-lieu-minh-hoa"
DEMO_NOTE = "Dữ liệu minh họa"

MISSING_RATE = 0.05
LATE_RATE = 0.08

# --- disaggregations -------------------------------------------------------------------------

COMBOS = {
    # The same definition as elsewhere in the platform: one combination of service levels.
    "MUC_DO_DVC": (
        "Mức độ dịch vụ công",
        [("MUC_DO", "Mức độ", [("MOT_PHAN", "Một phần"), ("TOAN_TRINH", "Toàn trình")])],
    ),
    "CAP_CUOC_HOP": (
        "Cấp cuộc họp",
        [("CAP_HOP", "Cấp họp", [("HOP_CAP_TREN", "Với cấp trên"), ("HOP_NOI_BO", "Trong nội bộ")])],
    ),
    "VAT_MANG_LUU_TRU": (
        "Vật mang tin",
        [("VAT_MANG", "Vật mang tin", [("LUU_DIEN_TU", "Hồ sơ điện tử"), ("LUU_GIAY", "Hồ sơ giấy")])],
    ),
    "TIEN_DO_NHIEM_VU": (
        "Tiến độ hoàn thành",
        [("TIEN_DO", "Tiến độ", [("NV_DUNG_HAN", "Đúng hạn"), ("NV_CHAM", "Chậm so với kế hoạch")])],
    ),
    "LOAI_SU_CO": (
        "Loại sự cố",
        [
            (
                "SU_CO",
                "Loại sự cố",
                [("SC_MA_DOC", "Mã độc"), ("SC_TAN_CONG", "Tấn công mạng"), ("SC_KHAC", "Khác")],
            )
        ],
    ),
}

COUNT = ValueType.INTEGER_ZERO_OR_POSITIVE

# (code, name, unit label, value type, aggregation, combo code or "", source key or "")
INDICATORS: list[tuple[str, str, str, str, str, str, str]] = [
    # Regime 1: IT application, e-government.
    ("CNTT_VB_DI", "Tổng số văn bản đi", "văn bản", COUNT, "SUM", "", ""),
    ("CNTT_VB_DI_DIEN_TU", "Số văn bản đi gửi dưới dạng điện tử", "văn bản", COUNT, "SUM", "", ""),
    ("CNTT_VB_DI_KY_SO", "Số văn bản điện tử được ký số", "văn bản", COUNT, "SUM", "", ""),
    (
        "CNTT_TY_LE_HSCV",
        "Tỷ lệ hồ sơ công việc được xử lý trên môi trường mạng",
        "%",
        ValueType.PERCENTAGE,
        "AVERAGE",
        "",
        "",
    ),
    ("CNTT_HOP_TRUC_TUYEN", "Số cuộc họp trực tuyến", "cuộc", COUNT, "SUM", "CAP_CUOC_HOP", ""),
    ("CNTT_CHUNG_THU_SO", "Số chứng thư số chuyên dùng đang sử dụng", "chứng thư", COUNT, "LAST", "", ""),
    ("CNTT_KHO_KHAN", "Khó khăn, vướng mắc, đề xuất", "", ValueType.TEXT, "NONE", "", ""),
    # Regime 2: administrative procedures (one-stop).
    ("TTHC_TIEP_NHAN", "Số hồ sơ tiếp nhận mới trong kỳ", "hồ sơ", COUNT, "SUM", "", "onestop.received"),
    (
        "TTHC_TRUC_TUYEN",
        "Số hồ sơ tiếp nhận trực tuyến",
        "hồ sơ",
        COUNT,
        "SUM",
        "",
        "onestop.received_online",
    ),
    (
        "TTHC_TT_MUC_DO",
        "Số hồ sơ trực tuyến theo mức độ dịch vụ công",
        "hồ sơ",
        COUNT,
        "SUM",
        "MUC_DO_DVC",
        "",
    ),
    ("TTHC_DA_GIAI_QUYET", "Số hồ sơ đã giải quyết", "hồ sơ", COUNT, "SUM", "", "onestop.resolved"),
    (
        "TTHC_DUNG_HAN",
        "Số hồ sơ giải quyết trước và đúng hạn",
        "hồ sơ",
        COUNT,
        "SUM",
        "",
        "onestop.resolved_on_time",
    ),
    ("TTHC_QUA_HAN", "Số hồ sơ giải quyết quá hạn", "hồ sơ", COUNT, "SUM", "", "onestop.resolved_late"),
    (
        "TTHC_TON_QUA_HAN",
        "Số hồ sơ đang giải quyết đã quá hạn (cuối kỳ)",
        "hồ sơ",
        COUNT,
        "SUM",
        "",
        "onestop.overdue",
    ),
    (
        "TTHC_DVC_TOAN_TRINH",
        "Số thủ tục cung cấp dịch vụ công trực tuyến toàn trình",
        "thủ tục",
        COUNT,
        "LAST",
        "",
        "onestop.procedures_full_online",
    ),
    (
        "TTHC_PAKN",
        "Số phản ánh, kiến nghị về quy định hành chính",
        "phản ánh",
        COUNT,
        "SUM",
        "",
        "feedback.received",
    ),
    # Regime 3: clerical work and archives (Decree 30/2020).
    ("VT_VB_DEN", "Số văn bản đến đã vào sổ", "văn bản", COUNT, "SUM", "", "documents.incoming_registered"),
    (
        "VT_VB_DEN_TRUC",
        "Số văn bản đến qua trục liên thông",
        "văn bản",
        COUNT,
        "SUM",
        "",
        "documents.incoming_axis",
    ),
    ("VT_VB_DI", "Số văn bản đi đã phát hành", "văn bản", COUNT, "SUM", "", "documents.outgoing_issued"),
    (
        "VT_VB_DI_KY_SO",
        "Số văn bản đi có chữ ký số",
        "văn bản",
        COUNT,
        "SUM",
        "",
        "documents.outgoing_signed",
    ),
    ("VT_HS_NOP_LUU", "Số hồ sơ nộp lưu vào lưu trữ cơ quan", "hồ sơ", COUNT, "SUM", "VAT_MANG_LUU_TRU", ""),
    ("VT_TRANG_SO_HOA", "Số trang tài liệu lưu trữ được số hóa", "trang", COUNT, "SUM", "", ""),
    # Regime 4: digital transformation progress.
    ("CDS_NV_GIAO", "Số nhiệm vụ chuyển đổi số được giao trong kỳ", "nhiệm vụ", COUNT, "SUM", "", ""),
    ("CDS_NV_HOAN_THANH", "Số nhiệm vụ đã hoàn thành", "nhiệm vụ", COUNT, "SUM", "TIEN_DO_NHIEM_VU", ""),
    ("CDS_KINH_PHI_GIAO", "Kinh phí chuyển đổi số được giao", "triệu đồng", ValueType.NUMBER, "SUM", "", ""),
    ("CDS_KINH_PHI_GIAI_NGAN", "Kinh phí đã giải ngân", "triệu đồng", ValueType.NUMBER, "SUM", "", ""),
    (
        "CDS_TY_LE_SO_HOA",
        "Tỷ lệ hồ sơ thủ tục hành chính được số hóa kết quả",
        "%",
        ValueType.PERCENTAGE,
        "AVERAGE",
        "",
        "",
    ),
    ("CDS_TO_CNS", "Số tổ công nghệ số cộng đồng đang hoạt động", "tổ", COUNT, "LAST", "", ""),
    ("CDS_KHO_KHAN", "Khó khăn, vướng mắc, kiến nghị", "", ValueType.TEXT, "NONE", "", ""),
    # Regime 5: information security.
    ("ATTT_HTTT", "Số hệ thống thông tin đang vận hành", "hệ thống", COUNT, "SUM", "", ""),
    ("ATTT_HTTT_CAP_DO", "Số hệ thống thông tin đã được phê duyệt cấp độ", "hệ thống", COUNT, "SUM", "", ""),
    ("ATTT_SU_CO", "Số sự cố an toàn thông tin mạng", "sự cố", COUNT, "SUM", "LOAI_SU_CO", ""),
    ("ATTT_SU_CO_XU_LY", "Số sự cố đã xử lý, khắc phục", "sự cố", COUNT, "SUM", "", ""),
    ("ATTT_CB_TAP_HUAN", "Số lượt cán bộ được tập huấn an toàn thông tin", "lượt", COUNT, "SUM", "", ""),
    ("ATTT_DIEN_TAP", "Đơn vị có tham gia diễn tập an toàn thông tin", "", ValueType.BOOLEAN, "NONE", "", ""),
]


def _rule(name, left, op, right, instruction, *, strategy=None, importance=Importance.ERROR) -> RuleSpec:
    return RuleSpec(
        name=name,
        left=left,
        operator=op,
        right=right,
        instruction=instruction,
        missing_value_strategy=strategy or MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING,
        importance=importance,
    )


LE = Operator.LESS_THAN_OR_EQUAL_TO


@dataclass
class DemoRegime:
    code: str
    name: str
    legal_basis: str
    content: str
    period_type: str
    rows: list[tuple[str, str, bool]]
    rules: list[RuleSpec]
    old_kinds: list[str]
    generate: Callable[[Context], dict[tuple[str, str], str]]
    outline: str = ""
    push_to_ris: bool = False


# --- values ----------------------------------------------------------------------------------


@dataclass
class Context:
    """What a value generator knows: a seeded random source, the unit's size, how far the period
    is from July 2024 (months), its length and the months it covers."""

    rng: random.Random
    size: float
    t: int
    months: int
    month: int

    def flow(self, base: float, growth: float = 0.02) -> int:
        """A count over the period: base per month × size × trend × season × noise."""
        season = (
            {1: 1.15, 2: 0.75, 7: 0.95, 8: 0.95, 12: 1.1}.get(self.month, 1.0) if self.months == 1 else 1.0
        )
        value = base * self.size * self.months * (1 + growth * self.t) * season * self.rng.uniform(0.85, 1.15)
        return max(0, round(value))

    def share(self, start: float, end: float, months: int = 28) -> float:
        """A rate moving from ``start`` to ``end`` over ``months``, with a little noise."""
        progress = min(1.0, self.t / months)
        return min(1.0, max(0.0, start + (end - start) * progress + self.rng.uniform(-0.03, 0.03)))

    def part(self, whole: int, share: float) -> int:
        return min(whole, max(0, round(whole * share)))


def _split(ctx: Context, whole: int, codes: list[str], weights: list[float]) -> dict[str, int]:
    """``whole`` split over ``codes`` roughly by ``weights``; the parts add up to ``whole``."""
    parts, left = {}, whole
    total = sum(weights)
    for code, weight in zip(codes[:-1], weights[:-1], strict=True):
        part = min(left, round(whole * weight / total * ctx.rng.uniform(0.8, 1.2)))
        parts[code] = part
        left -= part
    parts[codes[-1]] = left
    return parts


def _it(ctx: Context) -> dict[tuple[str, str], str]:
    issued = ctx.flow(60)
    electronic = ctx.part(issued, ctx.share(0.82, 0.99))
    signed = ctx.part(electronic, ctx.share(0.75, 0.98))
    meetings = ctx.flow(3, growth=0.03)
    split = _split(ctx, meetings, ["HOP_CAP_TREN", "HOP_NOI_BO"], [0.6, 0.4])
    values = {
        ("CNTT_VB_DI", DEFAULT): issued,
        ("CNTT_VB_DI_DIEN_TU", DEFAULT): electronic,
        ("CNTT_VB_DI_KY_SO", DEFAULT): signed,
        ("CNTT_TY_LE_HSCV", DEFAULT): f"{ctx.share(0.70, 0.95) * 100:.1f}",
        ("CNTT_HOP_TRUC_TUYEN", "HOP_CAP_TREN"): split["HOP_CAP_TREN"],
        ("CNTT_HOP_TRUC_TUYEN", "HOP_NOI_BO"): split["HOP_NOI_BO"],
        ("CNTT_CHUNG_THU_SO", DEFAULT): max(1, round(8 * ctx.size * (1 + 0.01 * ctx.t))),
    }
    if ctx.rng.random() < 0.3:
        values[("CNTT_KHO_KHAN", DEFAULT)] = ctx.rng.choice(
            [
                "Đường truyền tại bộ phận một cửa còn chập chờn.",
                "Một số máy tính đã cũ, cần thay thế.",
                "Cán bộ mới chưa được cấp chứng thư số chuyên dùng.",
            ]
        )
    return {key: str(value) for key, value in values.items()}


def _onestop(ctx: Context) -> dict[tuple[str, str], str]:
    received = ctx.flow(45)
    online = ctx.part(received, ctx.share(0.35, 0.78))
    full = ctx.part(online, ctx.share(0.40, 0.70))
    resolved = ctx.part(received, ctx.rng.uniform(0.9, 1.0))
    on_time = ctx.part(resolved, ctx.share(0.95, 0.995))
    values = {
        ("TTHC_TIEP_NHAN", DEFAULT): received,
        ("TTHC_TRUC_TUYEN", DEFAULT): online,
        ("TTHC_TT_MUC_DO", "MOT_PHAN"): online - full,
        ("TTHC_TT_MUC_DO", "TOAN_TRINH"): full,
        ("TTHC_DA_GIAI_QUYET", DEFAULT): resolved,
        ("TTHC_DUNG_HAN", DEFAULT): on_time,
        ("TTHC_QUA_HAN", DEFAULT): resolved - on_time,
        ("TTHC_TON_QUA_HAN", DEFAULT): ctx.rng.choice([0, 0, 0, 1, 2]),
        ("TTHC_DVC_TOAN_TRINH", DEFAULT): round((20 + 1.5 * ctx.t) * min(ctx.size, 3)),
        ("TTHC_PAKN", DEFAULT): ctx.rng.choice([0, 0, 1, 1, 2, 3]),
    }
    return {key: str(value) for key, value in values.items()}


def _archives(ctx: Context) -> dict[tuple[str, str], str]:
    incoming = ctx.flow(120)
    outgoing = ctx.flow(55)
    files = ctx.flow(6, growth=0.01)
    electronic = ctx.part(files, ctx.share(0.2, 0.6))
    values = {
        ("VT_VB_DEN", DEFAULT): incoming,
        ("VT_VB_DEN_TRUC", DEFAULT): ctx.part(incoming, ctx.share(0.80, 0.97)),
        ("VT_VB_DI", DEFAULT): outgoing,
        ("VT_VB_DI_KY_SO", DEFAULT): ctx.part(outgoing, ctx.share(0.85, 0.99)),
        ("VT_HS_NOP_LUU", "LUU_DIEN_TU"): electronic,
        ("VT_HS_NOP_LUU", "LUU_GIAY"): files - electronic,
        ("VT_TRANG_SO_HOA", DEFAULT): ctx.flow(400, growth=0.04),
    }
    return {key: str(value) for key, value in values.items()}


def _progress(ctx: Context) -> dict[tuple[str, str], str]:
    tasks = max(1, round(ctx.rng.uniform(4, 9) * min(ctx.size, 3)))
    done = ctx.part(tasks, ctx.share(0.6, 0.9))
    late = ctx.part(done, ctx.rng.uniform(0.0, 0.25))
    budget = round(ctx.rng.uniform(150, 400) * ctx.size, 1)
    values = {
        ("CDS_NV_GIAO", DEFAULT): tasks,
        ("CDS_NV_HOAN_THANH", "NV_DUNG_HAN"): done - late,
        ("CDS_NV_HOAN_THANH", "NV_CHAM"): late,
        ("CDS_KINH_PHI_GIAO", DEFAULT): f"{budget:.1f}",
        ("CDS_KINH_PHI_GIAI_NGAN", DEFAULT): f"{budget * ctx.share(0.45, 0.85):.1f}",
        ("CDS_TY_LE_SO_HOA", DEFAULT): f"{ctx.share(0.55, 0.92) * 100:.1f}",
        ("CDS_TO_CNS", DEFAULT): round((5 + 0.3 * ctx.t) * min(ctx.size, 4)),
    }
    if ctx.rng.random() < 0.4:
        values[("CDS_KHO_KHAN", DEFAULT)] = ctx.rng.choice(
            [
                "Thiếu nhân lực chuyên trách công nghệ thông tin.",
                "Kinh phí giao muộn nên giải ngân chậm.",
                "Người dân cao tuổi còn ngại sử dụng dịch vụ công trực tuyến.",
            ]
        )
    return {key: str(value) for key, value in values.items()}


def _security(ctx: Context) -> dict[tuple[str, str], str]:
    systems = max(1, round(ctx.rng.uniform(2, 5) * min(ctx.size, 3)))
    incidents = ctx.rng.choice([0, 1, 1, 2, 3, 5])
    kinds = _split(ctx, incidents, ["SC_MA_DOC", "SC_TAN_CONG", "SC_KHAC"], [0.6, 0.25, 0.15])
    values = {
        ("ATTT_HTTT", DEFAULT): systems,
        ("ATTT_HTTT_CAP_DO", DEFAULT): ctx.part(systems, ctx.share(0.5, 0.95, months=24)),
        **{("ATTT_SU_CO", code): count for code, count in kinds.items()},
        ("ATTT_SU_CO_XU_LY", DEFAULT): incidents - ctx.rng.choice([0, 0, 0, min(1, incidents)]),
        ("ATTT_CB_TAP_HUAN", DEFAULT): round(ctx.rng.uniform(5, 20) * min(ctx.size, 4)),
        ("ATTT_DIEN_TAP", DEFAULT): "true" if ctx.rng.random() < 0.7 else "false",
    }
    return {key: str(value) for key, value in values.items()}


# --- the regimes -----------------------------------------------------------------------------

REGIMES = [
    DemoRegime(
        code="BC_UD_CNTT",
        name="Báo cáo tình hình ứng dụng công nghệ thông tin, phát triển chính quyền số",
        legal_basis="Kế hoạch 326/KH-UBND của UBND tỉnh Vĩnh Phúc (Phần I); Nghị định 09/2019/NĐ-CP",
        content="Số liệu văn bản điện tử, ký số, họp trực tuyến và chứng thư số của đơn vị trong tháng.",
        period_type=PeriodType.MONTHLY,
        rows=[
            ("CNTT_VB_DI", "I. Văn bản điện tử", True),
            ("CNTT_VB_DI_DIEN_TU", "I. Văn bản điện tử", True),
            ("CNTT_VB_DI_KY_SO", "I. Văn bản điện tử", True),
            ("CNTT_TY_LE_HSCV", "I. Văn bản điện tử", False),
            ("CNTT_HOP_TRUC_TUYEN", "II. Họp trực tuyến, chữ ký số", False),
            ("CNTT_CHUNG_THU_SO", "II. Họp trực tuyến, chữ ký số", False),
            ("CNTT_KHO_KHAN", "III. Khó khăn, đề xuất", False),
        ],
        rules=[
            _rule(
                "Văn bản điện tử không vượt tổng số văn bản đi",
                "#{CNTT_VB_DI_DIEN_TU}",
                LE,
                "#{CNTT_VB_DI}",
                "Số văn bản đi dạng điện tử phải nhỏ hơn hoặc bằng tổng số văn bản đi.",
            ),
            _rule(
                "Văn bản ký số không vượt số văn bản điện tử",
                "#{CNTT_VB_DI_KY_SO}",
                LE,
                "#{CNTT_VB_DI_DIEN_TU}",
                "Số văn bản ký số phải nhỏ hơn hoặc bằng số văn bản đi dạng điện tử.",
            ),
        ],
        old_kinds=["so", "co-quan-tinh", "huyen", "xa"],
        generate=_it,
        outline="1. Kết quả ứng dụng công nghệ thông tin\n2. Khó khăn, vướng mắc\n3. Đề xuất, kiến nghị",
    ),
    DemoRegime(
        code="BC_KQ_TTHC",
        name="Báo cáo tình hình, kết quả giải quyết thủ tục hành chính",
        legal_basis=(
            "Nghị định 61/2018/NĐ-CP, Nghị định 107/2021/NĐ-CP; Thông tư 01/2020/TT-VPCP; "
            "Quyết định 766/QĐ-TTg ngày 23/6/2022"
        ),
        content="Kết quả tiếp nhận, giải quyết hồ sơ thủ tục hành chính của đơn vị trong tháng.",
        period_type=PeriodType.MONTHLY,
        rows=[
            ("TTHC_TIEP_NHAN", "I. Tiếp nhận hồ sơ", True),
            ("TTHC_TRUC_TUYEN", "I. Tiếp nhận hồ sơ", True),
            ("TTHC_TT_MUC_DO", "I. Tiếp nhận hồ sơ", False),
            ("TTHC_DA_GIAI_QUYET", "II. Giải quyết hồ sơ", True),
            ("TTHC_DUNG_HAN", "II. Giải quyết hồ sơ", True),
            ("TTHC_QUA_HAN", "II. Giải quyết hồ sơ", True),
            ("TTHC_TON_QUA_HAN", "II. Giải quyết hồ sơ", False),
            ("TTHC_DVC_TOAN_TRINH", "III. Dịch vụ công trực tuyến", False),
            ("TTHC_PAKN", "IV. Phản ánh, kiến nghị", False),
        ],
        rules=[
            _rule(
                "Hồ sơ trực tuyến không vượt tổng số hồ sơ tiếp nhận",
                "#{TTHC_TRUC_TUYEN}",
                LE,
                "#{TTHC_TIEP_NHAN}",
                "Số hồ sơ trực tuyến phải nhỏ hơn hoặc bằng số hồ sơ tiếp nhận.",
            ),
            _rule(
                "Hồ sơ đúng hạn không vượt số hồ sơ đã giải quyết",
                "#{TTHC_DUNG_HAN}",
                LE,
                "#{TTHC_DA_GIAI_QUYET}",
                "Số hồ sơ đúng hạn phải nhỏ hơn hoặc bằng số hồ sơ đã giải quyết.",
            ),
            _rule(
                "Đúng hạn cộng quá hạn bằng số đã giải quyết",
                "#{TTHC_DUNG_HAN} + #{TTHC_QUA_HAN}",
                Operator.EQUAL_TO,
                "#{TTHC_DA_GIAI_QUYET}",
                "Hồ sơ đã giải quyết gồm hồ sơ trước, đúng hạn và hồ sơ quá hạn.",
                strategy=MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING,
            ),
            _rule(
                "Hồ sơ theo mức độ khớp số hồ sơ trực tuyến",
                "#{TTHC_TT_MUC_DO}",
                Operator.EQUAL_TO,
                "#{TTHC_TRUC_TUYEN}",
                "Tổng hồ sơ trực tuyến một phần và toàn trình nên bằng số hồ sơ trực tuyến.",
                strategy=MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING,
                importance=Importance.WARNING,
            ),
        ],
        old_kinds=["so", "huyen", "xa"],
        generate=_onestop,
        push_to_ris=True,
    ),
    DemoRegime(
        code="BC_VAN_THU_LUU_TRU",
        name="Báo cáo công tác văn thư, lưu trữ",
        legal_basis="Nghị định 30/2020/NĐ-CP về công tác văn thư; Luật Lưu trữ",
        content="Số liệu văn bản đến, văn bản đi, ký số, hồ sơ nộp lưu và số hóa tài liệu trong kỳ.",
        period_type=PeriodType.SIX_MONTHLY,
        rows=[
            ("VT_VB_DEN", "I. Văn bản đến", True),
            ("VT_VB_DEN_TRUC", "I. Văn bản đến", False),
            ("VT_VB_DI", "II. Văn bản đi", True),
            ("VT_VB_DI_KY_SO", "II. Văn bản đi", False),
            ("VT_HS_NOP_LUU", "III. Lưu trữ", False),
            ("VT_TRANG_SO_HOA", "III. Lưu trữ", False),
        ],
        rules=[
            _rule(
                "Văn bản đến qua trục không vượt tổng số văn bản đến",
                "#{VT_VB_DEN_TRUC}",
                LE,
                "#{VT_VB_DEN}",
                "Số văn bản đến qua trục liên thông phải nhỏ hơn hoặc bằng số văn bản đến.",
            ),
            _rule(
                "Văn bản ký số không vượt số văn bản đi",
                "#{VT_VB_DI_KY_SO}",
                LE,
                "#{VT_VB_DI}",
                "Số văn bản đi ký số phải nhỏ hơn hoặc bằng số văn bản đi đã phát hành.",
            ),
        ],
        old_kinds=["so", "co-quan-tinh", "huyen", "xa"],
        generate=_archives,
    ),
    DemoRegime(
        code="BC_TIEN_DO_CDS",
        name="Báo cáo tiến độ thực hiện nhiệm vụ chuyển đổi số",
        legal_basis="Quyết định 749/QĐ-TTg ngày 03/6/2020; Kế hoạch 326/KH-UBND của UBND tỉnh Vĩnh Phúc",
        content="Tiến độ nhiệm vụ chuyển đổi số được giao, kinh phí và kết quả số hóa trong quý.",
        period_type=PeriodType.QUARTERLY,
        rows=[
            ("CDS_NV_GIAO", "I. Nhiệm vụ", True),
            ("CDS_NV_HOAN_THANH", "I. Nhiệm vụ", True),
            ("CDS_KINH_PHI_GIAO", "II. Kinh phí", False),
            ("CDS_KINH_PHI_GIAI_NGAN", "II. Kinh phí", False),
            ("CDS_TY_LE_SO_HOA", "III. Kết quả", False),
            ("CDS_TO_CNS", "III. Kết quả", False),
            ("CDS_KHO_KHAN", "IV. Khó khăn, kiến nghị", False),
        ],
        rules=[
            _rule(
                "Nhiệm vụ hoàn thành không vượt số được giao",
                "#{CDS_NV_HOAN_THANH}",
                LE,
                "#{CDS_NV_GIAO}",
                "Số nhiệm vụ hoàn thành phải nhỏ hơn hoặc bằng số nhiệm vụ được giao.",
            ),
            _rule(
                "Giải ngân không vượt kinh phí được giao",
                "#{CDS_KINH_PHI_GIAI_NGAN}",
                LE,
                "#{CDS_KINH_PHI_GIAO}",
                "Kinh phí giải ngân phải nhỏ hơn hoặc bằng kinh phí được giao.",
            ),
        ],
        old_kinds=["so", "huyen"],
        generate=_progress,
        outline="1. Kết quả thực hiện\n2. Nhiệm vụ chậm tiến độ, nguyên nhân\n3. Kiến nghị",
    ),
    DemoRegime(
        code="BC_AN_TOAN_TT",
        name="Báo cáo tình hình bảo đảm an toàn thông tin mạng",
        legal_basis=(
            "Luật An toàn thông tin mạng 2015; Nghị định 85/2016/NĐ-CP; Chỉ thị 14/CT-TTg ngày 07/6/2019"
        ),
        content=(
            "Hệ thống thông tin, phê duyệt cấp độ, sự cố và tập huấn, diễn tập an toàn thông tin trong năm."
        ),
        period_type=PeriodType.YEARLY,
        rows=[
            ("ATTT_HTTT", "I. Hệ thống thông tin", True),
            ("ATTT_HTTT_CAP_DO", "I. Hệ thống thông tin", True),
            ("ATTT_SU_CO", "II. Sự cố", True),
            ("ATTT_SU_CO_XU_LY", "II. Sự cố", True),
            ("ATTT_CB_TAP_HUAN", "III. Đào tạo, diễn tập", False),
            ("ATTT_DIEN_TAP", "III. Đào tạo, diễn tập", False),
        ],
        rules=[
            _rule(
                "Hệ thống được phê duyệt cấp độ không vượt tổng số hệ thống",
                "#{ATTT_HTTT_CAP_DO}",
                LE,
                "#{ATTT_HTTT}",
                "Số hệ thống đã phê duyệt cấp độ phải nhỏ hơn hoặc bằng số hệ thống đang vận hành.",
            ),
            _rule(
                "Sự cố đã xử lý không vượt số sự cố",
                "#{ATTT_SU_CO_XU_LY}",
                LE,
                "#{ATTT_SU_CO}",
                "Số sự cố đã xử lý phải nhỏ hơn hoặc bằng tổng số sự cố.",
            ),
        ],
        old_kinds=["so", "co-quan-tinh", "huyen"],
        generate=_security,
    ),
]


# --- metadata --------------------------------------------------------------------------------


def _metadata() -> None:
    combos = {
        code: category_combo_ensure(code=code, name=name, categories=categories)
        for code, (name, categories) in COMBOS.items()
    }
    for code, name, unit_label, value_type, aggregation, combo, source in INDICATORS:
        indicator_ensure(
            code=code,
            name=name,
            unit_label=unit_label,
            value_type=value_type,
            aggregation=getattr(Aggregation, aggregation),
            combo=combos[combo] if combo else None,
            source=source,
            min_value=Decimal(0) if value_type in (COUNT, ValueType.NUMBER) else None,
        )


def _spec(regime: DemoRegime, *, receiver, valid_from: date, assignments) -> RegimeSpec:
    return RegimeSpec(
        code=regime.code,
        name=regime.name,
        legal_basis=regime.legal_basis,
        content=regime.content,
        receiver=receiver,
        period_type=regime.period_type,
        valid_from=valid_from,
        rows=regime.rows,
        assignments=assignments,
        rules=regime.rules,
        outline_template=regime.outline,
        process_guide=(
            "Đơn vị nhập số liệu, kiểm tra, gửi; đơn vị tổng hợp cấp trên duyệt hoặc trả lại; "
            "báo cáo đã duyệt được ký số bằng chữ ký của cơ quan."
        ),
        push_to_ris=regime.push_to_ris,
    )


def _versions(regime: DemoRegime, vinh_phuc: OrgUnit, phu_tho: OrgUnit) -> list[RegimeVersion]:
    existing = list(RegimeVersion.objects.filter(regime__code=regime.code).order_by("valid_from"))
    if existing:
        return existing
    first = regime_version_create(
        spec=_spec(
            regime,
            receiver=vinh_phuc,
            valid_from=FIRST_VERSION_FROM,
            assignments=[AssignmentSpec(kind=kind, within=vinh_phuc) for kind in regime.old_kinds],
        )
    )
    second = regime_version_create(
        spec=_spec(
            regime,
            receiver=phu_tho,
            valid_from=MERGER,
            assignments=[AssignmentSpec(kind="xa", within=phu_tho)],
        )
    )
    return [first, second]


# --- history ---------------------------------------------------------------------------------


@dataclass
class Batch:
    reports: list[Report] = field(default_factory=list)
    values: list[list[DataValue]] = field(default_factory=list)
    events: list[list[tuple[str, str]]] = field(default_factory=list)
    late: int = 0
    missing: int = 0


def _moment(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _periods(period_type: str, today: date) -> list[PeriodSpec]:
    """Periods from the first ending after ``HISTORY_FROM`` to the one under way ``today``."""
    spec = period_of(period_type, HISTORY_FROM)
    result = []
    while spec.window(14)[0] <= today:
        result.append(spec)
        spec = spec.next()
    return result


def _size(unit: OrgUnit, phu_tho_id: int) -> float:
    base = {"xa": 1.0, "huyen": 5.0, "so": 2.5, "co-quan-tinh": 1.5}.get(unit.kind.code, 1.0)
    if unit.kind.code == "xa" and unit.parent_id == phu_tho_id:
        base = 3.0  # a new commune merges about three old ones
    rng = random.Random(f"size:{unit.identifier or unit.pk}")  # noqa: S311 - reproducible demo data
    return base * rng.uniform(0.6, 1.5)


def _outcome(rng: random.Random, deadline: date, today: date) -> str:
    """The status of a past report: recent ones are still waiting for review more often."""
    age = (today - deadline).days
    roll = rng.random()
    if age <= 20:
        return "approved" if roll < 0.4 else "submitted" if roll < 0.9 else "returned"
    if age <= 70:
        return "approved" if roll < 0.82 else "submitted" if roll < 0.96 else "returned"
    return "approved" if roll < 0.985 else "submitted" if roll < 0.993 else "returned"


def _history(regime: DemoRegime, versions: list[RegimeVersion], today: date, phu_tho_id: int) -> Batch:
    now = timezone.now()
    batch = Batch()
    cells = {}
    for version in versions:
        cells[version.pk] = {}
        for row in regime_rows(version):
            for option in CategoryOptionCombo.objects.filter(combo_id=row.indicator.category_combo_id):
                cells[version.pk][(row.indicator.code, option.code)] = (row.indicator, option)
    reviewers: dict[tuple[int, int | None], OrgUnit] = {}
    for spec in _periods(regime.period_type, today):
        version = versions[-1] if spec.end >= versions[-1].valid_from else versions[0]
        dates = report_dates(version, spec)
        period = period_ensure(spec)
        current = dates["window_end"] >= today
        t = (spec.start.year - HISTORY_FROM.year) * 12 + spec.start.month - HISTORY_FROM.month
        for unit in assigned_units(version, spec.end).order_by("path"):
            seed = f"{regime.code}:{unit.identifier or unit.pk}:{spec.iso}"
            rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not a secret
            key = (version.pk, unit.parent_id)
            if key not in reviewers:
                reviewers[key] = reviewer_for(version, unit, spec.end)
            report = Report(
                regime_id=version.regime_id,
                version_id=version.pk,
                unit_id=unit.pk,
                period_id=period.pk,
                reviewer_unit_id=reviewers[key].pk,
                **dates,
            )
            events = [(ReportAction.CREATED, DEMO_NOTE)]
            filled = True
            if current:
                report.status = ReportStatus.DRAFT
                filled = rng.random() < 0.4
            elif rng.random() < MISSING_RATE:
                batch.missing += 1
                continue
            else:
                late = rng.random() < LATE_RATE
                day = (
                    dates["deadline"] + timedelta(days=rng.randint(1, 12))
                    if late
                    else dates["deadline"] - timedelta(days=rng.randint(0, 2))
                )
                submitted = _moment(max(day, dates["window_end"]), rng.randint(8, 16))
                if submitted > now:
                    report.status = ReportStatus.DRAFT  # not sent yet: late in the making
                else:
                    batch.late += late
                    report.status = _outcome(rng, dates["deadline"], today)
                    report.submitted_at, report.late = submitted, late
                    note = f"Gửi muộn (hạn {dates['deadline']:%d/%m/%Y})" if late else ""
                    events.append((ReportAction.SUBMITTED, note))
                    decided = submitted + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 5))
                    if decided > now:
                        report.status = ReportStatus.SUBMITTED
                    elif report.status == ReportStatus.APPROVED:
                        report.decided_at = decided
                        events.append((ReportAction.APPROVED, ""))
                    elif report.status == ReportStatus.RETURNED:
                        report.decided_at = decided
                        report.return_reason = "Số liệu chưa khớp với kỳ trước, đề nghị rà soát và gửi lại."
                        events.append((ReportAction.RETURNED, report.return_reason))
            values = []
            if filled:
                ctx = Context(
                    rng=rng,
                    size=_size(unit, phu_tho_id),
                    t=t,
                    months=spec.months,
                    month=spec.end.month,
                )
                stamp = report.submitted_at or now
                for cell, raw in regime.generate(ctx).items():
                    indicator, option = cells[version.pk][cell]
                    text, number = value_parse(indicator.value_type, raw)
                    values.append(
                        DataValue(
                            indicator_id=indicator.pk,
                            option_combo_id=option.pk,
                            unit_id=unit.pk,
                            period_id=period.pk,
                            value=text,
                            number=number,
                            source=ValueSource.TYPED,
                            stored_by=STORED_BY,
                            updated_at=stamp,
                        )
                    )
            batch.reports.append(report)
            batch.values.append(values)
            batch.events.append(events)
    return batch


def _write(regime: Regime, batch: Batch) -> tuple[int, int]:
    reports = Report.objects.bulk_create(batch.reports, batch_size=500)
    values, events = [], []
    for report, report_values, report_events in zip(reports, batch.values, batch.events, strict=True):
        for value in report_values:
            value.report_id = report.pk
            values.append(value)
        events += [
            ReportEvent(report_id=report.pk, action=action, note=note) for action, note in report_events
        ]
    DataValue.objects.bulk_create(values, batch_size=1000)
    ReportEvent.objects.bulk_create(events, batch_size=1000)
    # ``at`` is set to the current time on insert; the history happened earlier: one UPDATE per
    # action copies the moment from the report (created two days before it was sent).
    # No ordering: the default one would join period and regime into every correlated subquery.
    report = Report.objects.filter(pk=OuterRef("report_id")).order_by()
    mine = ReportEvent.objects.filter(report__regime=regime)
    moments = {
        ReportAction.SUBMITTED: report.values("submitted_at"),
        ReportAction.APPROVED: report.values("decided_at"),
        ReportAction.RETURNED: report.values("decided_at"),
        ReportAction.CREATED: report.filter(submitted_at__isnull=False)
        .annotate(
            opened=ExpressionWrapper(F("submitted_at") - timedelta(days=2), output_field=DateTimeField())
        )
        .values("opened"),
    }
    for action, moment in moments.items():
        rows = mine.filter(action=action)
        if action == ReportAction.CREATED:
            rows = rows.filter(report__submitted_at__isnull=False)
        rows.update(at=Subquery(moment[:1]))
    return len(reports), len(values)


def load_demo(*, log: Callable[[str], None]) -> None:
    units = {
        u.identifier: u
        for u in OrgUnit.objects.filter(identifier__in=[VINH_PHUC, PHU_THO]).order_by("valid_from")
    }
    if len(units) < 2:
        log("reporting: chưa có cây đơn vị Vĩnh Phúc, Phú Thọ (orgs); bỏ qua dữ liệu báo cáo minh họa.")
        return
    today = timezone.localdate()
    vinh_phuc, phu_tho = units[VINH_PHUC], units[PHU_THO]
    totals = {"regimes": 0, "reports": 0, "values": 0, "late": 0, "missing": 0}
    with transaction.atomic():
        _metadata()
        for regime in REGIMES:
            versions = _versions(regime, vinh_phuc, phu_tho)
            if Report.objects.filter(regime__code=regime.code).exists():
                continue
            batch = _history(regime, versions, today, phu_tho.pk)
            reports, values = _write(versions[0].regime, batch)
            totals["regimes"] += 1
            totals["reports"] += reports
            totals["values"] += values
            totals["late"] += batch.late
            totals["missing"] += batch.missing
        if totals["regimes"]:
            audit_record(action="reporting.demo_load", object_type="reporting.report", after=totals)
    if totals["regimes"]:
        log(
            f"reporting: {totals['regimes']} chế độ báo cáo, {totals['reports']} báo cáo, "
            f"{totals['values']} giá trị ({totals['late']} gửi muộn, {totals['missing']} chưa gửi)."
        )
    else:
        log(f"reporting: {Regime.objects.count()} chế độ báo cáo đã có dữ liệu; không tạo thêm.")


# --- accounts --------------------------------------------------------------------------------

# Reporting accounts on today's tree (Phú Thọ since 1/7/2025), password ``DEMO_PASSWORD``.
ACCOUNTS = (
    (
        "baocao.vinhphuc",
        "Phan Thị Thảo",
        "can-bo-bao-cao",
        "Phường Vĩnh Phúc",
        "",
        "Công chức Văn phòng - Thống kê",
    ),
    (
        "tonghop.phutho",
        "Lê Văn Khánh",
        "tong-hop-bao-cao",
        "Ủy ban nhân dân tỉnh Phú Thọ",
        PHU_THO,
        "Chuyên viên tổng hợp",
    ),
)


def demo_accounts(*, log: Callable[[str], None] = print) -> list[str]:
    """Create the reporting demo accounts (the lead calls it after ``cqs.accounts.demo``); returns
    the usernames created or granted a role. A second run changes nothing."""
    from cqs.accounts.demo import DEMO_PASSWORD
    from cqs.accounts.models import RoleGrant, User
    from cqs.accounts.services import role_grant, user_create_official

    done = []
    with transaction.atomic():
        for username, full_name, role, unit_name, identifier, position in ACCOUNTS:
            units = OrgUnit.objects.as_of(MERGER)
            units = (
                units.filter(identifier=identifier)
                if identifier
                else units.filter(name=unit_name, kind__code="xa")
            )
            unit = units.first()
            if unit is None:
                log(f"reporting: không thấy đơn vị “{unit_name}”; bỏ qua tài khoản {username}.")
                continue
            user = User.objects.filter(username=username).first()
            if user is None:
                user = user_create_official(
                    username=username,
                    password=DEMO_PASSWORD,
                    full_name=full_name,
                    unit=unit,
                    position=position,
                )
                done.append(username)
            if not RoleGrant.objects.filter(user=user, role__code=role, unit=unit).exists():
                role_grant(user=user, role=role, unit=unit)
                if username not in done:
                    done.append(username)
    if done:
        log(f"reporting: tài khoản minh họa {', '.join(done)}.")
    return done
