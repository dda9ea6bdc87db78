"""Demo dossiers at Phường Vĩnh Phúc, so that every page has something to show.

- A dozen live dossiers made through the services, in every step of the workflow, filed by the
  demo citizen ``congdan.demo`` or received at the counter by ``motcua.vinhphuc``.
- A history of this year's dossiers at the five demo communes for the statistics: made directly
  (as an import from the previous system would), with invented applicants ("Công dân minh họa
  N"), no personal numbers, dates spread over the year and a realistic share of online filing,
  supplements and late results. Clearly demo data; run once (idempotent).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from cqs.accounts.models import User
from cqs.core.counters import dossier_code_next
from cqs.onestop.choices import Channel, DossierStatus, ReturnMethod, Stage
from cqs.onestop.deadlines import due_at_for
from cqs.onestop.models import Dossier, Procedure
from cqs.onestop.selectors import procedure_version_on
from cqs.orgs.models import OrgUnit

HISTORY_PER_COMMUNE = 80
UNIT_IDENTIFIER = "000.00.41.H44"  # Phường Vĩnh Phúc


def _pdf(text: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(text=text)
    return bytes(pdf.output())


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def _live(log) -> int:
    from cqs.onestop.services import (
        dossier_act,
        dossier_draft_save,
        dossier_file_add,
        dossier_intake,
        dossier_submit,
    )

    citizen, officer = _user("congdan.demo"), _user("motcua.vinhphuc")
    specialist, leader = _user("chuyenvien.vinhphuc"), _user("lanhdao.vinhphuc")
    unit = OrgUnit.objects.filter(identifier=UNIT_IDENTIFIER).first()
    if None in (citizen, officer, specialist, leader, unit):
        log("onestop: thiếu tài khoản hoặc đơn vị minh họa; bỏ qua hồ sơ minh họa.")
        return 0
    today = timezone.localdate()

    def online(code: str, form: dict):
        procedure = Procedure.objects.get(code=code)
        version = procedure_version_on(procedure, today)
        dossier = dossier_draft_save(
            actor=citizen, procedure_code=code, unit=unit, form_data=form, return_method=ReturnMethod.ONLINE
        )
        for document in version.documents.filter(required=True):
            dossier_file_add(
                dossier=dossier,
                actor=citizen,
                name=f"giay-to-{document.order}.pdf",
                data=_pdf(f"Demo document {document.order}"),
                document_id=document.pk,
            )
        return dossier_submit(dossier=dossier, actor=citizen)

    def counter(code: str, name: str, form: dict):
        version = procedure_version_on(Procedure.objects.get(code=code), today)
        return dossier_intake(
            actor=officer,
            unit=unit,
            procedure_code=code,
            channel=Channel.IN_PERSON,
            applicant={
                "name": name,
                "cccd": f"026095{sum(map(ord, name)) % 1000000:06d}",
                "address": "Phường Vĩnh Phúc",
            },
            form_data=form,
            documents_checked=list(version.documents.values_list("pk", flat=True)),
        )

    copy_form = {
        "loai_trich_luc": "Trích lục khai sinh",
        "ho_ten_nguoi_duoc_cap": "Nguyễn Văn An",
        "so_ban": 2,
    }
    made = [
        online("9.990004", copy_form),
        online("9.990016", {"noi_dung": "Xác nhận tình trạng hôn nhân để mua bán nhà đất."}),
    ]
    received = online("9.990011", {"noi_dung": "Đăng ký thường trú tại nhà của bố mẹ."})
    made.append(dossier_act(dossier=received, actor=officer, action="receive"))
    d = counter("9.990016", "Trần Thị Hằng", {"noi_dung": "Xác nhận tình trạng hôn nhân để kết hôn."})
    made.append(dossier_act(dossier=d, actor=officer, action="assign", to_user=specialist))
    d = counter("9.990013", "Lê Văn Phúc", {"noi_dung": "Đăng ký nhận con."})
    d = dossier_act(dossier=d, actor=officer, action="assign", to_user=specialist)
    made.append(
        dossier_act(
            dossier=d,
            actor=specialist,
            action="request_supplement",
            note="Thiếu văn bản chứng minh quan hệ cha, con.",
            items=["Văn bản của cơ quan y tế hoặc cơ quan giám định xác nhận quan hệ cha, con"],
        )
    )
    d = counter("9.990015", "Phạm Minh Tuấn", {"noi_dung": "Cải chính ngày sinh trong giấy khai sinh."})
    d = dossier_act(dossier=d, actor=officer, action="assign", to_user=specialist)
    made.append(
        dossier_act(dossier=d, actor=specialist, action="propose", note="Đồng ý cải chính ngày sinh.")
    )
    d = online(
        "9.990001",
        {
            "ho_ten": "Nguyễn Minh Khôi",
            "ngay_sinh": (today - timedelta(days=20)).isoformat(),
            "gioi_tinh": "Nam",
            "noi_sinh": "Bệnh viện Sản Nhi tỉnh",
            "ho_ten_me": "Trần Thị Lan",
            "ho_ten_cha": "Nguyễn Văn An",
            "quan_he": "Cha",
        },
    )
    for actor, action, extra in (
        (officer, "receive", {}),
        (officer, "assign", {"to_user": specialist}),
        (
            specialist,
            "propose",
            {"note": "Đăng ký khai sinh cho Nguyễn Minh Khôi; cấp Giấy khai sinh bản chính."},
        ),
        (leader, "approve", {}),
        (officer, "return_result", {}),
    ):
        d = dossier_act(dossier=d, actor=actor, action=action, **extra)
    made.append(d)
    return len(made)


def _history(log) -> int:
    rng = random.Random(326)  # noqa: S311 - reproducible demo data, not a secret
    creator = _user("motcua.vinhphuc")
    today = timezone.localdate()
    start = today.replace(month=1, day=1)
    span = (today - start).days
    units = list(OrgUnit.objects.filter(identifier__in=[f"000.00.{n}.H44" for n in range(40, 45)]))
    procedures = list(Procedure.objects.filter(units__in=units).distinct())
    versions = {p.pk: procedure_version_on(p, today) for p in procedures}
    fees = {pk: sum(fee.amount for fee in version.fees.all()) for pk, version in versions.items()}
    offered_at = {unit.pk: [p for p in procedures if p.units.filter(pk=unit.pk).exists()] for unit in units}
    count = 0
    for unit in units:
        offered = offered_at[unit.pk]
        for n in range(HISTORY_PER_COMMUNE):
            procedure = rng.choice(offered)
            version = versions[procedure.pk]
            day = start + timedelta(days=rng.randrange(max(span - 2, 1)))
            received = timezone.make_aware(
                datetime.combine(day, time(8 + rng.randrange(8), rng.randrange(60)))
            )
            due = due_at_for(
                amount=version.processing_time, unit=version.processing_time_unit, received_at=received
            )
            channel = rng.choices([Channel.ONLINE, Channel.IN_PERSON, Channel.POSTAL], [55, 40, 5])[0]
            supplements = rng.choices([0, 1, 2], [85, 12, 3])[0]
            # Nine in ten on time, as the plan reports; recent ones may still be open.
            spent = (due - received) * rng.choice([0.3, 0.6, 0.9, 0.95, 1.0, 1.0, 0.8, 0.5, 0.7, 1.3])
            completed = received + spent
            status, returned = DossierStatus.RETURNED, completed + timedelta(hours=2)
            if completed > timezone.now():
                status, completed, returned = DossierStatus.PROCESSING, None, None
            fee = fees[procedure.pk]
            Dossier.objects.create(
                code=dossier_code_next(agency_identifier=unit.identifier, on=day),
                procedure=procedure,
                version=version,
                unit=unit,
                handling_unit=unit,
                status=status,
                stage=Stage.HANDLING if status == DossierStatus.PROCESSING else Stage.NONE,
                channel=channel,
                applicant_name=f"Công dân minh họa {unit.pk}-{n + 1}",
                created_by=creator,
                submitted_at=received,
                received_at=received,
                due_at=due,
                completed_at=completed,
                returned_at=returned,
                supplement_count=supplements,
                fee_total=fee,
                paid_online=bool(fee) and channel == Channel.ONLINE and rng.random() < 0.6,
                return_method=ReturnMethod.ONLINE if channel == Channel.ONLINE else ReturnMethod.COUNTER,
            )
            count += 1
    return count


def load_demo_dossiers(*, log: Callable[[str], None]) -> None:
    if Dossier.objects.exists():
        log("onestop: đã có hồ sơ; không tạo thêm hồ sơ minh họa.")
        return
    if _user("motcua.vinhphuc") is None:
        log("onestop: chưa có tài khoản minh họa (accounts); bỏ qua hồ sơ minh họa.")
        return
    with transaction.atomic():
        live = _live(log)
        history = _history(log)
    log(f"onestop: {live} hồ sơ minh họa đang xử lý tại Phường Vĩnh Phúc, {history} hồ sơ lịch sử năm nay.")
