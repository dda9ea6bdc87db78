"""The fake axis's demo button sends a package that CQS accepts like a real one."""

import pytest
from django.utils import timezone

from cqs.documents.choices import IncomingStatus
from cqs.documents.demo import nghe_an_sample
from cqs.documents.exchange import axis_message_receive

pytestmark = pytest.mark.django_db


def test_the_demo_sample_from_nghe_an_arrives_with_good_signatures(office):
    data = nghe_an_sample(
        1, timezone.localdate(), {"id": office.province.identifier, "name": office.province.name}
    )

    message = axis_message_receive(axis_id="demo-1", kind="edoc", data=data)

    assert message.error_code == ""
    [document] = message.documents.all()
    assert document.status == IncomingStatus.ARRIVED and document.organ_name == "UBND tỉnh Nghệ An"
    assert document.signature_report and all(r["intact"] and r["valid"] for r in document.signature_report)
