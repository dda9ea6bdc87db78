"""Demo documents on today's tree: UBND tỉnh Phú Thọ and Phường Vĩnh Phúc writing to each other.

Loaded by ``cqs demo`` after the accounts. Everything goes through the services, as officials
would do it: drafted, submitted, signed (the demo PKI), numbered and sealed by the clerk, then
registered, assigned, handled and completed at the receiving unit. The set shows every state:
documents waiting to be registered, to be assigned, being handled, done, one overdue, one urgent,
one recalled, and two drafts. It also asks the simulated UBND tỉnh Nghệ An on the fake axis
(``cqs fakes``) to send two documents, when that fake is running; otherwise that part is skipped.

Who does what: ``chuyenvien.stttt`` drafts at the province (the department was merged into the
province's People's Committee on 1/7/2025, so the demo gives her the specialist role there),
``lanhdao.phutho`` signs and assigns, ``vanthu.phutho`` issues and registers; at the ward,
``chuyenvien.vinhphuc``, ``lanhdao.vinhphuc`` and ``vanthu.vinhphuc``.

Idempotent: the local set is made once (skipped when either unit already has outgoing
documents); the Nghệ An documents are sent once each (skipped when already received).
"""

from __future__ import annotations

import contextlib
import html
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cqs.accounts.models import RoleGrant, User
from cqs.core.exceptions import ServiceError
from cqs.documents.choices import Direction, Urgency
from cqs.documents.models import Document
from cqs.orgs.models import OrgUnit

logger = logging.getLogger(__name__)

PROVINCE = "000.00.00.H44"  # Ủy ban nhân dân tỉnh Phú Thọ
WARD = "000.00.41.H44"  # Phường Vĩnh Phúc
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

PEOPLE = {
    "province_drafter": "chuyenvien.stttt",
    "province_leader": "lanhdao.phutho",
    "province_clerk": "vanthu.phutho",
    "ward_drafter": "chuyenvien.vinhphuc",
    "ward_leader": "lanhdao.vinhphuc",
    "ward_clerk": "vanthu.vinhphuc",
}
# Roles the documents need that the accounts demo does not give: (username, role, unit).
EXTRA_GRANTS = (("chuyenvien.stttt", "chuyen-vien", PROVINCE),)

# How far each document goes at the receiving unit.
ARRIVED, REGISTERED, ASSIGNED, PROCESSING, COMPLETED, OVERDUE, RECALLED = (
    "arrived",
    "registered",
    "assigned",
    "processing",
    "completed",
    "overdue",
    "recalled",
)


@dataclass(frozen=True)
class DemoDocument:
    sender: str  # "province" | "ward"
    type_code: str
    subject: str
    body: str
    outcome: str
    urgency: int = Urgency.NORMAL
    due_in_days: int | None = None  # the issuer's deadline for an answer
    instruction: str = ""
    opinion: str = ""
    result: str = ""
    extra: dict = field(default_factory=dict)


DOCUMENTS: tuple[DemoDocument, ...] = (
    DemoDocument(
        "province",
        "KH",
        "Triển khai Đề án phát triển ứng dụng dữ liệu về dân cư, định danh và xác thực điện tử "
        "phục vụ chuyển đổi số quốc gia (Đề án 06) năm 2026 trên địa bàn tỉnh",
        "Giao UBND các xã, phường rà soát, làm sạch dữ liệu dân cư và báo cáo kết quả hằng quý.",
        COMPLETED,
        due_in_days=30,
        instruction="Giao công chức Tư pháp - Hộ tịch chủ trì, báo cáo kết quả trước ngày 25 hằng tháng.",
        opinion="Đã rà soát 1.245 trường hợp, cập nhật 312 trường hợp sai lệch thông tin.",
        result="Đã báo cáo UBND tỉnh kết quả quý I.",
    ),
    DemoDocument(
        "province",
        "CV",
        "V/v đôn đốc thu ngân sách nhà nước những tháng cuối năm 2026",
        "Đề nghị UBND các xã, phường tập trung chỉ đạo thu ngân sách, bảo đảm hoàn thành dự toán được giao.",
        PROCESSING,
        urgency=Urgency.URGENT,
        due_in_days=10,
        instruction="Khẩn trương rà soát các khoản thu, báo cáo trước hạn.",
        opinion="Đã làm việc với Thuế cơ sở về các khoản thu còn đọng.",
    ),
    DemoDocument(
        "province",
        "QD",
        "Về việc giao chỉ tiêu kế hoạch phát triển kinh tế - xã hội năm 2026",
        "Giao chỉ tiêu kế hoạch phát triển kinh tế - xã hội năm 2026 cho các xã, phường (phụ lục kèm theo).",
        COMPLETED,
        instruction="Văn phòng HĐND và UBND phường tham mưu xây dựng kế hoạch thực hiện.",
        opinion="Đã dự thảo kế hoạch thực hiện các chỉ tiêu được giao.",
        result="Đã ban hành kế hoạch thực hiện của phường.",
    ),
    DemoDocument(
        "province",
        "CV",
        "V/v chủ động triển khai công tác phòng, chống thiên tai và tìm kiếm cứu nạn mùa mưa bão",
        "Đề nghị kiện toàn Ban Chỉ huy phòng thủ dân sự cấp xã và báo cáo phương án ứng phó.",
        OVERDUE,
        instruction="Rà soát các điểm xung yếu, báo cáo phương án trước hạn.",
    ),
    DemoDocument(
        "province",
        "TB",
        "Kết luận của Chủ tịch UBND tỉnh tại buổi làm việc với Đảng ủy, UBND Phường Vĩnh Phúc",
        "Thông báo kết luận về tình hình kinh tế - xã hội và các kiến nghị của phường.",
        RECALLED,
        extra={"reason": "Thông báo ban hành nhầm bản dự thảo chưa hoàn thiện; sẽ ban hành lại."},
    ),
    DemoDocument(
        "province",
        "CV",
        "V/v rà soát, cập nhật dữ liệu hộ tịch lên Cơ sở dữ liệu hộ tịch điện tử toàn quốc",
        "Đề nghị UBND các xã, phường số hóa sổ hộ tịch còn lưu giữ và cập nhật lên cơ sở dữ liệu.",
        ARRIVED,
        due_in_days=20,
    ),
    DemoDocument(
        "province",
        "CT",
        "Về tăng cường kỷ luật, kỷ cương hành chính trong cơ quan hành chính nhà nước các cấp",
        "Yêu cầu thủ trưởng các cơ quan, đơn vị chấn chỉnh kỷ luật, kỷ cương hành chính.",
        REGISTERED,
    ),
    DemoDocument(
        "province",
        "KH",
        "Cải cách hành chính tỉnh Phú Thọ năm 2026",
        "Kế hoạch cải cách hành chính năm 2026 với sáu nhóm nhiệm vụ trọng tâm.",
        ARRIVED,
    ),
    DemoDocument(
        "ward",
        "BC",
        "Kết quả thực hiện Đề án 06 quý I năm 2026 trên địa bàn Phường Vĩnh Phúc",
        "Báo cáo kết quả làm sạch dữ liệu dân cư và triển khai các dịch vụ công thiết yếu.",
        COMPLETED,
        instruction="Công an tỉnh, Văn phòng tổng hợp chung vào báo cáo của tỉnh.",
        opinion="Đã tổng hợp vào báo cáo quý I của tỉnh.",
        result="Đã tổng hợp.",
    ),
    DemoDocument(
        "ward",
        "TTR",
        "Đề nghị hỗ trợ kinh phí sửa chữa, cải tạo trụ sở Trung tâm Phục vụ hành chính công phường",
        "Trụ sở xuống cấp, đề nghị UBND tỉnh xem xét hỗ trợ kinh phí sửa chữa năm 2026.",
        ASSIGNED,
        instruction="Tham mưu, đề xuất phương án bố trí kinh phí.",
    ),
    DemoDocument(
        "ward",
        "BC",
        "Tình hình thu ngân sách nhà nước 9 tháng đầu năm 2026 của Phường Vĩnh Phúc",
        "Báo cáo kết quả thu ngân sách, các khó khăn và kiến nghị.",
        ARRIVED,
    ),
    DemoDocument(
        "ward",
        "CV",
        "V/v đề nghị hướng dẫn thủ tục đăng ký đất đai, cấp Giấy chứng nhận lần đầu",
        "Đề nghị hướng dẫn áp dụng quy định mới về đăng ký đất đai lần đầu cho hộ gia đình, cá nhân.",
        REGISTERED,
    ),
)

DRAFTS = (
    # (sender, type code, subject, submitted to the leader?)
    ("province", "QD", "Về việc thành lập Tổ công tác triển khai chính quyền số tỉnh Phú Thọ", True),
    ("ward", "BC", "Công tác cải cách hành chính 6 tháng cuối năm 2026 của Phường Vĩnh Phúc", False),
)

# The simulated UBND tỉnh Nghệ An (see cqs.fakes.vdxp): number, notation, type, subject, urgency.
NGHE_AN_DOCUMENTS = (
    (
        "1523",
        "UBND-VX",
        "Công văn",
        "V/v phối hợp quản lý lao động tỉnh Nghệ An làm việc tại các khu công nghiệp tỉnh Phú Thọ",
        Urgency.NORMAL,
    ),
    (
        "87",
        "KH-UBND",
        "Kế hoạch",
        "Tổ chức Hội nghị xúc tiến đầu tư, thương mại, du lịch vùng Bắc Trung Bộ năm 2026",
        Urgency.URGENT,
    ),
)


# ----- helpers -------------------------------------------------------------------------------------


def _pdf(*, issuer: str, type_name: str, subject: str, body: str) -> bytes:
    """A one-page document to attach: Times-like text with Vietnamese letters when a font is there."""
    from cqs.core.printing import html_to_pdf

    markup = (
        f'<p align="center"><b>{html.escape(issuer.upper())}</b></p>'
        '<p align="center"><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br>Độc lập - Tự do - Hạnh phúc</p>'
        f'<h1 align="center">{html.escape(type_name.upper())}</h1>'
        f'<p align="center"><b>{html.escape(subject)}</b></p>'
        f"<p>{html.escape(body)}</p>"
        "<p><i>Văn bản minh họa của bản trình diễn CQS.</i></p>"
    )
    try:
        return html_to_pdf(markup, code="documents-demo")
    except ServiceError:  # no Vietnamese font on this server: a plain page still does
        from fpdf import FPDF

        from cqs.documents.services.common import fold

        pdf = FPDF()
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.multi_cell(0, 6, text=fold(f"{type_name} - {subject}. {body}"))
        return bytes(pdf.output())


def _tsa_reachable() -> bool:
    import requests

    url = (getattr(settings, "CQS_TSA_URL", "") or "").strip()
    if not url:
        return True
    try:
        requests.get(url, timeout=2)
    except requests.RequestException:
        return False
    return True


@contextlib.contextmanager
def timestamps_or_none(log):
    """Sign with timestamps when the TSA answers; without them (PAdES B-B) when it does not."""
    if _tsa_reachable():
        yield
        return
    from django.test.utils import override_settings

    log("documents: máy chủ dấu thời gian (CQS_TSA_URL) không chạy; chữ ký minh họa không có dấu thời gian.")
    with override_settings(CQS_TSA_URL=""):
        yield


def _grant_missing_roles(units: dict[str, OrgUnit]) -> list[str]:
    from cqs.accounts.services import role_grant

    granted = []
    for username, role, identifier in EXTRA_GRANTS:
        user = User.objects.filter(username=username).first()
        unit = units.get(identifier)
        if user is None or unit is None:
            continue
        if not RoleGrant.objects.filter(user=user, role__code=role, unit=unit).exists():
            role_grant(user=user, role=role, unit=unit)
            granted.append(f"{username} ({role})")
    return granted


# ----- the local set -------------------------------------------------------------------------------


def _issue(doc: DemoDocument, *, unit, to, drafter, leader, clerk):
    from cqs.documents import services

    document = services.outgoing_create(
        actor=drafter,
        unit=unit,
        type_code=doc.type_code,
        subject=doc.subject,
        recipients=[services.RecipientSpec(unit_id=to.pk)],
        urgency=doc.urgency,
        due_date=timezone.localdate() + timedelta(days=doc.due_in_days) if doc.due_in_days else None,
    )
    services.outgoing_file_add(
        actor=drafter,
        document=document,
        name="van-ban.pdf",
        data=_pdf(issuer=unit.name, type_name=document.type_name, subject=doc.subject, body=doc.body),
    )
    services.outgoing_submit(actor=drafter, document=document, signer=leader)
    # Appendix I: the leader signs for the committee (TM.) or for the chairman (KT.).
    competence = "TM." if doc.type_code in ("QD", "CT") else "KT."
    services.outgoing_sign(actor=leader, document=document, competence=competence)
    return services.outgoing_issue(actor=clerk, document=document)


def _receive(doc: DemoDocument, sent, *, sender_clerk, clerk, leader, handler) -> None:
    from cqs.documents import services

    if doc.outcome == RECALLED:
        services.outgoing_recall(actor=sender_clerk, document=sent, reason=doc.extra["reason"])
        return
    copy = Document.objects.get(source=sent)
    if doc.outcome == ARRIVED:
        return
    today = timezone.localdate()
    # The overdue one: its deadline, set when it was registered, has passed.
    due = today - timedelta(days=3) if doc.outcome == OVERDUE else None
    services.incoming_register(actor=clerk, document=copy, handling_due_date=due)
    if doc.outcome == REGISTERED:
        return
    services.incoming_assign(
        actor=leader,
        document=copy,
        lead=handler,
        due_date=None if doc.outcome == OVERDUE else today + timedelta(days=doc.due_in_days or 15),
        instruction=doc.instruction,
    )
    if doc.opinion:
        services.incoming_opinion(actor=handler, document=copy, note=doc.opinion)
    if doc.outcome == COMPLETED:
        services.incoming_complete(actor=handler, document=copy, note=doc.result)


def _local_set(units: dict[str, OrgUnit], people: dict[str, User]) -> int:
    from cqs.documents import services

    province, ward = units[PROVINCE], units[WARD]
    side = {
        "province": (province, ward, "province", "ward"),
        "ward": (ward, province, "ward", "province"),
    }
    made = 0
    for doc in DOCUMENTS:
        unit, to, me, them = side[doc.sender]
        sent = _issue(
            doc,
            unit=unit,
            to=to,
            drafter=people[f"{me}_drafter"],
            leader=people[f"{me}_leader"],
            clerk=people[f"{me}_clerk"],
        )
        # At the receiving unit the leader hands the document to its specialist.
        _receive(
            doc,
            sent,
            sender_clerk=people[f"{me}_clerk"],
            clerk=people[f"{them}_clerk"],
            leader=people[f"{them}_leader"],
            handler=people[f"{them}_drafter"],
        )
        made += 2
    for sender, type_code, subject, submitted in DRAFTS:
        unit, to, me, _them = side[sender]
        draft = services.outgoing_create(
            actor=people[f"{me}_drafter"],
            unit=unit,
            type_code=type_code,
            subject=subject,
            recipients=[services.RecipientSpec(unit_id=to.pk)],
        )
        services.outgoing_file_add(
            actor=people[f"{me}_drafter"],
            document=draft,
            name="du-thao.pdf",
            data=_pdf(issuer=unit.name, type_name=draft.type_name, subject=subject, body="Dự thảo."),
        )
        if submitted:
            services.outgoing_submit(
                actor=people[f"{me}_drafter"], document=draft, signer=people[f"{me}_leader"]
            )
        made += 1
    return made


# ----- Nghệ An through the fake axis ----------------------------------------------------------------


def _fake_axis_url() -> str:
    url = (getattr(settings, "CQS_VDXP_URL", "") or "").strip()
    # Only the demo's own fake: the simulated province is never played against a real axis.
    return url if url and urlsplit(url).hostname in LOCAL_HOSTS else ""


def _nghe_an_package(number: str, notation: str, type_name: str, subject: str, urgency: int, to) -> bytes:
    from cqs.core.signing import SignatureStamp, pdf_sign, unit_certificate_ensure
    from cqs.documents import edxml
    from cqs.documents.edxml_signature import edxml_sign
    from cqs.fakes.vdxp import NGHE_AN_SYSTEM_ID

    today = timezone.localdate()
    sender = SimpleNamespace(name="UBND tỉnh Nghệ An", identifier=NGHE_AN_SYSTEM_ID)
    pdf = _pdf(
        issuer=sender.name, type_name=type_name, subject=subject, body="Văn bản gửi qua trục liên thông."
    )
    pdf = pdf_sign(
        pdf=pdf,
        unit=sender,
        reason=f"Phát hành văn bản {number}/{notation}",
        field_name="ChuKyCoQuan",
        stamp=SignatureStamp(kind="seal"),
    )
    package = edxml.EdocPackage(
        header=edxml.MessageHeader(
            from_=edxml.Organ(organ_id=NGHE_AN_SYSTEM_ID, organ_name=sender.name),
            to=(edxml.Organ(organ_id=to.identifier, organ_name=to.name),),
            code=edxml.Code(code_number=number, code_notation=notation),
            promulgation_info=edxml.PromulgationInfo(place="Nghệ An", promulgation_date=today),
            document_type=edxml.DocumentType(type="1", type_name=type_name),
            subject=subject,
            signer_info=edxml.SignerInfo(
                competence="KT.", position="Phó Chủ tịch", full_name="Nguyễn Văn Đệ"
            ),
            other_info=edxml.OtherInfo(priority=str(urgency), page_amount="1"),
            document_id=edxml.document_id_make(NGHE_AN_SYSTEM_ID, today, number, notation),
        ),
        trace=(edxml.TraceHeader(organ_id=NGHE_AN_SYSTEM_ID, timestamp=timezone.now()),),
        attachments=(
            edxml.Attachment(content_id="1", content_type="application/pdf", name="van-ban.pdf", data=pdf),
        ),
    )
    key, cert = unit_certificate_ensure(unit=sender)
    return edxml_sign(edxml.build(package), key=key, cert=cert)


def nghe_an_sample(number: int, on, to: dict) -> bytes:
    """The package the fake axis's demo button sends as Nghệ An: signed, with a signed PDF, so
    that it arrives in the inbox like a real one (``cqs.fakes.vdxp.VdxpFake``)."""
    subject = "Về việc phối hợp trao đổi văn bản điện tử liên tỉnh (văn bản mẫu của bản trình diễn)"
    target = SimpleNamespace(identifier=to["id"], name=to.get("name", ""))
    return _nghe_an_package(f"{900 + number}", "UBND-VX", "Công văn", subject, 0, target)


def nghe_an_send(*, province: OrgUnit, log: Callable[[str], None]) -> int:
    """Nghệ An sends its documents through the fake axis; we poll for them. The count received."""
    from cqs.documents.exchange import axis_poll
    from cqs.documents.vdxp import VdxpClient, VdxpError, client_from_settings
    from cqs.fakes.vdxp import NGHE_AN, NGHE_AN_SYSTEM_ID

    url = _fake_axis_url()
    if not url:
        log("documents: không dùng trục liên thông giả lập (CQS_VDXP_URL không trỏ vào máy này); bỏ qua.")
        return 0
    ours, theirs = client_from_settings(), VdxpClient(url, NGHE_AN_SYSTEM_ID, NGHE_AN["secret"], timeout=5)
    try:
        axis_poll(ours)  # anything left from an earlier run first
        missing = [
            item
            for item in NGHE_AN_DOCUMENTS
            if not Document.objects.filter(
                unit=province, organ_id=NGHE_AN_SYSTEM_ID, code_number=item[0], code_notation=item[1]
            ).exists()
        ]
        for item in missing:
            theirs.send_edoc(_nghe_an_package(*item, to=province))
        counts = axis_poll(ours) if missing else None
    except VdxpError as error:
        # The fake is not running (or does not know our units yet): the demo goes on without it.
        logger.info("documents demo: fake axis not used (%s)", error.code)
        log("documents: trục liên thông giả lập chưa chạy (cqs fakes); bỏ qua văn bản từ Nghệ An.")
        return 0
    if counts is None:
        log("documents: văn bản của UBND tỉnh Nghệ An đã nhận từ lần chạy trước.")
        return 0
    log(f"documents: {counts.documents} văn bản của UBND tỉnh Nghệ An nhận qua trục liên thông giả lập.")
    return counts.documents


# ----- entry point ---------------------------------------------------------------------------------


def load_demo(*, log: Callable[[str], None]) -> None:
    today = timezone.localdate()
    units = {
        unit.identifier: unit
        for unit in OrgUnit.objects.as_of(today)
        .filter(identifier__in=[PROVINCE, WARD])
        .select_related("parent")
    }
    if len(units) < 2:
        log("documents: chưa có UBND tỉnh Phú Thọ và Phường Vĩnh Phúc (orgs); bỏ qua văn bản minh họa.")
        return
    with transaction.atomic():
        granted = _grant_missing_roles(units)
    if granted:
        log(f"documents: cấp thêm vai trò {', '.join(granted)}.")
    people = {key: User.objects.filter(username=name).first() for key, name in PEOPLE.items()}
    absent = [PEOPLE[key] for key, user in people.items() if user is None]
    if absent:
        log(f"documents: thiếu tài khoản minh họa {', '.join(absent)} (accounts); bỏ qua văn bản minh họa.")
        return
    with timestamps_or_none(log):
        if Document.objects.filter(unit__in=units.values(), direction=Direction.OUTGOING).exists():
            log("documents: đã có văn bản đi tại đơn vị minh họa; không tạo thêm.")
        else:
            with transaction.atomic():
                made = _local_set(units, people)
            log(f"documents: {made} văn bản minh họa giữa UBND tỉnh Phú Thọ và Phường Vĩnh Phúc.")
        nghe_an_send(province=units[PROVINCE], log=log)
