"""Value lists of the LGSP (Decree 47/2020 as amended by Decree 194/2025; X-Road names where it has one)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class MemberClass(models.TextChoices):
    """X-Road member class: what kind of legal person a member is."""

    GOV = "GOV", _("Cơ quan nhà nước")
    COM = "COM", _("Doanh nghiệp")
    NGO = "NGO", _("Tổ chức khác")


class ServiceKind(models.TextChoices):
    REST = "REST", _("REST (mô tả bằng OpenAPI)")
    SOAP = "SOAP", _("SOAP (mô tả bằng WSDL)")


class DataClassification(models.TextChoices):
    """How widely the data a service returns may be shared (Decree 47/2020, Art. 12; Data Law 2024)."""

    OPEN = "open", _("Dữ liệu mở")
    SHARED = "shared", _("Dữ liệu dùng chung")
    PERSONAL = "personal", _("Có dữ liệu cá nhân")
    RESTRICTED = "restricted", _("Dữ liệu hạn chế chia sẻ")


class ServiceStatus(models.TextChoices):
    DRAFT = "draft", _("Đang soạn")
    PUBLISHED = "published", _("Đang cung cấp")
    RETIRED = "retired", pgettext_lazy("service", "Ngừng cung cấp")


class RequestStatus(models.TextChoices):
    """A connection request (đề nghị kết nối): answered within 2 working days (Decree 194/2025)."""

    PENDING = "pending", _("Chờ xử lý")
    APPROVED = "approved", _("Đã chấp thuận")
    REFUSED = "refused", pgettext_lazy("connection request", "Từ chối")
    WITHDRAWN = "withdrawn", _("Đã rút")


class CredentialKind(models.TextChoices):
    API_KEY = "api_key", _("Khóa API")
    OAUTH_CLIENT = "oauth_client", _("Ứng dụng OAuth2 (client credentials)")


class CodeListKind(models.TextChoices):
    """Decree 47/2020, Art. 9: shared code lists and master data."""

    CODE_LIST = "code_list", _("Danh mục dùng chung")
    MASTER_DATA = "master_data", _("Dữ liệu chủ")


class Engine(models.TextChoices):
    BUILTIN = "builtin", _("Bộ chuyển tiếp tích hợp (Python)")
    HAPROXY = "haproxy", _("HAProxy")


class GenerationStatus(models.TextChoices):
    VALIDATED = "validated", _("Đã kiểm tra")
    ACTIVE = "active", _("Đang chạy")
    REPLACED = "replaced", _("Đã thay thế")
    FAILED = "failed", _("Lỗi, không áp dụng")
    ROLLED_BACK = "rolled_back", _("Đã quay lại bản trước")
