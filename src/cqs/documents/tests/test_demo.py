"""The documents demo: made through the services on today's tree, idempotent, the axis optional."""

from datetime import date

import pytest
from django.conf import settings as django_settings

from cqs.accounts.models import RoleGrant
from cqs.audit.models import AuditEvent
from cqs.documents import demo
from cqs.documents.choices import Direction, IncomingStatus, OutgoingState, Urgency
from cqs.documents.models import Document, DocumentEvent, RegisterBook

pytestmark = pytest.mark.django_db

CLOSED = date(2025, 7, 1)
CLOSED_PORT_URL = "http://127.0.0.1:9"  # discard port: nothing listens there


@pytest.fixture
def demo_tree(db):
    """The units the accounts demo needs, named and coded as the orgs demo makes them."""
    from cqs.orgs.tests.factories import OrgUnitFactory, OrgUnitKindFactory

    old = OrgUnitFactory(
        kind=OrgUnitKindFactory(province=True),
        name="UBND tỉnh Vĩnh Phúc",
        short_name="UBND",
        identifier="000.00.00.H62",
        valid_from=date(1997, 1, 1),
        valid_to=CLOSED,
    )
    OrgUnitFactory(
        kind=OrgUnitKindFactory(department=True),
        name="Sở Thông tin và Truyền thông",
        identifier="000.00.01.H62",
        parent=old,
        valid_from=date(1997, 1, 1),
        valid_to=CLOSED,
    )
    OrgUnitFactory(
        kind=OrgUnitKindFactory(district=True),
        name="Thành phố Vĩnh Yên",
        identifier="000.00.40.H62",
        parent=old,
        valid_from=date(1997, 1, 1),
        valid_to=CLOSED,
    )
    province = OrgUnitFactory(
        kind=OrgUnitKindFactory(province=True),
        name="Ủy ban nhân dân tỉnh Phú Thọ",
        short_name="UBND",
        identifier=demo.PROVINCE,
        valid_from=CLOSED,
    )
    ward = OrgUnitFactory(
        kind=OrgUnitKindFactory(commune=True),
        name="Phường Vĩnh Phúc",
        short_name="UBND",
        identifier=demo.WARD,
        parent=province,
        valid_from=CLOSED,
    )
    from cqs.accounts.demo import load_demo as accounts_demo

    accounts_demo(log=lambda line: None)
    return province, ward


@pytest.fixture
def no_axis(settings):
    settings.CQS_VDXP_URL = ""


def run() -> list[str]:
    lines: list[str] = []
    demo.load_demo(log=lines.append)
    return lines


def incoming_at(unit):
    return Document.objects.filter(unit=unit, direction=Direction.INCOMING)


def test_the_demo_makes_documents_in_every_state_between_the_province_and_the_ward(demo_tree, no_axis):
    province, ward = demo_tree

    lines = run()

    outgoing = Document.objects.filter(direction=Direction.OUTGOING)
    assert outgoing.filter(state=OutgoingState.ISSUED).count() == len(demo.DOCUMENTS) - 1
    assert outgoing.filter(state=OutgoingState.RECALLED).count() == 1
    assert outgoing.filter(state__in=[OutgoingState.DRAFT, OutgoingState.REVIEW]).count() == 2
    statuses = set(incoming_at(ward).values_list("status", flat=True)) | set(
        incoming_at(province).values_list("status", flat=True)
    )
    assert {
        IncomingStatus.ARRIVED,
        IncomingStatus.REGISTERED,
        IncomingStatus.ASSIGNED,
        IncomingStatus.PROCESSING,
        IncomingStatus.COMPLETED,
        IncomingStatus.RECALLED,
    } <= statuses
    assert Document.objects.overdue().filter(unit=ward).count() == 1
    assert outgoing.filter(unit=province, urgency=Urgency.URGENT).count() == 1
    assert 26 <= Document.objects.count() <= 34
    assert any("văn bản minh họa" in line for line in lines)


def test_the_demo_goes_through_the_services_so_numbers_history_and_audit_are_there(demo_tree, no_axis):
    province, ward = demo_tree

    run()

    book = RegisterBook.objects.get(unit=province, direction=Direction.OUTGOING, secret=False)
    numbers = list(book.documents.order_by("ordinal").values_list("ordinal", flat=True))
    assert numbers == list(range(1, book.last_number + 1))
    assert RegisterBook.objects.filter(unit=ward, direction=Direction.INCOMING).exists()
    assert DocumentEvent.objects.filter(action="issue").count() == len(demo.DOCUMENTS)
    assert AuditEvent.objects.filter(action="documents.issue").count() == len(demo.DOCUMENTS)
    signed = Document.objects.filter(unit=province, state=OutgoingState.ISSUED).first()
    assert signed.files.filter(current=True, signed=True).exists()


def test_the_new_clerks_and_the_province_drafter_have_their_roles(demo_tree, no_axis):
    province, ward = demo_tree

    run()

    def roles(username):
        return set(RoleGrant.objects.filter(user__username=username).values_list("role__code", "unit"))

    assert ("van-thu", province.pk) in roles("vanthu.phutho")
    assert ("van-thu", ward.pk) in roles("vanthu.vinhphuc")
    assert ("chuyen-vien", province.pk) in roles("chuyenvien.stttt")


def test_a_second_run_adds_nothing(demo_tree, no_axis):
    run()
    before = (Document.objects.count(), RoleGrant.objects.count(), DocumentEvent.objects.count())

    lines = run()

    assert (Document.objects.count(), RoleGrant.objects.count(), DocumentEvent.objects.count()) == before
    assert any("không tạo thêm" in line for line in lines)


def test_without_the_demo_units_the_demo_says_so_and_makes_nothing(db, no_axis):
    lines = run()

    assert not Document.objects.exists()
    assert any("bỏ qua" in line for line in lines)


def test_a_timestamp_server_that_is_down_means_signatures_without_timestamps(settings):
    settings.CQS_TSA_URL = CLOSED_PORT_URL
    lines: list[str] = []

    with demo.timestamps_or_none(lines.append):
        inside = django_settings.CQS_TSA_URL

    assert inside == ""
    assert django_settings.CQS_TSA_URL == CLOSED_PORT_URL
    assert any("dấu thời gian" in line for line in lines)


# ----- Nghệ An through the fake axis --------------------------------------------------------------


@pytest.fixture
def axis(settings, demo_tree):
    from cqs.fakes.vdxp import NGHE_AN, NGHE_AN_SYSTEM_ID, vdxp_serving

    province, ward = demo_tree
    ours = {
        "secret": settings.CQS_VDXP_SECRET,
        "organs": [{"id": u.identifier, "name": u.name} for u in (province, ward)],
    }
    systems = {settings.CQS_VDXP_SYSTEM_ID: ours, NGHE_AN_SYSTEM_ID: dict(NGHE_AN)}
    with vdxp_serving(systems) as (url, app):
        settings.CQS_VDXP_URL = url
        yield app


def test_two_documents_arrive_from_nghe_an_when_the_fake_axis_runs(axis, demo_tree):
    province, _ward = demo_tree

    received = demo.nghe_an_send(province=province, log=lambda line: None)

    documents = incoming_at(province).filter(organ_id="000.00.00.H41")
    assert received == 2 and documents.count() == 2
    assert set(documents.values_list("status", flat=True)) == {IncomingStatus.ARRIVED}
    assert all(d.channel == "axis" and d.files.exists() for d in documents)
    assert documents.filter(urgency=Urgency.URGENT).count() == 1


def test_nghe_an_sends_each_document_once(axis, demo_tree):
    province, _ward = demo_tree
    demo.nghe_an_send(province=province, log=lambda line: None)

    again = demo.nghe_an_send(province=province, log=lambda line: None)

    assert again == 0
    assert incoming_at(province).filter(organ_id="000.00.00.H41").count() == 2


def test_when_the_fake_axis_is_not_running_nghe_an_is_skipped_quietly(settings, demo_tree):
    province, _ward = demo_tree
    settings.CQS_VDXP_URL = CLOSED_PORT_URL
    lines: list[str] = []

    received = demo.nghe_an_send(province=province, log=lines.append)

    assert received == 0
    assert any("bỏ qua" in line for line in lines)


def test_a_real_axis_is_never_sent_the_simulated_province(settings, demo_tree):
    province, _ward = demo_tree
    settings.CQS_VDXP_URL = "https://truclienthong.example.gov.vn"
    lines: list[str] = []

    assert demo.nghe_an_send(province=province, log=lines.append) == 0
    assert not incoming_at(province).exists()
