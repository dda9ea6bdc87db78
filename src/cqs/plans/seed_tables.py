"""Curated tables of the seed extraction: what the text cannot say by itself.

Stable codes and short labels of targets and 2021 figures (identifiers that other modules rely
on: never rename one), the patterns that locate each figure in Part I, and the owner named inside
an information system's name. ``seed.extract`` checks every table against the text: a pattern
must match exactly once, a table must cover every parsed row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

AMOUNT_UNIT = "triệu đồng"

# (area, order) → (code, what is measured). Codes are identifiers other modules (ioc, onestop…)
# use to report progress against the plan: never rename one.
TARGET_CODES: dict[tuple[int, int], tuple[str, str]] = {
    (1, 1): ("qlvb-co-quan-su-dung", "Cơ quan nhà nước sử dụng hệ thống quản lý văn bản và điều hành"),
    (1, 2): ("chu-ky-so-lanh-dao", "Lãnh đạo cơ quan nhà nước được cấp, sử dụng chữ ký số chuyên dùng"),
    (1, 3): ("van-ban-dien-tu-giua-co-quan", "Văn bản, tài liệu trao đổi giữa cơ quan nhà nước dạng điện tử"),
    (1, 4): (
        "mot-cua-dung-chung-huyen-xa",
        "UBND cấp huyện, xã giải quyết TTHC qua hệ thống một cửa dùng chung",
    ),
    (1, 5): ("bao-cao-dinh-ky-he-thong-bao-cao", "Báo cáo định kỳ cập nhật trên Hệ thống thông tin báo cáo"),
    (1, 6): ("hop-truc-tuyen-khong-giay", "Hội nghị truyền hình, họp không giấy"),
    (1, 7): ("giam-sat-kiem-tra-moi-truong-so", "Hoạt động giám sát, kiểm tra thực hiện qua môi trường số"),
    (2, 1): ("cong-ttdt-du-thong-tin", "Cổng/trang thông tin điện tử cung cấp đủ thông tin theo NĐ 43/2011"),
    (2, 2): ("dvc-muc-do-4-cung-cap", "Thủ tục hành chính đủ điều kiện cung cấp trực tuyến mức độ 4"),
    (2, 3): ("dvc-muc-do-4-ho-so-truc-tuyen", "Hồ sơ giải quyết theo dịch vụ công trực tuyến mức độ 4"),
    (2, 4): ("dan-so-tai-khoan-thanh-toan-dien-tu", "Dân số có tài khoản thanh toán điện tử"),
    (3, 1): ("soc-trien-khai", "Trung tâm giám sát an toàn, an ninh mạng (SOC)"),
    (3, 2): ("giam-sat-attt-nang-luc", "Năng lực giám sát an toàn thông tin mạng"),
    (3, 3): ("may-tinh-phong-chong-ma-doc", "Máy tính của CBCC cài phần mềm phòng chống mã độc tập trung"),
    (3, 4): ("attt-dao-tao-dien-tap", "Đào tạo, tập huấn, diễn tập an toàn thông tin"),
    (4, 1): ("ha-tang-ky-thuat-nang-luc", "Năng lực hạ tầng kỹ thuật, điện toán đám mây"),
    (4, 2): ("do-thi-thong-minh-dich-vu", "Dịch vụ đô thị thông minh thí điểm"),
    (4, 3): ("ipv6-chuyen-doi", "Chuyển đổi IPv6"),
    (5, 1): ("can-bo-chuyen-trach-cntt-dao-tao", "Cán bộ chuyên trách CNTT được đào tạo nâng cao"),
    (5, 2): ("cbccvc-dao-tao-ky-nang-so", "Đào tạo an toàn thông tin cơ bản và kỹ năng số cho CBCCVC"),
}


@dataclass(frozen=True)
class Figure:
    """One baseline value read from a named group of a ``Passage`` pattern."""

    code: str
    label: str
    unit: str
    scope: str = ""
    # "gt" where the text says "hơn" (more than) the figure.
    qualifier: str = "eq"
    # The stated percentage of this figure over ``ratio_denominator`` (group name of the ratio).
    ratio_group: str = ""
    ratio_numerator: str = ""
    ratio_denominator: str = ""
    # Codes of the figures that add up to this one, by the text's own breakdown.
    parts: tuple[str, ...] = ()
    # What a count refers to elsewhere in the document (``information_systems``: Appendix 1).
    count_of: str = ""


@dataclass(frozen=True)
class Passage:
    """A pattern that matches one passage of Part I exactly once; its named groups are figures
    (``date`` is the as-of date of all of them)."""

    section: str
    pattern: str
    figures: dict[str, Figure] = field(default_factory=dict)


_N = r"[\d.]+"
_P = r"[\d,]+"
_DISTRICT = r"Tính đến ngày (?P<date>[\d/]+), phần mềm một cửa cấp huyện, cấp xã "
_CENTRE = r"Trung tâm Phục vụ hành chính công được vận hành .*?Tính đến ngày (?P<date>[\d/]+), hệ thống "
ONESTOP_DISTRICT = "cấp huyện, xã"
ONESTOP_CENTRE = "Trung tâm PVHCC"

PASSAGES: tuple[Passage, ...] = (
    Passage(
        "II",
        rf"kết nối đường truyền số liệu chuyên dùng đến (?P<n>{_N}) đơn vị, địa phương",
        {
            "n": Figure(
                "mang-chuyen-dung-don-vi",
                "Đơn vị kết nối mạng truyền số liệu chuyên dùng",
                "đơn vị",
                "tỉnh, huyện, xã",
            )
        },
    ),
    Passage(
        "II",
        r"trang bị máy tính ở cấp tỉnh là (?P<p>\d+)%, cấp huyện là (?P<d>\d+)% và cấp xã là (?P<c>\d+)%",
        {
            "p": Figure("may-tinh-cbccvc-cap-tinh", "CBCCVC được trang bị máy tính", "%", "cấp tỉnh"),
            "d": Figure("may-tinh-cbccvc-cap-huyen", "CBCCVC được trang bị máy tính", "%", "cấp huyện"),
            "c": Figure("may-tinh-cbccvc-cap-xa", "CBCCVC được trang bị máy tính", "%", "cấp xã"),
        },
    ),
    Passage(
        "III",
        r"gồm (?P<regimes>\d+) chế độ báo cáo .*? và (?P<indicators>\d+) chỉ tiêu báo cáo",
        {
            "regimes": Figure(
                "bao-cao-che-do", "Chế độ báo cáo trên Hệ thống thông tin báo cáo", "chế độ", "cấp tỉnh"
            ),
            "indicators": Figure(
                "bao-cao-chi-tieu", "Chỉ tiêu báo cáo trên Hệ thống thông tin báo cáo", "chỉ tiêu", "cấp tỉnh"
            ),
        },
    ),
    Passage(
        "IV",
        r"Hiện có (?P<n>\d+) hệ thống thông tin, cơ sở dữ liệu chuyên ngành",
        {
            "n": Figure(
                "he-thong-thong-tin-chuyen-nganh",
                "Hệ thống thông tin, cơ sở dữ liệu chuyên ngành",
                "hệ thống",
                "sở, ngành",
                count_of="information_systems",
            )
        },
    ),
    Passage(
        "V.1",
        r"Cổng Thông tin – Giao tiếp điện tử tỉnh và (?P<n>\d+) Cổng thông tin điện tử của ngành, địa phương",
        {
            "n": Figure(
                "cong-ttdt-nganh-dia-phuong",
                "Cổng thông tin điện tử của ngành, địa phương",
                "cổng",
                "ngành, địa phương",
            )
        },
    ),
    Passage(
        "V.2",
        r"Bộ phận một cửa tại (?P<p>\d+) cơ quan, đơn vị cấp tỉnh, (?P<d>\d+) UBND huyện, thành phố "
        r"và (?P<c>\d+) UBND xã, phường, thị trấn",
        {
            "p": Figure("mot-cua-don-vi-cap-tinh", "Đơn vị dùng phần mềm một cửa", "đơn vị", "cấp tỉnh"),
            "d": Figure("mot-cua-don-vi-cap-huyen", "Đơn vị dùng phần mềm một cửa", "đơn vị", "cấp huyện"),
            "c": Figure("mot-cua-don-vi-cap-xa", "Đơn vị dùng phần mềm một cửa", "đơn vị", "cấp xã"),
        },
    ),
    Passage(
        "V.2",
        _DISTRICT + rf"đã tiếp nhận mới (?P<received>{_N}) hồ sơ, lũy kế đã và đang giải quyết trong kỳ "
        rf"(?P<in_period>{_N}) hồ sơ\. Trong đó, đến hạn giải quyết (?P<due>{_N}) hồ sơ, đã có kết quả trả "
        rf"trước và đúng hạn (?P<on_time>{_N}) hồ sơ \(đạt tỷ lệ (?P<ratio>{_P})%\)",
        {
            "received": Figure(
                "mot-cua-huyen-xa-tiep-nhan", "Hồ sơ tiếp nhận mới", "hồ sơ", ONESTOP_DISTRICT
            ),
            "in_period": Figure(
                "mot-cua-huyen-xa-trong-ky", "Hồ sơ đã và đang giải quyết trong kỳ", "hồ sơ", ONESTOP_DISTRICT
            ),
            "due": Figure("mot-cua-huyen-xa-den-han", "Hồ sơ đến hạn giải quyết", "hồ sơ", ONESTOP_DISTRICT),
            "on_time": Figure(
                "mot-cua-huyen-xa-dung-han",
                "Hồ sơ trả trước và đúng hạn",
                "hồ sơ",
                ONESTOP_DISTRICT,
                ratio_group="ratio",
                ratio_denominator="mot-cua-huyen-xa-den-han",
            ),
        },
    ),
    Passage(
        "V.2",
        _CENTRE + rf"đã tiếp nhận mới (?P<received>{_N}) hồ sơ, lũy kế đã và đang giải quyết trong kỳ "
        rf"(?P<in_period>{_N}) hồ sơ\. Trong đó, đến hạn giải quyết (?P<due>{_N}) hồ sơ, đã có kết quả trả "
        rf"trước và đúng hạn (?P<on_time>{_N}) hồ sơ \(đạt tỷ lệ (?P<ratio>{_P})%\)",
        {
            "received": Figure("mot-cua-pvhcc-tiep-nhan", "Hồ sơ tiếp nhận mới", "hồ sơ", ONESTOP_CENTRE),
            "in_period": Figure(
                "mot-cua-pvhcc-trong-ky", "Hồ sơ đã và đang giải quyết trong kỳ", "hồ sơ", ONESTOP_CENTRE
            ),
            "due": Figure("mot-cua-pvhcc-den-han", "Hồ sơ đến hạn giải quyết", "hồ sơ", ONESTOP_CENTRE),
            "on_time": Figure(
                "mot-cua-pvhcc-dung-han",
                "Hồ sơ trả trước và đúng hạn",
                "hồ sơ",
                ONESTOP_CENTRE,
                ratio_group="ratio",
                ratio_denominator="mot-cua-pvhcc-den-han",
            ),
        },
    ),
    Passage(
        "V.3",
        rf"Tính đến ngày (?P<date>[\d/]+) có (?P<in_all>{_N}) văn bản đến trên phần mềm quản lý văn bản "
        rf"\(cấp tỉnh (?P<in_p>{_N}) văn bản, cấp huyện (?P<in_d>{_N}) văn bản, "
        rf"cấp xã (?P<in_c>{_N}) văn bản\), "
        rf"có (?P<out_all>{_N}) văn bản đi trên phần mềm quản lý văn bản "
        rf"\(cấp tỉnh (?P<out_p>{_N}) văn bản, cấp huyện (?P<out_d>{_N}) văn bản, "
        rf"cấp xã (?P<out_c>{_N}) văn bản\), "
        rf"có (?P<sig_all>{_N}) văn bản đi ký số trên phần mềm quản lý văn bản "
        rf"\(cấp tỉnh (?P<sig_p>{_N}) văn bản, cấp huyện (?P<sig_d>{_N}) văn bản, "
        rf"cấp xã (?P<sig_c>{_N}) văn bản\)",
        {
            "in_all": Figure(
                "van-ban-den",
                "Văn bản đến trên phần mềm quản lý văn bản",
                "văn bản",
                "toàn tỉnh",
                parts=("van-ban-den-cap-tinh", "van-ban-den-cap-huyen", "van-ban-den-cap-xa"),
            ),
            "in_p": Figure("van-ban-den-cap-tinh", "Văn bản đến", "văn bản", "cấp tỉnh"),
            "in_d": Figure("van-ban-den-cap-huyen", "Văn bản đến", "văn bản", "cấp huyện"),
            "in_c": Figure("van-ban-den-cap-xa", "Văn bản đến", "văn bản", "cấp xã"),
            "out_all": Figure(
                "van-ban-di",
                "Văn bản đi trên phần mềm quản lý văn bản",
                "văn bản",
                "toàn tỉnh",
                parts=("van-ban-di-cap-tinh", "van-ban-di-cap-huyen", "van-ban-di-cap-xa"),
            ),
            "out_p": Figure("van-ban-di-cap-tinh", "Văn bản đi", "văn bản", "cấp tỉnh"),
            "out_d": Figure("van-ban-di-cap-huyen", "Văn bản đi", "văn bản", "cấp huyện"),
            "out_c": Figure("van-ban-di-cap-xa", "Văn bản đi", "văn bản", "cấp xã"),
            "sig_all": Figure(
                "van-ban-di-ky-so",
                "Văn bản đi ký số",
                "văn bản",
                "toàn tỉnh",
                parts=("van-ban-di-ky-so-cap-tinh", "van-ban-di-ky-so-cap-huyen", "van-ban-di-ky-so-cap-xa"),
            ),
            "sig_p": Figure("van-ban-di-ky-so-cap-tinh", "Văn bản đi ký số", "văn bản", "cấp tỉnh"),
            "sig_d": Figure("van-ban-di-ky-so-cap-huyen", "Văn bản đi ký số", "văn bản", "cấp huyện"),
            "sig_c": Figure("van-ban-di-ky-so-cap-xa", "Văn bản đi ký số", "văn bản", "cấp xã"),
        },
    ),
    Passage(
        "V.3",
        rf"Hiện cấp hơn (?P<n>{_N}) hộp thư điện tử",
        {
            "n": Figure(
                "hop-thu-cong-vu", "Hộp thư điện tử công vụ đã cấp", "hộp thư", "toàn tỉnh", qualifier="gt"
            )
        },
    ),
    Passage(
        "V.3",
        rf"đã cấp chứng thư số cho (?P<units>\d+) cơ quan, đơn vị, với tổng số (?P<all>{_N}) chứng thư số "
        rf"bao gồm (?P<personal>{_N}) chứng thư số cá nhân, (?P<org>{_N}) chứng thư số cơ quan",
        {
            "units": Figure(
                "chung-thu-so-don-vi", "Cơ quan, đơn vị được cấp chứng thư số", "đơn vị", "toàn tỉnh"
            ),
            "all": Figure(
                "chung-thu-so",
                "Chứng thư số đã cấp",
                "chứng thư",
                "toàn tỉnh",
                parts=("chung-thu-so-ca-nhan", "chung-thu-so-co-quan"),
            ),
            "personal": Figure("chung-thu-so-ca-nhan", "Chứng thư số cá nhân", "chứng thư", "toàn tỉnh"),
            "org": Figure("chung-thu-so-co-quan", "Chứng thư số cơ quan", "chứng thư", "toàn tỉnh"),
        },
    ),
    Passage(
        "V.3",
        r"Đã đăng ký cấp (?P<sims>\d+) Sim PKI cho lãnh đạo của (?P<units>\d+) cơ quan, đơn vị",
        {
            "sims": Figure("sim-pki", "Sim PKI đăng ký cho lãnh đạo", "sim", "toàn tỉnh"),
            "units": Figure(
                "sim-pki-don-vi", "Cơ quan, đơn vị có lãnh đạo dùng Sim PKI", "đơn vị", "toàn tỉnh"
            ),
        },
    ),
    Passage(
        "V.3",
        r"Tỷ lệ ký số trên phần mềm quản lý văn bản của tỉnh là (?P<all>\d+)% \(tỷ lệ ký số của các "
        r"sở, ban, ngành là (?P<p>\d+)%, tỷ lệ ký số của UBND các huyện, thành phố là (?P<d>\d+)%, "
        r"tỷ lệ ký số của UBND các xã, phường, thị trấn là (?P<c>\d+)%\)",
        {
            "all": Figure(
                "ky-so-ty-le",
                "Tỷ lệ văn bản đi được ký số",
                "%",
                "toàn tỉnh",
                ratio_group="all",
                ratio_numerator="van-ban-di-ky-so",
                ratio_denominator="van-ban-di",
            ),
            # The rates name "sở, ban, ngành", the counts "cấp tỉnh": compared as the same level.
            "p": Figure(
                "ky-so-ty-le-cap-tinh",
                "Tỷ lệ văn bản đi được ký số",
                "%",
                "sở, ban, ngành",
                ratio_group="p",
                ratio_numerator="van-ban-di-ky-so-cap-tinh",
                ratio_denominator="van-ban-di-cap-tinh",
            ),
            "d": Figure(
                "ky-so-ty-le-cap-huyen",
                "Tỷ lệ văn bản đi được ký số",
                "%",
                "UBND huyện, thành phố",
                ratio_group="d",
                ratio_numerator="van-ban-di-ky-so-cap-huyen",
                ratio_denominator="van-ban-di-cap-huyen",
            ),
            "c": Figure(
                "ky-so-ty-le-cap-xa",
                "Tỷ lệ văn bản đi được ký số",
                "%",
                "UBND xã, phường, thị trấn",
                ratio_group="c",
                ratio_numerator="van-ban-di-ky-so-cap-xa",
                ratio_denominator="van-ban-di-cap-xa",
            ),
        },
    ),
    Passage(
        "VI",
        r"Trung tâm Hạ tầng thông tin tỉnh .*?hiện có (?P<n>\d+) cán bộ kỹ thuật",
        {
            "n": Figure(
                "trung-tam-ha-tang-can-bo-ky-thuat",
                "Cán bộ kỹ thuật của Trung tâm Hạ tầng thông tin",
                "người",
                "Trung tâm Hạ tầng thông tin tỉnh",
            )
        },
    ),
    Passage(
        "VI",
        r"đã tổ chức (?P<classes>\d+) lớp đào tạo kiến thức cơ bản về an toàn, an ninh thông tin cho "
        r"(?P<trainees>\d+) học viên .*? nâng cao về an toàn, an ninh thông tin cho (?P<admins>\d+) "
        r"cán bộ là quản trị mạng",
        {
            "classes": Figure(
                "attt-lop-co-ban", "Lớp đào tạo cơ bản về an toàn, an ninh thông tin", "lớp", "toàn tỉnh"
            ),
            "trainees": Figure(
                "attt-hoc-vien-co-ban",
                "Học viên đào tạo cơ bản về an toàn, an ninh thông tin",
                "học viên",
                "toàn tỉnh",
            ),
            "admins": Figure(
                "attt-quan-tri-mang-nang-cao",
                "Quản trị mạng được đào tạo nâng cao về an toàn thông tin",
                "người",
                "sở, ban, ngành, huyện, thành phố",
            ),
        },
    ),
    Passage(
        "VII",
        r"Hiện tại có (?P<n>\d+) hệ thống thông tin đã được UBND tỉnh phê duyệt cấp độ an toàn cấp độ 3",
        {
            "n": Figure(
                "he-thong-cap-do-3", "Hệ thống thông tin được phê duyệt cấp độ 3", "hệ thống", "cấp tỉnh"
            )
        },
    ),
    Passage(
        "VII",
        rf"đã có (?P<depts>\d+) sở, ngành và (?P<districts>\d+) huyện, thành phố được trang bị .*?cho hơn "
        rf"(?P<endpoints>{_N}) máy chủ, máy trạm và thiết bị đầu cuối",
        {
            "depts": Figure(
                "phong-chong-ma-doc-so-nganh",
                "Sở, ngành được trang bị bảo đảm an toàn, an ninh mạng",
                "đơn vị",
                "sở, ngành",
            ),
            "districts": Figure(
                "phong-chong-ma-doc-huyen",
                "Huyện, thành phố được trang bị bảo đảm an toàn, an ninh mạng",
                "đơn vị",
                "huyện, thành phố",
            ),
            "endpoints": Figure(
                "phong-chong-ma-doc-thiet-bi",
                "Máy chủ, máy trạm, thiết bị đầu cuối cài phần mềm phòng, chống mã độc tập trung",
                "thiết bị",
                "sở, ban, ngành và UBND cấp huyện",
                qualifier="gt",
            ),
        },
    ),
    Passage(
        "VIII",
        rf"Tổng kinh phí dành cho ứng dụng CNTT của tỉnh Vĩnh Phúc năm 2021 là (?P<n>{_N}) triệu đồng",
        {"n": Figure("kinh-phi-cntt-2021", "Kinh phí ứng dụng CNTT năm 2021", AMOUNT_UNIT, "toàn tỉnh")},
    ),
)


# Number → the owner unit as the system's name spells it (only where the name contains one).
SYSTEM_OWNERS: dict[int, str] = {
    14: "Báo Vĩnh Phúc",
    21: "Trung tâm CNTT và Truyền thông",
    23: "trường Trung cấp Y",
    24: "Trung tâm đào tạo lao động xuất khẩu Sở Lao động, TB&XH",
    25: "Bệnh viện Sản nhi Vĩnh Phúc",
    26: "Bệnh viện Đa khoa tỉnh Vĩnh Phúc",
    27: "Hội Văn học nghệ thuật tỉnh Vĩnh Phúc",
    28: "Tỉnh đoàn",
    29: "Liên hiệp các tổ chức hữu nghị",
    30: "Văn phòng Đăng ký đất đai tỉnh Vĩnh Phúc",
    31: "Quỹ đầu tư phát triển và Bảo lãnh tín dụng tỉnh",
    32: "Liên minh Hợp tác xã tỉnh Vĩnh Phúc",
    38: "ngành Giáo dục và Đào tạo Vĩnh Phúc",
}
