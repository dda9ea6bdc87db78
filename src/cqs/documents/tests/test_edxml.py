"""edXML (QCVN 102:2016) built and read back, and every way a package is refused."""

import base64
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from cqs.documents.edxml import (
    NS,
    STATUS_CODES,
    VIETNAM_TZ,
    Attachment,
    Bussiness,
    BussinessDocumentInfo,
    Code,
    EdocPackage,
    EdxmlError,
    MessageHeader,
    Organ,
    OtherInfo,
    PromulgationInfo,
    Receiver,
    ReplacementInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusPackage,
    TraceHeader,
    build,
    document_id_make,
    document_id_parse,
    parse,
)

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
SENDER = Organ(
    organ_id="000.00.00.H62",
    organ_name="UBND tỉnh Vĩnh Phúc",
    organization_in_charge="UBND tỉnh Vĩnh Phúc",
    organ_add="Số 25 đường Nguyễn Trãi, phường Đống Đa, thành phố Vĩnh Yên",
    email="ubnd@vinhphuc.gov.vn",
)
DEPARTMENT = Organ(organ_id="000.00.11.H62", organ_name="Sở Tài chính")
OFFICE = Organ(organ_id="000.00.01.H62", organ_name="Văn phòng UBND tỉnh")
DOCUMENT_ID = "000.00.00.H62,2025/03/14,326/KH-UBND"


def new_document(**changes) -> EdocPackage:
    header = MessageHeader(
        from_=SENDER,
        to=[DEPARTMENT, OFFICE],
        code=Code(code_number="326", code_notation="KH-UBND"),
        promulgation_info=PromulgationInfo(place="Vĩnh Phúc", promulgation_date=date(2025, 3, 14)),
        subject="Kế hoạch chuyển đổi số năm 2025",
        content="Triển khai hệ thống quản lý văn bản điều hành",
        signer_info=SignerInfo(competence="KT. CHỦ TỊCH", position="Phó Chủ tịch", full_name="Nguyễn Văn Ẩn"),
        due_date=date(2025, 4, 30),
        to_places=["Như trên", "Lưu: VT"],
        other_info=OtherInfo(priority="0", page_amount="3", appendixes=["Phụ lục I"]),
        steering_type="1",
        document_id=DOCUMENT_ID,
    )
    package = EdocPackage(
        header=header,
        trace=[
            TraceHeader(organ_id="000.00.00.H62", timestamp=datetime(2025, 3, 14, 8, 30, tzinfo=VIETNAM_TZ))
        ],
        bussiness=Bussiness(
            bussiness_doc_type=0,
            bussiness_doc_reason="Văn bản điện tử mới",
            document_id=DOCUMENT_ID,
            paper="0",
            staff_info=StaffInfo(department="Văn thư", staff="Trần Thị Bích", mobile="0912000001"),
        ),
        attachments=[
            Attachment(content_id="1", content_type="application/pdf", name="326-KH-UBND.pdf", data=PDF)
        ],
    )
    return replace(package, **changes)


def status(code: str = "03", **changes) -> StatusPackage:
    package = StatusPackage(
        from_=DEPARTMENT,
        response_for=ResponseFor(
            organ_id="000.00.00.H62",
            code="326/KH-UBND",
            promulgation_date=date(2025, 3, 14),
            document_id=DOCUMENT_ID,
        ),
        status_code=code,
        timestamp=datetime(2025, 3, 14, 9, 5, 7, tzinfo=VIETNAM_TZ),
        staff_info=StaffInfo(department="Văn thư Sở", staff="Lê Văn Đức"),
        description="Đã tiếp nhận văn bản",
    )
    return replace(package, **changes)


def envelope(header: str, body: str = "", after: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><edXML xmlns="{NS}"><edXMLEnvelope><edXMLHeader>'
        f"<MessageHeader>{header}</MessageHeader></edXMLHeader>{body}</edXMLEnvelope>{after}</edXML>"
    ).encode()


MINIMAL_HEADER = (
    "<From><OrganId>A</OrganId></From><To><OrganId>B</OrganId></To><DocumentId>A,2025/01/02,1/X</DocumentId>"
)


def promulgation(text: str) -> str:
    date_element = f"<PromulgationDate>{text}</PromulgationDate>"
    return f"<Subject>S</Subject><PromulgationInfo>{date_element}</PromulgationInfo>"


# --- Round trip -----------------------------------------------------------------------------------


def test_a_new_document_reads_back_as_the_same_dataclasses():
    package = new_document()

    assert parse(build(package)) == package


def test_building_what_was_parsed_gives_the_same_bytes():
    data = build(new_document())

    assert build(parse(data)) == data


def test_a_new_document_carries_two_recipients_and_the_pdf():
    parsed = parse(build(new_document()))

    assert [organ.organ_id for organ in parsed.header.to] == ["000.00.11.H62", "000.00.01.H62"]
    assert parsed.attachments[0].data == PDF
    assert parsed.attachments[0].content_type == "application/pdf"


def test_the_package_is_utf8_in_the_standard_namespace_with_cid_references():
    data = build(new_document())

    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="' + NS.encode())
    assert b"<ContentId>cid:1</ContentId>" in data
    assert base64.b64encode(PDF) in data


def test_message_header_elements_are_written_in_the_standard_order():
    text = build(new_document()).decode()
    order = [
        "<From>",
        "<To>",
        "<Code>",
        "<PromulgationInfo>",
        "<DocumentType>",
        "<Subject>",
        "<Content>",
        "<SignerInfo>",
        "<DueDate>",
        "<ToPlaces>",
        "<OtherInfo>",
        "<SteeringType>",
        "<DocumentId>",
    ]

    positions = [text.index(tag) for tag in order]

    assert positions == sorted(positions)


def test_dates_and_timestamps_are_written_yyyy_mm_dd_in_vietnam_time():
    utc_morning = datetime.fromisoformat("2025-03-14T01:30:00+00:00")
    data = build(new_document(trace=[TraceHeader(organ_id="000.00.00.H62", timestamp=utc_morning)]))

    assert b"<PromulgationDate>2025/03/14</PromulgationDate>" in data
    assert b"<Timestamp>2025/03/14 08:30:00</Timestamp>" in data


def test_vietnamese_diacritics_survive_the_round_trip():
    parsed = parse(build(new_document()))

    assert parsed.header.subject == "Kế hoạch chuyển đổi số năm 2025"
    assert parsed.header.signer_info.full_name == "Nguyễn Văn Ẩn"
    assert parsed.bussiness.staff_info.staff == "Trần Thị Bích"


def test_a_signature_is_kept_verbatim():
    signature = '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignatureValue>AbC=</SignatureValue></Signature>'

    parsed = parse(build(new_document(signature_xml=signature)))

    assert parsed.signature_xml == signature


def test_the_staff_mobile_number_is_not_in_the_repr():
    assert "0912000001" not in repr(new_document())


@pytest.mark.parametrize(
    ("doc_type", "extra"),
    [
        (1, {}),
        (
            2,
            {
                "document_info": BussinessDocumentInfo(
                    document_info="1",
                    document_receiver="1",
                    receivers=[Receiver(organ_id="000.00.11.H62", receiver_type="0")],
                )
            },
        ),
        (3, {"replacement_info": [ReplacementInfo(document_id=DOCUMENT_ID, organ_ids=["000.00.11.H62"])]}),
    ],
    ids=["recall", "update", "replace"],
)
def test_recall_update_and_replace_read_back_with_their_business_details(doc_type, extra):
    bussiness = Bussiness(bussiness_doc_type=doc_type, bussiness_doc_reason="Lý do nghiệp vụ", **extra)
    package = new_document(
        bussiness=bussiness,
        header=replace(new_document().header, response_for=ResponseFor(document_id=DOCUMENT_ID)),
    )

    parsed = parse(build(package))

    assert parsed.bussiness == bussiness
    assert parsed.header.response_for.document_id == DOCUMENT_ID


@pytest.mark.parametrize("code", sorted(STATUS_CODES))
def test_every_status_code_reads_back(code):
    package = status(code)

    assert parse(build(package)) == package


def test_a_one_digit_status_code_takes_its_leading_zero():
    data = build(status("05")).replace(b"<StatusCode>05<", b"<StatusCode>5<")

    assert parse(data).status_code == "05"


# --- Tolerances seen in real packages -------------------------------------------------------------


def test_prefixed_namespace_crlf_self_closing_and_any_order_are_read():
    data = (
        '<?xml version="1.0" encoding="UTF-8"?>\r\n'
        f'<e:edXML xmlns:e="{NS}">\r\n<e:edXMLEnvelope><e:edXMLHeader><e:MessageHeader>\r\n'
        "<e:Subject>Về việc họp</e:Subject><e:DocumentId>A,2025/01/02,1/X</e:DocumentId>"
        "<e:To><e:OrganName>Sở Y tế</e:OrganName><e:OrganId>B</e:OrganId><e:Fax/></e:To>"
        "<e:From><e:Website/><e:OrganId>A</e:OrganId></e:From>\r\n"
        "</e:MessageHeader></e:edXMLHeader></e:edXMLEnvelope></e:edXML>"
    ).encode()

    parsed = parse(data)

    assert parsed.header.to[0] == Organ(organ_id="B", organ_name="Sở Y tế")
    assert parsed.header.subject == "Về việc họp"


def test_a_dd_mm_yyyy_promulgation_date_is_read():
    header = MINIMAL_HEADER + promulgation("30/10/2020")

    assert parse(envelope(header)).header.promulgation_info.promulgation_date == date(2020, 10, 30)


def test_an_unreadable_promulgation_date_is_kept_as_text():
    header = MINIMAL_HEADER + promulgation("cuối quý I")

    info = parse(envelope(header)).header.promulgation_info

    assert (info.promulgation_date, info.promulgation_date_text) == (None, "cuối quý I")


def test_a_timestamp_without_offset_is_vietnam_time():
    data = build(status()).replace(b"2025/03/14 09:05:07", b"2025/03/14 23:00:00")

    assert parse(data).timestamp == datetime(2025, 3, 14, 16, 0, tzinfo=UTC)


# --- DocumentId -----------------------------------------------------------------------------------


def test_document_id_is_made_from_issuer_date_number_and_notation():
    assert document_id_make("000.00.11.H53", date(2020, 10, 30), 2491, "STC-BCTC") == (
        "000.00.11.H53,2020/10/30,2491/STC-BCTC"
    )


def test_document_id_pads_a_number_below_ten():
    assert (
        document_id_make("000.00.00.H62", date(2025, 1, 2), 5, "UBND-VP")
        == "000.00.00.H62,2025/01/02,05/UBND-VP"
    )


def test_document_id_parse_keeps_an_impossible_date_as_text():
    assert document_id_parse("000.00.00.G22,2014/02/30,7806/VPCP-TTĐT") == (
        "000.00.00.G22",
        "2014/02/30",
        "7806/VPCP-TTĐT",
    )


def test_document_id_parse_refuses_a_malformed_id():
    with pytest.raises(EdxmlError) as error:
        document_id_parse("000.00.00.G22/7806")

    assert error.value.code == "invalid_document_id"


# --- Errors ---------------------------------------------------------------------------------------


def refused(data: bytes, **kwargs) -> EdxmlError:
    with pytest.raises(EdxmlError) as error:
        parse(data, **kwargs)
    return error.value


def test_broken_xml_is_not_xml_with_its_line():
    error = refused(b"<edXML>\n<a>\n</b>")

    assert error.code == "not_xml"
    assert "3" in error.message_vi


def test_billion_laughs_is_refused():
    data = (
        b'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<edXML>&b;</edXML>"
    )

    assert refused(data).code == "unsafe_xml"


def test_an_external_entity_is_refused():
    data = (
        b'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY x SYSTEM "file:///etc/passwd">]><edXML>&x;</edXML>'
    )

    assert refused(data).code == "unsafe_xml"


def test_another_root_is_wrong_root():
    assert refused(f'<Envelope xmlns="{NS}"/>'.encode()).code == "wrong_root"


def test_another_namespace_is_wrong_namespace():
    assert refused(b'<edXML xmlns="urn:other"/>').code == "wrong_namespace"


@pytest.mark.parametrize(
    ("header", "path"),
    [
        ("<To><OrganId>B</OrganId></To><DocumentId>D</DocumentId><Subject>S</Subject>", "From/OrganId"),
        ("<From><OrganId>A</OrganId></From><DocumentId>D</DocumentId><Subject>S</Subject>", "To/OrganId"),
        (
            "<From><OrganId>A</OrganId></From><To><OrganId>B</OrganId></To><Subject>S</Subject>",
            "Code/CodeNumber",
        ),
        (MINIMAL_HEADER, "Subject"),
    ],
)
def test_a_document_without_a_required_element_names_its_path(header, path):
    error = refused(envelope(header))

    assert error.code == "missing_element"
    assert error.path == f"edXMLEnvelope/edXMLHeader/MessageHeader/{path}"


def test_a_package_without_message_header_is_missing_element():
    data = f'<edXML xmlns="{NS}"><edXMLEnvelope><edXMLHeader/></edXMLEnvelope></edXML>'.encode()

    assert refused(data).path == "edXMLEnvelope/edXMLHeader/MessageHeader"


def test_a_status_without_timestamp_is_missing_element():
    data = build(status()).replace(b"<Timestamp>2025/03/14 09:05:07</Timestamp>", b"")

    error = refused(data)

    assert (error.code, error.path) == (
        "missing_element",
        "edXMLEnvelope/edXMLHeader/MessageHeader/Timestamp",
    )


def test_an_impossible_due_date_is_invalid_date():
    error = refused(envelope(MINIMAL_HEADER + "<Subject>S</Subject><DueDate>2025/02/30</DueDate>"))

    assert (error.code, error.path) == ("invalid_date", "edXMLEnvelope/edXMLHeader/MessageHeader/DueDate")


def test_a_malformed_timestamp_is_invalid_date():
    data = build(status()).replace(b"2025/03/14 09:05:07", b"14 March 2025")

    assert refused(data).code == "invalid_date"


def test_an_unknown_status_code_is_refused():
    data = build(status()).replace(b"<StatusCode>03<", b"<StatusCode>07<")

    assert refused(data).code == "invalid_status_code"


def test_an_attachment_that_is_not_base64_is_invalid_attachment():
    data = build(new_document()).replace(base64.b64encode(PDF), b"${__StringFromFile(test.txt,,,)}")

    assert refused(data).code == "invalid_attachment"


def test_a_manifest_reference_without_its_attachment_is_a_mismatch():
    data = build(new_document()).replace(
        b"<Attachment>\n      <ContentId>cid:1<", b"<Attachment>\n      <ContentId>cid:2<"
    )

    error = refused(data)

    assert error.code == "manifest_mismatch"
    assert "1, 2" in error.message_vi


def test_an_unknown_business_type_is_invalid_value():
    data = build(new_document()).replace(b"<BussinessDocType>0<", b"<BussinessDocType>7<")

    assert refused(data).code == "invalid_value"


def test_a_package_above_the_limit_is_too_large_before_parsing():
    assert refused(b"x" * 101, max_bytes=100).code == "too_large"


def test_build_refuses_a_document_without_recipients():
    with pytest.raises(EdxmlError) as error:
        build(new_document(header=replace(new_document().header, to=[])))

    assert error.value.code == "missing_element"
