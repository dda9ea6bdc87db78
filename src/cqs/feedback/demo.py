"""Demo data of citizen feedback: categories, routing rules, two officials and ~3,000 reports.

Loaded by ``cqs demo`` after the orgs and accounts demos (it needs the unit tree and the roles).

* **Categories** (Open311 services) of a Vietnamese province, each leaf with its deadlines per
  urgency level, a handling message, a duplicate radius and keywords; all point at today's UBND
  tỉnh Phú Thọ. Decree 20/2008 feedback about administrative regulations has its own group;
  "Thái độ cán bộ" and "Tệ nạn xã hội" are not public. Made with ``services.category_save``.
* **Routing rules**: three by category or keyword (provincial roads, administrative regulations,
  officials' conduct go to the province), then one per commune in force today (area → commune).
* **Accounts**: ``xuly.vinhyen`` (xu-ly-phan-anh on Phường Vĩnh Phúc, the commune that holds
  the old centre of Vĩnh Yên) and ``lanhdao.pakn`` (lanh-dao on UBND tỉnh Phú Thọ), with the
  other demo accounts' password.
* **Reports** from 1/7/2024 to today. ``SERVICE_REPORTS`` reports of Phường Vĩnh Phúc in the
  last ``SERVICE_DAYS`` days go through the services (``report_submit``, ``report_act``,
  ``survey_submit``: routing, audit, photos), acted on by the two accounts above and without
  contact phone or e-mail (so no notice is queued); the rest is history written with bulk inserts
  (data, not a workflow: no audit, no outbox), each report with the same fields and events the
  services would have written. Before 1/7/2025 a report's unit is the district of the place (old
  tree) and its handling ends by 30/6/2025; afterwards, the commune (or the province).
* Five answer templates and one Open311 app, "Ứng dụng Phú Thọ S (thử nghiệm)", whose key is
  written (mode 0600) to ``DATA_DIR/keys/open311-demo.key``.

Places: the district centres below are **approximate, for demo data only**; each commune in
force today gets a point near the centre of the old district most of its predecessors belonged
to (seeded jitter of 1–2 km), each old commune a point near its successor's. Names, phone
numbers and streets in reports are invented. Idempotent: a second run adds nothing.
"""

from __future__ import annotations

import io
import math
import os
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cqs.core.deadlines import due_at_for
from cqs.feedback.choices import OPEN_STATUSES, Channel, Datatype, Resolution, Status, TimeUnit, Urgency
from cqs.feedback.models import (
    AnswerTemplate,
    ApiClient,
    Category,
    CategoryAttribute,
    Report,
    ReportEvent,
    RoutingRule,
    SatisfactionResponse,
)
from cqs.feedback.privacy import mask_personal
from cqs.feedback.routing import fold, rule_matches
from cqs.feedback.services import (
    api_client_create,
    category_save,
    report_act,
    report_submit,
    survey_submit,
)
from cqs.feedback.services.config import api_client_get
from cqs.feedback.services.reports import ACK_WORKING_DAYS, FORWARD_WORKING_DAYS, deadline_for
from cqs.orgs.models import OrgUnit, Succession

VINH_PHUC = "000.00.00.H62"
PHU_THO = "000.00.00.H44"
MERGER = date(2025, 7, 1)
HISTORY_FROM = date(2024, 7, 1)
REPORTS_TOTAL = 3000
SERVICE_DAYS = 45  # the recent reports of the demo officials' commune, filed through the services
SERVICE_REPORTS = 50
TOKEN_PREFIX = "demo-pakn-"  # noqa: S105 - client_token of every demo report (the idempotency marker)
KEY_FILE = "open311-demo.key"
API_CLIENT_NAME = "Ứng dụng Phú Thọ S (thử nghiệm)"
HOME_COMMUNE = "Phường Vĩnh Phúc"  # holds the old centre of Vĩnh Yên; else the first commune
PROVINCE_NAME = "Ủy ban nhân dân tỉnh Phú Thọ"
EXTERNAL_POWER = "Công ty Điện lực Vĩnh Phúc"  # the name before 2025; not checked after the merger
EXTERNAL_WATER = "Công ty cấp nước sạch trên địa bàn (doanh nghiệp ngoài hệ thống)"

# Approximate centres (lat, lon) of the old districts, for demo points only; not survey data.
DISTRICT_CENTRES = {
    "Thành phố Vĩnh Yên": (21.31, 105.60),
    "Thành phố Phúc Yên": (21.24, 105.70),
    "Huyện Tam Đảo": (21.46, 105.65),
    "Huyện Vĩnh Tường": (21.24, 105.50),
    "Huyện Yên Lạc": (21.22, 105.58),
    "Huyện Lập Thạch": (21.41, 105.46),
    "Huyện Sông Lô": (21.45, 105.38),
    "Huyện Tam Dương": (21.37, 105.55),
    "Huyện Bình Xuyên": (21.28, 105.65),
}
# Reports per person by district: the two cities more than the rural districts.
DISTRICT_WEIGHT = {"Thành phố Vĩnh Yên": 3.0, "Thành phố Phúc Yên": 2.0, "Huyện Bình Xuyên": 1.5}

WD, HOURS = TimeUnit.WORKING_DAYS, TimeUnit.HOURS


@dataclass(frozen=True)
class Leaf:
    code: str
    name: str
    weight: float  # share of reports
    keywords: str
    radius: int
    normal: int  # working days
    urgent_hours: int = 0  # 0: no urgent level
    public: bool = True
    message: str = ""
    texts: tuple[tuple[str, str], ...] = ()  # (title, description) with {street}, {place}
    attributes: tuple[dict, ...] = ()
    external: str = ""  # an agency outside the platform half of these reports are transferred to


SIZE = {
    "code": "kich-thuoc",
    "description": "Kích thước hư hỏng",
    "datatype": Datatype.SINGLE,
    "required": True,
    "order": 1,
    "values": [
        {"key": "nho", "name": "Nhỏ (dưới 30 cm)"},
        {"key": "vua", "name": "Vừa (30 cm đến 1 m)"},
        {"key": "lon", "name": "Lớn (trên 1 m)"},
    ],
}
COUNT = {"code": "so-luong", "description": "Số chỗ hư hỏng", "datatype": Datatype.NUMBER, "order": 2}
DEFAULT_MESSAGE = (
    "Cảm ơn ông/bà đã phản ánh. Đơn vị có thẩm quyền sẽ xem xét, trả lời trong thời hạn quy định."
)

GROUPS: tuple[tuple[str, str, tuple[Leaf, ...]], ...] = (
    (
        "giao-thong",
        "Giao thông",
        (
            Leaf(
                "o-ga", "Ổ gà, hư hỏng mặt đường", 14, "ổ gà, ổ voi, lún, nứt mặt đường", 50, 7, 8,
                message="Đơn vị quản lý đường sẽ kiểm tra hiện trường; ổ gà nguy hiểm được rào chắn trước.",
                texts=(
                    ("Ổ gà lớn trên {street}", "Trên {street} ({place}) có ổ gà lớn giữa làn xe, trời mưa "
                     "đọng nước, xe máy đi qua rất dễ ngã. Đề nghị sớm sửa chữa."),
                    ("Mặt đường bị lún, nứt", "Đoạn {street} gần khu dân cư bị lún sụt, nứt nhiều chỗ sau "
                     "mưa lớn. Xe tải đi qua làm hư hỏng thêm."),
                    ("Hư hỏng mặt đường liên thôn", "Đường liên thôn tại {place} xuống cấp, nhiều ổ gà, "
                     "học sinh đi học rất vất vả."),
                ),
                attributes=(SIZE, COUNT),
            ),
            Leaf(
                "den-tin-hieu", "Đèn tín hiệu giao thông", 3, "đèn đỏ, đèn xanh, đèn tín hiệu", 50, 5, 4,
                texts=(
                    ("Đèn tín hiệu không hoạt động", "Đèn tín hiệu tại ngã tư {street} ({place}) bị tắt từ "
                     "sáng, giao thông lộn xộn, nguy cơ tai nạn."),
                    ("Đèn tín hiệu chập chờn", "Cột đèn tín hiệu trên {street} lúc sáng lúc tắt, thời gian "
                     "đèn xanh quá ngắn."),
                ),
            ),
            Leaf(
                "den-chieu-sang", "Đèn chiếu sáng công cộng", 8, "đèn đường, chiếu sáng, bóng đèn", 100, 5,
                texts=(
                    ("Đèn đường không sáng", "Nhiều bóng đèn chiếu sáng trên {street} ({place}) không sáng "
                     "đã hơn một tuần, buổi tối rất tối, mất an toàn."),
                    ("Đèn chiếu sáng bật cả ban ngày", "Hệ thống đèn đường tại {place} bật suốt cả ngày, "
                     "gây lãng phí điện."),
                ),
            ),
            Leaf(
                "lan-chiem-long-duong", "Lấn chiếm lòng, lề đường, vỉa hè", 7,
                "lấn chiếm, vỉa hè, lòng đường", 100, 10,
                texts=(
                    ("Lấn chiếm vỉa hè kinh doanh", "Các hộ kinh doanh trên {street} ({place}) bày hàng, "
                     "để xe kín vỉa hè, người đi bộ phải xuống lòng đường."),
                    ("Đổ vật liệu xây dựng ra lòng đường", "Một công trình tại {place} đổ cát, gạch lấn "
                     "nửa lòng đường {street} nhiều ngày."),
                ),
            ),
        ),
    ),
    (
        "moi-truong",
        "Môi trường",
        (
            Leaf(
                "rac-thai", "Rác thải, vệ sinh môi trường", 12, "rác, bãi rác, thu gom rác", 100, 5,
                texts=(
                    ("Rác thải tồn đọng", "Rác thải tập kết ở đầu {street} ({place}) mấy ngày không được "
                     "thu gom, bốc mùi hôi thối."),
                    ("Đổ trộm rác thải", "Có người đổ trộm rác thải, phế thải xây dựng ven đường tại "
                     "{place} vào ban đêm."),
                ),
            ),
            Leaf(
                "o-nhiem-khong-khi", "Ô nhiễm không khí, tiếng ồn", 5,
                "khói, bụi, tiếng ồn, mùi hôi", 200, 10,
                texts=(
                    ("Khói bụi từ xưởng sản xuất", "Xưởng sản xuất tại {place} xả khói bụi, mùi khét vào "
                     "buổi tối, người dân xung quanh bị ảnh hưởng sức khỏe."),
                    ("Tiếng ồn kéo dài về đêm", "Quán karaoke trên {street} ({place}) hát to sau 22 giờ, "
                     "ảnh hưởng giấc ngủ của các hộ dân."),
                ),
            ),
            Leaf(
                "nuoc-thai", "Nước thải, ngập úng", 5, "nước thải, cống, ngập", 150, 7, 8,
                texts=(
                    ("Cống thoát nước bị tắc", "Cống thoát nước trên {street} ({place}) bị tắc, mưa xuống "
                     "nước thải tràn lên mặt đường."),
                    ("Ngập úng sau mưa", "Mỗi khi mưa lớn, đoạn {street} ngập sâu, xe máy chết máy "
                     "hàng loạt."),
                ),
            ),
            Leaf(
                "cay-xanh", "Cây xanh gãy, đổ", 4, "cây đổ, cây gãy, gãy cành", 30, 5, 4,
                message="Cây đổ chắn đường được xử lý khẩn trong 4 giờ làm việc.",
                texts=(
                    ("Cây đổ chắn đường", "Sau cơn giông, một cây lớn trên {street} ({place}) bị đổ chắn "
                     "ngang đường, chưa có người xử lý."),
                    ("Cây có nguy cơ gãy đổ", "Cây xanh trước cổng trường tại {place} bị mục gốc, nghiêng "
                     "ra đường, có nguy cơ gãy đổ."),
                ),
            ),
        ),
    ),
    (
        "trat-tu-do-thi",
        "Trật tự đô thị",
        (
            Leaf(
                "xay-dung-trai-phep", "Xây dựng trái phép, sai phép", 6,
                "xây dựng, trái phép, cơi nới", 50, 10,
                texts=(
                    ("Xây dựng trái phép", "Một hộ dân tại {place} đang xây dựng nhà trên đất nông nghiệp, "
                     "không có giấy phép."),
                    ("Cơi nới lấn chiếm hành lang", "Công trình trên {street} ({place}) cơi nới ra hành lang "
                     "an toàn đường bộ."),
                ),
            ),
            Leaf(
                "quang-cao", "Quảng cáo sai quy định", 3, "quảng cáo, biển hiệu, tờ rơi", 100, 7,
                texts=(
                    ("Quảng cáo dán tràn lan", "Tờ rơi quảng cáo khoan cắt bê tông, cho vay dán kín cột điện "
                     "trên {street} ({place})."),
                    ("Biển quảng cáo che khuất tầm nhìn", "Biển quảng cáo lớn tại ngã ba {street} che khuất "
                     "tầm nhìn của người tham gia giao thông."),
                ),
            ),
        ),
    ),
    (
        "dien-nuoc",
        "Điện – nước",
        (
            Leaf(
                "mat-dien", "Mất điện, sự cố lưới điện", 4, "mất điện, cột điện, dây điện", 200, 5, 4,
                message="Sự cố lưới điện được chuyển ngay cho đơn vị điện lực quản lý.",
                texts=(
                    ("Mất điện kéo dài", "Khu vực {place} mất điện từ chiều qua đến nay chưa có điện "
                     "trở lại, không có thông báo trước."),
                    ("Dây điện võng thấp", "Dây điện trên {street} ({place}) bị võng thấp, xe tải đi qua dễ "
                     "vướng, rất nguy hiểm."),
                ),
                external=EXTERNAL_POWER,
            ),
            Leaf(
                "cap-nuoc", "Cấp nước sinh hoạt", 4, "nước sạch, mất nước, vỡ ống", 200, 5, 8,
                texts=(
                    ("Mất nước sinh hoạt", "Các hộ dân tại {place} bị mất nước sạch ba ngày nay, không được "
                     "thông báo lý do."),
                    ("Vỡ đường ống nước", "Đường ống cấp nước trên {street} ({place}) bị vỡ, nước chảy lênh "
                     "láng ra mặt đường."),
                ),
                external=EXTERNAL_WATER,
            ),
        ),
    ),
    (
        "thu-tuc-hanh-chinh",
        "Thủ tục hành chính",
        (
            # Decree 20/2008/NĐ-CP: feedback on administrative regulations (not complaints).
            Leaf(
                "quy-dinh-hanh-chinh", "Quy định hành chính", 3, "thủ tục, giấy tờ, quy định, hồ sơ", 50, 10,
                message="Phản ánh, kiến nghị về quy định hành chính được xử lý theo Nghị định 20/2008/NĐ-CP.",
                texts=(
                    ("Thủ tục yêu cầu giấy tờ không cần thiết", "Khi làm thủ tục tại {place}, tôi được yêu "
                     "cầu nộp thêm bản sao giấy tờ đã có trong cơ sở dữ liệu dân cư. Đề nghị bỏ yêu cầu "
                     "này."),
                    ("Kiến nghị đơn giản hóa thủ tục", "Thủ tục đăng ký hộ kinh doanh còn phải đi lại nhiều "
                     "lần; kiến nghị cho nộp và nhận kết quả trực tuyến toàn trình."),
                ),
            ),
            Leaf(
                "thai-do-can-bo", "Thái độ, trách nhiệm cán bộ", 2, "thái độ, cán bộ, hách dịch", 50, 10,
                public=False,
                texts=(
                    ("Thái độ phục vụ chưa đúng mực", "Cán bộ tiếp nhận hồ sơ tại bộ phận một cửa {place} "
                     "có thái độ thiếu tôn trọng người dân."),
                    ("Hẹn trả kết quả nhiều lần", "Hồ sơ của tôi tại {place} bị hẹn lại nhiều lần mà không "
                     "có văn bản giải thích."),
                ),
            ),
        ),
    ),
    (
        "an-ninh-trat-tu",
        "An ninh trật tự",
        (
            Leaf(
                "mat-trat-tu", "Gây mất trật tự công cộng", 3, "gây rối, đánh nhau, đua xe", 100, 5, 4,
                texts=(
                    ("Thanh niên tụ tập đua xe", "Tối nào cũng có nhóm thanh niên tụ tập đua xe, nẹt pô "
                     "trên {street} ({place})."),
                    ("Gây rối trật tự", "Nhóm người uống rượu, gây gổ tại khu vực chợ {place} vào buổi tối."),
                ),
            ),
            Leaf(
                "te-nan-xa-hoi", "Tệ nạn xã hội", 1, "cờ bạc, ma túy, tệ nạn", 100, 5, 8, public=False,
                texts=(
                    ("Nghi có tụ điểm cờ bạc", "Tại một nhà trong {place} thường xuyên có người tụ tập đánh "
                     "bạc, nhiều xe máy lạ ra vào."),
                ),
            ),
        ),
    ),
    (
        "y-te",
        "Y tế",
        (
            Leaf(
                "an-toan-thuc-pham", "An toàn thực phẩm", 2, "thực phẩm, ngộ độc, hết hạn", 100, 7, 8,
                texts=(
                    ("Bán thực phẩm không rõ nguồn gốc", "Cửa hàng tại {place} bán thịt, trứng không rõ "
                     "nguồn gốc, không bảo quản lạnh."),
                    ("Nghi ngộ độc thực phẩm", "Sau bữa ăn tại một quán trên {street} ({place}), nhiều người "
                     "bị đau bụng, nôn."),
                ),
            ),
            Leaf(
                "kham-chua-benh", "Khám, chữa bệnh", 2, "trạm y tế, bệnh viện, khám bệnh", 100, 7,
                texts=(
                    ("Trạm y tế đóng cửa giờ hành chính", "Trạm y tế {place} đóng cửa trong giờ hành chính, "
                     "người dân đến tiêm chủng phải về."),
                ),
            ),
        ),
    ),
    (
        "giao-duc",
        "Giáo dục",
        (
            Leaf(
                "co-so-vat-chat-truong", "Trường lớp, cơ sở vật chất", 2, "trường học, lớp học, bàn ghế",
                100, 10,
                texts=(
                    ("Phòng học xuống cấp", "Phòng học của điểm trường tại {place} bị dột, bàn ghế hư hỏng."),
                ),
            ),
            Leaf(
                "thu-chi-truong-hoc", "Các khoản thu trong trường học", 2, "lạm thu, khoản thu, học phí",
                100, 10,
                texts=(
                    ("Kiến nghị về các khoản thu đầu năm", "Trường học tại {place} thu nhiều khoản ngoài quy "
                     "định đầu năm học, phụ huynh chưa được giải thích."),
                ),
            ),
        ),
    ),
)  # fmt: skip

ANSWERS = {
    "giao-thong": (
        "Đơn vị đã kiểm tra hiện trường và phối hợp với đơn vị quản lý đường khắc phục xong vào ngày "
        "{day}. Cảm ơn ông/bà đã phản ánh.",
        "Đơn vị đã rào chắn, cắm biển cảnh báo và đưa vào kế hoạch sửa chữa; dự kiến hoàn thành trong tháng.",
    ),
    "moi-truong": (
        "Đơn vị đã chỉ đạo đơn vị vệ sinh môi trường xử lý dứt điểm ngày {day} và tăng tần suất kiểm tra.",
        "Đoàn kiểm tra đã làm việc với cơ sở, lập biên bản và yêu cầu khắc phục; sẽ tiếp tục giám sát.",
    ),
    "default": (
        "Đơn vị đã kiểm tra, xử lý theo thẩm quyền ngày {day} và thông báo kết quả đến ông/bà. "
        "Cảm ơn ông/bà đã phản ánh.",
        "Nội dung phản ánh đã được xác minh; đơn vị đã nhắc nhở, yêu cầu chấm dứt vi phạm và sẽ "
        "tiếp tục theo dõi.",
    ),
}
REJECT_NOTES = (
    "Nội dung phản ánh không rõ ràng, không xác định được vị trí; đề nghị gửi lại phản ánh mới.",
    "Nội dung thuộc khiếu nại, tố cáo, không thuộc phạm vi phản ánh, kiến nghị; đề nghị gửi đơn theo "
    "quy định.",
)
TEMPLATES = (
    ("Đã khắc phục xong", "Đơn vị đã kiểm tra hiện trường và khắc phục xong ngày … Cảm ơn ông/bà.", None),
    (
        "Đã đưa vào kế hoạch sửa chữa",
        "Đơn vị đã rào chắn, cảnh báo và đưa vào kế hoạch sửa chữa; dự kiến hoàn thành trước ngày …",
        "giao-thong",
    ),
    (
        "Đã kiểm tra, xử lý vi phạm",
        "Đoàn kiểm tra đã lập biên bản, yêu cầu chấm dứt vi phạm và sẽ tiếp tục giám sát.",
        "trat-tu-do-thi",
    ),
    (
        "Chuyển đơn vị có thẩm quyền",
        "Nội dung phản ánh thuộc thẩm quyền của …; đơn vị đã chuyển và đề nghị trả lời ông/bà trực tiếp.",
        None,
    ),
    (
        "Tiếp thu kiến nghị về quy định hành chính",
        "Kiến nghị của ông/bà đã được tổng hợp để đề xuất sửa đổi quy định theo Nghị định 20/2008/NĐ-CP.",
        "thu-tuc-hanh-chinh",
    ),
)
STREETS = (
    "đường Hùng Vương", "đường Trần Phú", "đường Lê Lợi", "đường Nguyễn Trãi", "đường Hai Bà Trưng",
    "đường Lý Thường Kiệt", "đường Nguyễn Văn Linh", "đường Tôn Đức Thắng", "đường liên xã",
    "đường trục thôn", "ngõ 12", "đường bờ kênh",
)  # fmt: skip
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Ngô", "Đặng")
GIVEN = (
    "Văn An",
    "Thị Bình",
    "Văn Cường",
    "Thị Dung",
    "Minh Đức",
    "Thu Hà",
    "Quốc Huy",
    "Thị Lan",
    "Văn Long",
)
RATINGS = ((5, 45), (4, 30), (3, 13), (2, 7), (1, 5))
CHANNELS = ((Channel.WEB, 55), (Channel.OPEN311, 30), (Channel.PHONE, 10), (Channel.IN_PERSON, 5))


@dataclass(frozen=True)
class DemoOfficial:
    username: str
    full_name: str
    role: str
    unit_name: str
    position: str


OFFICIALS = (
    DemoOfficial(
        "xuly.vinhyen",
        "Đào Thị Hạnh",
        "xu-ly-phan-anh",
        HOME_COMMUNE,
        "Công chức tiếp nhận, xử lý phản ánh, kiến nghị",
    ),
    DemoOfficial(
        "lanhdao.pakn",
        "Nguyễn Quang Vinh",
        "lanh-dao",
        PROVINCE_NAME,
        "Chánh Văn phòng UBND tỉnh (phụ trách phản ánh, kiến nghị)",
    ),
)


@dataclass
class _Loaded:
    created: Counter = field(default_factory=Counter)


@dataclass
class Place:
    area: OrgUnit  # the commune in force on the report's date
    unit: OrgUnit  # the unit in charge of it then: the old district, or the commune itself
    province: OrgUnit
    lat: float
    lon: float
    name: str


def _local(day: date, hour: float = 0.0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(0))) + timedelta(hours=hour)


def _jitter(rng: random.Random, lat: float, lon: float, low_m: float, high_m: float) -> tuple[float, float]:
    distance, bearing = rng.uniform(low_m, high_m), rng.uniform(0, 2 * math.pi)
    dlat = distance * math.cos(bearing) / 111_320
    dlon = distance * math.sin(bearing) / (111_320 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


# --- configuration -------------------------------------------------------------------------------


def _categories(loaded: _Loaded, province: OrgUnit) -> dict[str, Category]:
    existing = {c.code: c for c in Category.objects.all()}
    for order, (code, name, leaves) in enumerate(GROUPS, start=1):
        group = existing.get(code)
        if group is None:
            group = category_save(code=code, name=name, unit=province, order=order * 10)
            loaded.created["lĩnh vực"] += 1
        for index, leaf in enumerate(leaves, start=1):
            if leaf.code in existing:
                continue
            deadlines = {Urgency.NORMAL: (leaf.normal, WD), Urgency.COMPLEX: (15, WD)}
            if leaf.urgent_hours:
                deadlines[Urgency.URGENT] = (leaf.urgent_hours, HOURS)
            category = category_save(
                code=leaf.code,
                name=leaf.name,
                unit=province,
                parent=group,
                deadlines=deadlines,
                keywords=leaf.keywords,
                is_public=leaf.public,
                duplicate_radius_m=leaf.radius,
                handling_message=leaf.message or DEFAULT_MESSAGE,
                order=order * 10 + index,
            )
            for attribute in leaf.attributes:
                CategoryAttribute.objects.create(category=category, **attribute)
            loaded.created["lĩnh vực"] += 1
    return {c.code: c for c in Category.objects.prefetch_related("deadlines")}


def _rules(loaded: _Loaded, province: OrgUnit, communes: list[OrgUnit], categories: dict) -> None:
    if RoutingRule.objects.exists():
        return
    rules = [
        RoutingRule(
            order=10,
            name="Quốc lộ, đường tỉnh: UBND tỉnh",
            category=categories["giao-thong"],
            keywords="quốc lộ, cao tốc, đường tỉnh",
            unit=province,
        ),
        RoutingRule(
            order=20,
            name="Quy định hành chính (Nghị định 20/2008): UBND tỉnh",
            category=categories["quy-dinh-hanh-chinh"],
            unit=province,
        ),
        RoutingRule(
            order=30, name="Thái độ cán bộ: UBND tỉnh", category=categories["thai-do-can-bo"], unit=province
        ),
    ]
    rules += [
        RoutingRule(order=100 + index, name=commune.name, area=commune, unit=commune)
        for index, commune in enumerate(communes)
    ]
    RoutingRule.objects.bulk_create(rules)
    loaded.created["quy tắc phân công"] += len(rules)


def _templates(loaded: _Loaded, categories: dict) -> None:
    if AnswerTemplate.objects.exists():
        return
    AnswerTemplate.objects.bulk_create(
        AnswerTemplate(title=title, body=body, category=categories.get(code) if code else None)
        for title, body, code in TEMPLATES
    )
    loaded.created["mẫu trả lời"] += len(TEMPLATES)


def key_file() -> Path:
    return Path(settings.DATA_DIR) / "keys" / KEY_FILE


def _api_client(loaded: _Loaded) -> str:
    """The demo Open311 app; its key is written once (a key that no longer opens is replaced)."""
    path = key_file()
    key = path.read_text().strip() if path.exists() else ""
    if key and api_client_get(key) is not None:
        return f"khóa Open311 thử nghiệm: {path}"
    ApiClient.objects.filter(name=API_CLIENT_NAME, active=True).update(active=False)
    _client, key = api_client_create(name=API_CLIENT_NAME, contact="Trung tâm Phục vụ hành chính công tỉnh")
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key + "\n")
    os.chmod(path, 0o600)
    loaded.created["ứng dụng Open311"] += 1
    return f"khóa Open311 thử nghiệm ghi vào {path}"


def _officials(loaded: _Loaded, home: OrgUnit) -> list:
    """The handler of the home commune and the province's leader for feedback, as the accounts
    demo makes its accounts (same password, same checks)."""
    from cqs.accounts.demo import DemoAccount, _ensure_account

    users = []
    for official in OFFICIALS:
        on_province = official.unit_name == PROVINCE_NAME
        account = DemoAccount(
            username=official.username,
            full_name=official.full_name,
            role=official.role,
            unit_name=official.unit_name if on_province else home.name,
            unit_identifier=PHU_THO if on_province else "",
            unit_kind="" if on_province else "xa",
            position=official.position,
            units_as_of=MERGER,
        )
        user, created = _ensure_account(account)
        users.append(user)
        if created:
            loaded.created["tài khoản"] += 1
    return users


# --- places --------------------------------------------------------------------------------------


def _places(province_before: OrgUnit, province_after: OrgUnit) -> tuple[list, list]:
    """(places before the merger, places after), with their weights: every commune with a point."""
    communes = list(OrgUnit.objects.as_of(MERGER).filter(kind__code="xa").order_by("pk"))
    links = Succession.objects.filter(successor__in=communes).select_related("predecessor__parent")
    predecessors: dict[int, list[OrgUnit]] = defaultdict(list)
    for link in links:
        predecessors[link.successor_id].append(link.predecessor)
    before, after = [], []
    for commune in communes:
        olds = predecessors.get(commune.pk, [])
        districts = Counter(old.parent.name for old in olds if old.parent_id)
        district = districts.most_common(1)[0][0] if districts else ""
        centre = DISTRICT_CENTRES.get(district, (21.31, 105.60))
        rng = random.Random(f"feedback-demo-{commune.name}")  # noqa: S311 - demo data
        lat, lon = _jitter(rng, *centre, 1000, 2000)
        weight = DISTRICT_WEIGHT.get(district, 1.0)
        after.append((Place(commune, commune, province_after, lat, lon, commune.name), weight))
        for old in olds:
            if old.parent_id is None or not old.is_valid_on(MERGER - timedelta(days=1)):
                continue
            old_lat, old_lon = _jitter(rng, lat, lon, 200, 800)
            place = Place(
                old, old.parent, province_before, old_lat, old_lon, f"{old.name}, {old.parent.name}"
            )
            before.append((place, DISTRICT_WEIGHT.get(old.parent.name, 1.0) / max(1, len(olds))))
    return before, after


# --- one report's life ---------------------------------------------------------------------------


@dataclass
class Step:
    action: str
    at: datetime
    fields: dict = field(default_factory=dict)


def _gap(rng: random.Random, at: datetime, low_h: float, high_h: float) -> datetime:
    return at + timedelta(hours=rng.uniform(low_h, high_h))


def plan(
    rng: random.Random,
    *,
    leaf: Leaf,
    submitted: datetime,
    due: datetime,
    anonymous: bool,
    original: Report | None,
    forward_to: OrgUnit | None,
    cutoff: datetime | None,
    now: datetime,
) -> list[Step]:
    """The steps a report goes through after it is filed, in order, none after ``now``; with a
    ``cutoff`` (the last office hour before the merger) every staff step happens before it."""
    roll = rng.random()
    steps: list[Step] = []
    t = submitted
    if roll < 0.03:
        steps.append(Step("reject", _gap(rng, t, 2, 36), {"note": rng.choice(REJECT_NOTES)}))
    elif leaf.external and roll < 0.5:
        number = rng.randint(100, 2999)
        steps.append(
            Step(
                "transfer",
                _gap(rng, t, 1, 24),
                {
                    "note": f"Chuyển {leaf.external} xử lý theo thẩm quyền.",
                    "external_agency": leaf.external,
                    "external_reference": f"{number}/UBND-VP",
                },
            )
        )
    elif original is not None and roll < 0.08:
        steps.append(Step("mark_duplicate", _gap(rng, t, 2, 48), {"duplicate_of": original}))
    else:
        if forward_to is not None:
            t = _gap(rng, t, 2, 40)
            steps.append(
                Step(
                    "forward",
                    t,
                    {"unit": forward_to, "note": "Nội dung thuộc thẩm quyền giải quyết của tỉnh."},
                )
            )
        t = _gap(rng, t, 1, 24)
        steps.append(Step("accept", t))
        t = _gap(rng, t, 1, 24)
        steps.append(Step("start", t))
        if rng.random() < 0.04:
            t = _gap(rng, t, 2, 24)
            steps.append(
                Step("request_info", t, {"note": "Đề nghị ông/bà cho biết vị trí cụ thể (số nhà, ngõ)."})
            )
            t = _gap(rng, t, 4, 72)
            steps.append(Step("provide_info", t, {"note": "Vị trí ở gần cổng chợ, cạnh cột điện số 12."}))
        if rng.random() < 0.85 and due > t:
            t = t + (due - t) * rng.uniform(0.2, 0.98)
        else:
            t = max(t, due) + timedelta(hours=rng.uniform(2, 240))
        steps.append(Step("answer", t))
        public = leaf.public and rng.random() < 0.88
        if public:
            t = _gap(rng, t, 2, 72)
            steps.append(Step("publish", t))
        if not anonymous and rng.random() < 0.6:
            t = _gap(rng, t, 3, 120)
            rating = rng.choices([r for r, _w in RATINGS], [w for _r, w in RATINGS])[0]
            reopen = rating <= 2 and cutoff is None and rng.random() < 0.3
            steps.append(Step("survey", t, {"rating": rating, "reopen": reopen}))
            if reopen:
                t = _gap(rng, t, 8, 48)
                steps.append(Step("start", t))
                if rng.random() < 0.6:
                    t = _gap(rng, t, 24, 200)
                    steps.append(Step("answer", t))
                    if public:
                        t = _gap(rng, t, 2, 48)
                        steps.append(Step("publish", t))
                return _clip(steps, submitted, cutoff, now)
        if rng.random() < 0.25:
            steps.append(Step("close", _gap(rng, t, 72, 720)))
    return _clip(steps, submitted, cutoff, now)


def _clip(steps: list[Step], submitted: datetime, cutoff: datetime | None, now: datetime) -> list[Step]:
    if cutoff is not None:
        # Before the merger, the old units finished their reports before they ceased to exist:
        # the steps planned after the cutoff are spread between the last one before it and it.
        late = [s for s in steps if s.action != "survey" and s.at > cutoff]
        if late:
            start = max([s.at for s in steps if s.at <= cutoff] + [submitted])
            for index, step in enumerate(late, start=1):
                step.at = start + (cutoff - start) * index / (len(late) + 1)
            steps.sort(key=lambda s: s.at)
    kept = []
    for step in steps:
        if step.at >= now:
            break
        kept.append(step)
    return kept


# --- history written in bulk --------------------------------------------------------------------


def _answer_text(rng: random.Random, group: str, at: datetime) -> str:
    text = rng.choice(ANSWERS.get(group, ANSWERS["default"]))
    return text.format(day=f"{timezone.localtime(at):%d/%m/%Y}")


def _apply(report: Report, step: Step, rng: random.Random, group: str, extra: dict) -> ReportEvent | None:
    """Apply ``step`` to the unsaved ``report`` as the services would; returns its history row."""
    before, at, data, note = report.status, step.at, {}, step.fields.get("note", "")
    action = step.action
    public = action != "survey"
    if action in ("accept", "reject", "forward", "transfer", "answer") and report.acknowledged_at is None:
        report.acknowledged_at = at
    if action == "accept":
        report.status = Status.ACCEPTED
    elif action == "reject":
        report.status, report.closed_at = Status.REJECTED, at
    elif action == "forward":
        data = {
            "from_unit": report.unit_id,
            "to_unit": step.fields["unit"].pk,
            "late": at > report.forward_due_at,
        }
        report.unit, report.status = step.fields["unit"], Status.FORWARDED
    elif action == "transfer":
        report.external_agency = step.fields["external_agency"]
        report.external_reference = step.fields["external_reference"]
        report.status, report.closed_at = Status.TRANSFERRED, at
        data = {"agency": report.external_agency, "reference": report.external_reference}
    elif action in ("start", "provide_info"):
        report.status = Status.IN_PROGRESS
    elif action == "request_info":
        report.status = Status.INFO_REQUESTED
    elif action == "answer":
        report.answer = note = _answer_text(rng, group, at)
        report.answer_public, report.answered_at, report.answered_by_unit = "", at, report.unit
        report.resolution, report.status = Resolution.ANSWERED, Status.ANSWERED
        data = {"on_time": at <= report.due_at}
    elif action == "publish":
        report.answer_public, report.is_public, report.status = (
            mask_personal(report.answer),
            True,
            Status.PUBLISHED,
        )
    elif action == "close":
        report.closed_at, report.status = at, Status.CLOSED
    elif action == "mark_duplicate":
        original = step.fields["duplicate_of"]
        extra["duplicates"].append((report, original))  # linked once both rows exist
        report.resolution = Resolution.DUPLICATE
        report.closed_at, report.status = at, Status.CLOSED
        data = {"original": original.code}
    elif action == "survey":
        rating, reopen = step.fields["rating"], step.fields["reopen"]
        extra["surveys"].append(
            SatisfactionResponse(report=report, rating=rating, reopen_requested=reopen, at=at)
        )
        extra["events"].append(
            ReportEvent(
                report=report, at=at, action="survey", from_status=before, to_status=before,
                unit=report.unit, public=False, data={"rating": rating, "reopen": reopen},
            )
        )  # fmt: skip
        if not reopen:
            return None  # as survey_submit: the survey does not change the report
        before, action, note = report.status, "reopen", "Người phản ánh chưa hài lòng với câu trả lời."
        report.reopen_count += 1
        report.closed_at, report.resolution, report.status = None, Resolution.NONE, Status.REOPENED
        report.due_at = deadline_for(report.category, report.urgency, at)
        report.overdue_notified_at = None
        data = {"due_at": report.due_at.isoformat()}
    if at > report.due_at and report.overdue_notified_at is None and before in OPEN_STATUSES:
        report.overdue_notified_at = report.due_at + timedelta(minutes=1)
    report.updated_at = at
    return ReportEvent(
        report=report, at=at, action=action, from_status=before, to_status=report.status,
        actor=extra["actors"].get(action) if report.unit_id == extra["home"] else None,
        unit=report.unit, note=note, public=public, data=data,
    )  # fmt: skip


def _deadlines(category: Category, urgency: str, at: datetime) -> dict:
    return {
        "ack_due_at": due_at_for(amount=ACK_WORKING_DAYS, unit=WD, received_at=at),
        "forward_due_at": due_at_for(amount=FORWARD_WORKING_DAYS, unit=WD, received_at=at),
        "due_at": deadline_for(category, urgency, at),
    }


def _moments(rng: random.Random, count: int, start: datetime, end: datetime) -> list[datetime]:
    """``count`` moments in [start, end), more on working hours than at night, oldest first."""
    span = (end - start).total_seconds()
    moments = []
    while len(moments) < count:
        moment = start + timedelta(seconds=rng.random() * span)
        hour = timezone.localtime(moment).hour
        if rng.random() < (1.0 if 7 <= hour < 22 else 0.15):
            moments.append(moment)
    return sorted(moments)


@dataclass
class Draft:
    """What a report is about, shared by the history and the service path."""

    leaf: Leaf
    group: str
    category: Category
    place: Place
    urgency: str
    title: str
    description: str
    attributes: dict
    anonymous: bool
    name: str
    phone: str
    channel: str
    lat: float
    lon: float
    address: str


def _draft(rng, moment, places, leaves, categories, *, service=False) -> Draft:
    leaf, group = rng.choices([lg for lg, _w in leaves], [w for _lg, w in leaves])[0]
    place = rng.choices([p for p, _w in places], [w for _p, w in places])[0]
    street = rng.choice(STREETS)
    title, text = rng.choice(leaf.texts)
    commune = place.area.name
    address = f"{street}, {commune}"
    urgency = Urgency.NORMAL
    if leaf.urgent_hours and rng.random() < 0.25:
        urgency = Urgency.URGENT
    elif rng.random() < 0.05:
        urgency = Urgency.COMPLEX
    attributes = {}
    if leaf.attributes:
        attributes = {"kich-thuoc": rng.choice(["nho", "vua", "lon"]), "so-luong": rng.randint(1, 6)}
    anonymous = rng.random() < 0.15
    channel = Channel.WEB if service else rng.choices([c for c, _w in CHANNELS], [w for _c, w in CHANNELS])[0]
    lat, lon = _jitter(rng, place.lat, place.lon, 0, 700)
    return Draft(
        leaf=leaf, group=group, category=categories[leaf.code], place=place, urgency=urgency,
        title=title.format(street=street, place=commune)[:200],
        description=text.format(street=street, place=commune), attributes=attributes,
        anonymous=anonymous, name="" if anonymous else f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}",
        phone="" if anonymous or service or rng.random() < 0.3 else f"0900{rng.randint(0, 999999):06d}",
        channel=channel, lat=lat, lon=lon, address=address,
    )  # fmt: skip


def _code(rng: random.Random, taken: set[str]) -> str:
    from cqs.feedback.services.reports import _CODE_ALPHABET

    while True:
        code = "PA" + "".join(rng.choice(_CODE_ALPHABET) for _ in range(10))
        if code not in taken:
            taken.add(code)
            return code


def _cutoff(submitted: datetime) -> datetime:
    """When the old units' handling of a report filed before the merger ended: the last office
    hour of 30/6/2025, or just before midnight for one filed later that day."""
    last_hour = _local(MERGER - timedelta(days=1), 16)
    return last_hour if submitted < last_hour else _local(MERGER) - timedelta(minutes=1)


class _Router:
    """``routing.route`` with the rules read once (the rules do not change during the load)."""

    def __init__(self):
        self.rules = list(
            RoutingRule.objects.filter(active=True).select_related("area", "unit").order_by("order", "pk")
        )

    def route(self, category: Category, area: OrgUnit, text: str):
        ids, folded = {category.pk, *category.ancestor_ids()}, fold(text)
        for rule in self.rules:
            if rule_matches(rule, category_ids=ids, area=area, folded_text=folded):
                return rule.unit, rule
        return category.unit, None


def _history(loaded, rng, moments, ctx) -> None:
    """Reports written in bulk, with their events and surveys, consistent with the services."""
    now, taken = ctx["now"], set(Report.objects.values_list("code", flat=True))
    recent: dict[tuple[int, int], Report] = {}
    reports = []
    extra = {"events": [], "surveys": [], "duplicates": [], "actors": ctx["actors"], "home": ctx["home"].pk}
    router = _Router()
    for number, moment in enumerate(moments):
        before_merger = moment < _local(MERGER)
        places = ctx["before"] if before_merger else ctx["after"]
        if moment >= ctx["service_from"]:
            places = ctx["after_recent"]
        draft = _draft(rng, moment, places, ctx["leaves"], ctx["categories"])
        place = draft.place
        unit, rule = place.unit, None
        if not before_merger:
            unit, rule = router.route(draft.category, place.area, f"{draft.title}\n{draft.description}")
        elif draft.leaf.code in ("quy-dinh-hanh-chinh", "thai-do-can-bo"):
            unit = place.province
        key = (draft.category.pk, place.area.pk)
        original = recent.get(key)
        if original is not None and moment - original.submitted_at > timedelta(weeks=12):
            original = None
        lat, lon = draft.lat, draft.lon
        if original is not None:
            lat, lon = _jitter(rng, original.lat, original.lon, 0, draft.category.duplicate_radius_m / 2)
        forward_to = place.province if unit.pk != place.province.pk and rng.random() < 0.04 else None
        report = Report(
            code=_code(rng, taken), access_token=f"{rng.getrandbits(192):048x}",
            client_token=f"{TOKEN_PREFIX}{number:05d}", category=draft.category, urgency=draft.urgency,
            title=draft.title, description=draft.description, attributes=draft.attributes, lat=lat, lon=lon,
            address=draft.address, area=place.area, unit=unit, routing_rule=rule,
            reporter=ctx["citizen"] if not draft.anonymous and rng.random() < 0.02 else None,
            anonymous=draft.anonymous, contact_name=draft.name, contact_phone=draft.phone,
            channel=draft.channel, status=Status.RECEIVED, submitted_at=moment, updated_at=moment,
            **_deadlines(draft.category, draft.urgency, moment),
        )  # fmt: skip
        if report.reporter is not None:
            report.contact_name = report.reporter.get_full_name() or report.contact_name
        steps = plan(
            rng, leaf=draft.leaf, submitted=moment, due=report.due_at, anonymous=draft.anonymous,
            original=original, forward_to=forward_to, now=now,
            cutoff=_cutoff(moment) if before_merger else None,
        )  # fmt: skip
        if not any(s.action == "mark_duplicate" for s in steps):
            recent[key] = report
        reports.append(report)
        extra["events"].append(
            ReportEvent(
                report=report, at=moment, action="submit", to_status=Status.RECEIVED, unit=report.unit,
                public=True, data={"rule": rule.pk if rule else None, "photos": 0, "channel": report.channel},
            )
        )  # fmt: skip
        for step in steps:
            event = _apply(report, step, rng, draft.group, extra)
            if event is not None:
                extra["events"].append(event)
        if report.status in OPEN_STATUSES and report.due_at < now and report.overdue_notified_at is None:
            report.overdue_notified_at = report.due_at + timedelta(minutes=1)
    Report.objects.bulk_create(reports, batch_size=500)
    for duplicate, original in extra["duplicates"]:
        duplicate.duplicate_of = original
    Report.objects.bulk_update([d for d, _o in extra["duplicates"]], ["duplicate_of"], batch_size=500)
    ReportEvent.objects.bulk_create(extra["events"], batch_size=1000)
    SatisfactionResponse.objects.bulk_create(extra["surveys"], batch_size=1000)
    loaded.created["phản ánh (lịch sử)"] += len(reports)


# --- recent reports through the services ---------------------------------------------------------


def _photo(rng: random.Random) -> bytes:
    """A made-up photo of a road with a dark hole (JPEG), different for each seed."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 480), (118, 118, 112))
    draw = ImageDraw.Draw(image)
    for _ in range(400):
        x, y, shade = rng.randrange(640), rng.randrange(480), rng.randrange(90, 150)
        draw.point((x, y), fill=(shade, shade, shade - 6))
    x, y = rng.randrange(150, 450), rng.randrange(180, 330)
    w, h = rng.randrange(60, 160), rng.randrange(30, 80)
    draw.ellipse((x, y, x + w, y + h), fill=(40, 36, 30))
    draw.line((0, 470, 640, 400), fill=(230, 230, 230), width=6)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def _through_services(loaded, rng, moments, ctx) -> None:
    """Recent reports of the demo officials' commune: filed and handled through the services."""
    handler, leader = ctx["actors"]["accept"], ctx["actors"]["publish"]
    home_places = [(p, w) for p, w in ctx["after"] if p.area.pk == ctx["home"].pk]
    recent: dict[int, Report] = {}
    for number, moment in enumerate(moments):
        draft = _draft(rng, moment, home_places, ctx["leaves"], ctx["categories"], service=True)
        photos = (
            [(f"anh-{number}.jpg", _photo(rng))] if draft.leaf.code == "o-ga" and rng.random() < 0.6 else []
        )
        by_citizen = ctx["citizen"] is not None and not draft.anonymous and rng.random() < 0.2
        report, created = report_submit(
            category=draft.category, description=draft.description, title=draft.title, urgency=draft.urgency,
            attributes=draft.attributes, lat=draft.lat, lon=draft.lon, address=draft.address,
            area=draft.place.area, reporter=ctx["citizen"] if by_citizen else None, anonymous=draft.anonymous,
            contact_name="" if by_citizen else draft.name, channel=draft.channel, photos=photos,
            client_token=f"{TOKEN_PREFIX}s{number:04d}", now=moment,
        )  # fmt: skip
        if not created:
            continue
        original = recent.get(draft.category.pk)
        if original is not None and moment - original.submitted_at > timedelta(weeks=12):
            original = None
        steps = plan(
            rng, leaf=draft.leaf, submitted=moment, due=report.due_at, anonymous=draft.anonymous,
            original=original, forward_to=None, cutoff=None, now=ctx["now"],
        )  # fmt: skip
        if report.unit_id != ctx["home"].pk:
            steps = []  # routed to the province by a rule: waits in its inbox
        if not any(s.action == "mark_duplicate" for s in steps):
            recent[draft.category.pk] = report
        for step in steps:
            _service_step(report, step, rng, draft, handler, leader, by_citizen)
        loaded.created["phản ánh (qua dịch vụ)"] += 1


def _service_step(report, step, rng, draft, handler, leader, by_citizen) -> None:
    fields = dict(step.fields)
    note = fields.pop("note", "")
    if step.action == "survey":
        survey_submit(
            report=report, rating=fields["rating"], reopen=fields["reopen"],
            user=report.reporter if by_citizen else None, token=None if by_citizen else report.access_token,
            now=step.at,
        )  # fmt: skip
        return
    if step.action == "provide_info":
        report_act(report=report, action="provide_info", token=report.access_token, note=note, now=step.at)
        return
    if step.action == "answer":
        fields["answer"] = _answer_text(rng, draft.group, step.at)
    actor = leader if step.action in ("publish", "close") else handler
    report_act(report=report, action=step.action, actor=actor, note=note, now=step.at, **fields)


# --- entry point ---------------------------------------------------------------------------------


def load_demo(*, log: Callable[[str], None] = print) -> None:
    now = timezone.now()
    loaded = _Loaded()
    province_before = OrgUnit.objects.filter(identifier=VINH_PHUC).order_by("valid_from").first()
    province_after = OrgUnit.objects.as_of(MERGER).filter(identifier=PHU_THO).first()
    if province_before is None or province_after is None:
        log("feedback: chưa có cây đơn vị (orgs); bỏ qua dữ liệu phản ánh minh họa.")
        return
    with transaction.atomic():
        categories = _categories(loaded, province_after)
        before, after = _places(province_before, province_after)
        communes = [place.area for place, _weight in after]
        home = next((c for c in communes if c.name == HOME_COMMUNE), communes[0])
        _rules(loaded, province_after, communes, categories)
        _templates(loaded, categories)
        key_note = _api_client(loaded)
        handler, leader = _officials(loaded, home)
        if not Report.objects.filter(client_token__startswith=TOKEN_PREFIX).exists():
            from cqs.accounts.models import User

            rng = random.Random("feedback-demo")  # noqa: S311 - demo data, not security
            service_from = now - timedelta(days=SERVICE_DAYS)
            ctx = {
                "now": now,
                "before": before,
                "after": after,
                # The home commune's last days are filed through the services, not in the history.
                "after_recent": [(p, w) for p, w in after if p.area.pk != home.pk],
                "service_from": service_from,
                "leaves": [((leaf, code), leaf.weight) for code, _name, group in GROUPS for leaf in group],
                "categories": categories,
                "home": home,
                "citizen": User.objects.filter(username="congdan.demo").first(),
                "actors": {
                    **dict.fromkeys(
                        ("accept", "reject", "forward", "transfer", "start", "request_info", "answer"),
                        handler,
                    ),
                    "mark_duplicate": handler,
                    "publish": leader,
                    "close": leader,
                },
            }
            bulk = REPORTS_TOTAL - SERVICE_REPORTS
            _history(loaded, rng, _moments(rng, bulk, _local(HISTORY_FROM), now - timedelta(hours=1)), ctx)
            recent = _moments(rng, SERVICE_REPORTS, service_from, now - timedelta(minutes=30))
            _through_services(loaded, rng, recent, ctx)
    made = ", ".join(f"{kind} {count}" for kind, count in loaded.created.items()) or "không có gì mới"
    log(f"feedback: tạo mới {made}.")
    log(f"feedback: {key_note}.")
    log(
        "feedback: tài khoản xử lý phản ánh: "
        + "; ".join(f"{u.username} ({u.full_name})" for u in (handler, leader))
        + "."
    )


load = load_demo
