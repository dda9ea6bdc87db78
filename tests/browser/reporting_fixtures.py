"""Fixtures of the reporting browser journey: a province with a district of two communes, a
monthly regime they report under, six approved months of the first commune's history, and the
three people of the journey, in the live server's database.

Import the fixtures into a test module (pytest finds fixtures only in conftest files and in the
module itself). Data is created after ``site``, so the live server's thread sees it; the
``settings`` changes are seen there too, as the thread shares Django's settings.
"""

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from tests.browser.conftest import ConsoleLog

REPORTING_PASSWORD = "bao-cao-dinh-ky-2026"
# The commune's received dossiers in its six months before the journey's: around 100, spread
# about 2.6, so that a value far from 100 is an outlier (z-score above 3) and 100 is not.
HISTORY = (96, 104, 100, 98, 102, 100)


@pytest.fixture(scope="session")
def reporting_data_dir(tmp_path_factory):
    # One demo PKI for the whole run: the seal certificates are made once, not per journey.
    return tmp_path_factory.mktemp("reporting-browser-data")


@pytest.fixture
def desktop_page(browser, site) -> Iterator:
    """A second desktop browser of its own (``page`` is the first): another person, another
    session. Downloads are accepted."""
    context = browser.new_context(
        locale="vi-VN", accept_downloads=True, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.console_log = ConsoleLog(page)
    yield page
    context.close()


def _open_period(version, today: date):
    """The monthly period a unit enters today: the one whose data window holds today (the
    window of month M runs from the day after the cut-off in M-1 to the cut-off in M)."""
    from cqs.reporting.choices import PeriodType
    from cqs.reporting.periods import period_of

    spec = period_of(PeriodType.MONTHLY, today)
    if today > spec.window(version.cutoff_day)[1]:
        spec = spec.next()
    return spec


def _approved_history(*, version, unit, spec, values: tuple[int, ...], indicator, reviewer) -> None:
    """Approved reports of ``unit`` for the periods before ``spec``, one value each (most recent
    first), as if reviewed long ago: rows written directly, without PDFs."""
    from django.utils import timezone

    from cqs.reporting.choices import ReportStatus
    from cqs.reporting.models import DataValue, Report
    from cqs.reporting.services.metadata import default_combo
    from cqs.reporting.services.reports import period_ensure, report_prepare

    coc = default_combo().option_combos.get()
    earlier = spec
    for value in values:
        earlier = earlier.previous()
        _version, dates = report_prepare(regime=version.regime, unit=unit, spec=earlier)
        report = Report.objects.create(
            regime=version.regime,
            version=version,
            unit=unit,
            period=period_ensure(earlier),
            status=ReportStatus.APPROVED,
            decided_by=reviewer,
            decided_at=timezone.now(),
            **dates,
        )
        DataValue.objects.create(
            report=report,
            indicator=indicator,
            option_combo=coc,
            unit=unit,
            period=report.period,
            value=str(value),
            number=Decimal(value),
            updated_at=timezone.now(),
        )


@pytest.fixture
def reporting_land(site, settings, tmp_path, reporting_data_dir) -> SimpleNamespace:
    """UBND tỉnh Thử (reviewer ``tonghop.tinh``) → Huyện Thử (reviewer ``tonghop.huyen``) → Xã Một
    (officer ``baocao.xa``) and Xã Hai; regime BC_CNTT (monthly, cut-off 14, deadline 2 working
    days, entry locked 10 days later) assigned to districts and communes, received by the
    province: HS_NHAN, HS_TRUC_TUYEN by level of service, and the ERROR rule "online ≤ received".
    ``period`` is the month open for entry today; Xã Một has six approved months before it."""
    from django.utils import timezone

    from cqs.accounts.models import Role
    from cqs.accounts.services import role_definitions_load, role_sync, user_create_official
    from cqs.orgs.tests.factories import OrgUnitFactory, OrgUnitKindFactory
    from cqs.reporting.choices import Importance, Operator, PeriodType
    from cqs.reporting.services.metadata import (
        AssignmentSpec,
        RegimeSpec,
        RuleSpec,
        category_combo_ensure,
        indicator_ensure,
        regime_version_create,
    )

    settings.DATA_DIR = reporting_data_dir
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CQS_TSA_URL = ""
    settings.CQS_RIS_URL = ""

    role_sync(definitions=role_definitions_load())
    assert Role.objects.filter(code__in=["can-bo-bao-cao", "tong-hop-bao-cao"]).count() == 2
    province = OrgUnitFactory(
        kind=OrgUnitKindFactory(province=True),
        name="UBND tỉnh Thử",
        short_name="UBND",
        identifier="000.00.00.H98",
    )
    district = OrgUnitFactory(kind=OrgUnitKindFactory(district=True), name="Huyện Thử", parent=province)
    commune = OrgUnitFactory(kind=OrgUnitKindFactory(commune=True), name="Xã Một", parent=district)
    commune2 = OrgUnitFactory(kind=OrgUnitKindFactory(commune=True), name="Xã Hai", parent=district)

    level = category_combo_ensure(
        code="MUC_DO_DVC",
        name="Mức độ dịch vụ công",
        categories=[("MUC_DO", "Mức độ", [("MOT_PHAN", "Một phần"), ("TOAN_TRINH", "Toàn trình")])],
    )
    received = indicator_ensure(code="HS_NHAN", name="Số hồ sơ tiếp nhận", unit_label="hồ sơ")
    indicator_ensure(
        code="HS_TRUC_TUYEN", name="Số hồ sơ tiếp nhận trực tuyến", unit_label="hồ sơ", combo=level
    )
    version = regime_version_create(
        spec=RegimeSpec(
            code="BC_CNTT",
            name="Báo cáo tình hình ứng dụng CNTT, chính quyền số",
            legal_basis="Kế hoạch 326/KH-UBND",
            content="Số liệu hồ sơ tiếp nhận của đơn vị trong tháng.",
            receiver=province,
            period_type=PeriodType.MONTHLY,
            valid_from=date(2020, 1, 1),
            outline_template="1. Kết quả nổi bật\n2. Khó khăn, vướng mắc\n3. Đề xuất",
            rows=[
                ("HS_NHAN", "I. Dịch vụ công", True),
                ("HS_TRUC_TUYEN", "I. Dịch vụ công", False),
            ],
            assignments=[AssignmentSpec(kind="huyen"), AssignmentSpec(kind="xa")],
            rules=[
                RuleSpec(
                    name="Trực tuyến không vượt tổng số",
                    left="#{HS_TRUC_TUYEN}",
                    operator=Operator.LESS_THAN_OR_EQUAL_TO,
                    right="#{HS_NHAN}",
                    instruction="Số hồ sơ trực tuyến phải nhỏ hơn hoặc bằng tổng số hồ sơ tiếp nhận.",
                    importance=Importance.ERROR,
                ),
            ],
        )
    )

    def official(username: str, full_name: str, role: str, unit):
        return user_create_official(
            username=username,
            password=REPORTING_PASSWORD,
            full_name=full_name,
            unit=unit,
            position="Chuyên viên",
            roles=[role],
        )

    commune_officer = official("baocao.xa", "Lê Thị Báo", "can-bo-bao-cao", commune)
    district_reviewer = official("tonghop.huyen", "Trần Văn Hợp", "tong-hop-bao-cao", district)
    province_reviewer = official("tonghop.tinh", "Phạm Thị Tỉnh", "tong-hop-bao-cao", province)

    spec = _open_period(version, timezone.localdate())
    _approved_history(
        version=version,
        unit=commune,
        spec=spec,
        values=HISTORY,
        indicator=received,
        reviewer=district_reviewer,
    )
    return SimpleNamespace(
        province=province,
        district=district,
        commune=commune,
        commune2=commune2,
        regime=version.regime,
        version=version,
        period=spec,
        password=REPORTING_PASSWORD,
        commune_officer=commune_officer,
        district_reviewer=district_reviewer,
        province_reviewer=province_reviewer,
    )
