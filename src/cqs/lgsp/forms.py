"""Forms of the LGSP pages: they parse and type what people send; the services decide.

Rules that are law (a refusal cites its legal basis, a service names its legal basis) are checked
by the services, not here, so that the page, the API and the command line refuse alike; the forms
leave those fields optional and show the service's message on the field it names.
"""

from __future__ import annotations

import json
import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from cqs.lgsp.choices import CredentialKind, DataClassification, RequestStatus, ServiceKind
from cqs.lgsp.models import HTTP_METHODS, Endpoint, Subsystem

# An OpenAPI document larger than this is almost certainly not one (the metaservice serves it).
OPENAPI_MAX_BYTES = 2 * 1024 * 1024
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def _text(label, *, required=False, max_length=500, rows=None, help_text=""):
    widget = (
        forms.Textarea(attrs={"rows": rows, "class": "form-control"})
        if rows
        else forms.TextInput(attrs={"class": "form-control"})
    )
    return forms.CharField(
        label=label, required=required, max_length=max_length, widget=widget, help_text=help_text
    )


def _number(label, *, required=False, min_value=1, help_text=""):
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=min_value,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )


def _select(label, choices, *, required=True):
    return forms.ChoiceField(
        label=label, choices=choices, required=required, widget=forms.Select(attrs={"class": "form-select"})
    )


class SubsystemChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Subsystem) -> str:
        return f"{obj.name} ({obj.xroad_id})"


class EndpointChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Endpoint) -> str:
        return f"{obj.method} {obj.path}" + (f" — {obj.description}" if obj.description else "")


# --- provider: services and endpoints ---------------------------------------------------------


class ServiceForm(forms.Form):
    """A service's fields. ``subsystems`` (the provider systems the person may add services to) and
    the code are asked only when the service is created; they name it for good."""

    subsystem = SubsystemChoice(
        label=_("Hệ thống cung cấp"),
        queryset=Subsystem.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    code = forms.CharField(
        label=_("Mã dịch vụ"),
        max_length=64,
        help_text=_(
            "Chữ cái không dấu, chữ số, dấu chấm, gạch dưới, gạch ngang; không đổi được sau khi tạo."
        ),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    name = _text(_("Tên dịch vụ"), required=True)
    version = forms.CharField(
        label=_("Phiên bản"),
        max_length=20,
        initial="1.0",
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    description = _text(_("Mô tả"), max_length=5000, rows=3)
    kind = _select(_("Kiểu"), ServiceKind.choices)
    upstream_url = forms.CharField(
        label=_("Địa chỉ dịch vụ (endpoint)"),
        max_length=500,
        help_text=_(
            "Địa chỉ nội bộ mà cổng kết nối chuyển tiếp yêu cầu tới, ví dụ http://10.0.0.5:8080/api."
        ),
        widget=forms.URLInput(attrs={"class": "form-control", "inputmode": "url"}),
    )
    legal_basis = _text(
        _("Căn cứ pháp lý"), help_text=_("Văn bản cho phép chia sẻ dữ liệu này (Nghị định 47/2020/NĐ-CP).")
    )
    data_classification = _select(_("Phân loại dữ liệu"), DataClassification.choices)
    contact_name = _text(_("Người liên hệ"), max_length=200)
    contact_email = forms.EmailField(
        label=_("Thư điện tử liên hệ"),
        required=False,
        widget=forms.EmailInput(attrs={"class": "form-control"}),
    )
    contact_phone = _text(_("Điện thoại liên hệ"), max_length=20)
    timeout_ms = _number(_("Thời gian chờ tối đa (ms)"), required=True, min_value=100)
    default_rate_per_minute = _number(_("Giới hạn mặc định (yêu cầu/phút)"), required=True)
    openapi_file = forms.FileField(
        label=_("Tài liệu OpenAPI (tệp JSON)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".json,application/json"}),
    )
    openapi_text = forms.CharField(
        label=_("hoặc dán tài liệu OpenAPI (JSON)"),
        required=False,
        max_length=OPENAPI_MAX_BYTES,
        widget=forms.Textarea(
            attrs={"rows": 6, "class": "form-control font-monospace", "spellcheck": "false"}
        ),
    )
    openapi_clear = forms.BooleanField(
        label=_("Xóa tài liệu OpenAPI hiện có"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, subsystems=None, creating: bool = True, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("timeout_ms", 10_000)
        kwargs["initial"].setdefault("default_rate_per_minute", 600)
        super().__init__(*args, **kwargs)
        self.creating = creating
        if creating:
            self.fields["subsystem"].queryset = (
                subsystems if subsystems is not None else Subsystem.objects.none()
            )
            del self.fields["openapi_clear"]
        else:
            del self.fields["subsystem"]
            del self.fields["code"]

    def clean_openapi_file(self):
        upload = self.cleaned_data.get("openapi_file")
        if not upload:
            return None
        if upload.size > OPENAPI_MAX_BYTES:
            raise forms.ValidationError(_("Tệp OpenAPI lớn quá 2 MB."), code="too_large")
        return _openapi_parse(upload.read())

    def clean_openapi_text(self):
        text = (self.cleaned_data.get("openapi_text") or "").strip()
        return _openapi_parse(text.encode()) if text else None

    def clean(self):
        data = super().clean()
        if data.get("openapi_file") is not None and data.get("openapi_text") is not None:
            self.add_error("openapi_text", _("Chọn tệp hoặc dán nội dung, không cả hai."))
        return data

    def openapi(self):
        """The document sent (a dict), ``False`` to clear it, or None to leave it as it is."""
        document = self.cleaned_data.get("openapi_file") or self.cleaned_data.get("openapi_text")
        if document is not None:
            return document
        if self.cleaned_data.get("openapi_clear"):
            return False
        return None

    def service_fields(self) -> dict:
        names = (
            "name",
            "version",
            "description",
            "kind",
            "upstream_url",
            "legal_basis",
            "data_classification",
            "contact_name",
            "contact_email",
            "contact_phone",
            "timeout_ms",
            "default_rate_per_minute",
        )
        return {name: self.cleaned_data[name] for name in names}


def _openapi_parse(raw: bytes) -> dict:
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise forms.ValidationError(
            _("Tài liệu OpenAPI không phải JSON hợp lệ: %(error)s"),
            code="invalid_json",
            params={"error": exc},
        ) from exc
    if not isinstance(document, dict) or not ({"openapi", "swagger"} & document.keys()):
        raise forms.ValidationError(
            _("Tài liệu OpenAPI phải là một đối tượng JSON có khóa openapi."), code="invalid_openapi"
        )
    if not isinstance(document.get("paths", {}), dict):
        raise forms.ValidationError(
            _("Khóa paths của tài liệu OpenAPI phải là một đối tượng."), code="invalid_openapi"
        )
    return document


class EndpointForm(forms.Form):
    method = _select(_("Phương thức"), [(m, m) for m in HTTP_METHODS])
    path = forms.CharField(
        label=_("Đường dẫn"),
        max_length=255,
        initial="/",
        widget=forms.TextInput(attrs={"class": "form-control font-monospace", "autocomplete": "off"}),
    )
    description = _text(_("Mô tả"))


# --- provider: answering a connection request -------------------------------------------------


class ApproveForm(forms.Form):
    legal_basis = _text(_("Căn cứ chấp thuận"))
    rate_per_minute = _number(
        _("Giới hạn (yêu cầu/phút)"), help_text=_("Để trống: theo đề nghị hoặc mặc định.")
    )
    daily_quota = _number(_("Hạn mức (yêu cầu/ngày)"), help_text=_("Để trống: không giới hạn theo ngày."))
    note = _text(_("Ghi chú"), max_length=2000, rows=2)


class RefuseForm(forms.Form):
    legal_basis = _text(_("Căn cứ từ chối"), help_text=_("Bắt buộc (Nghị định 194/2025/NĐ-CP, Điều 16)."))
    reason = _text(_("Lý do từ chối"), max_length=2000, rows=3)


class RevokeGrantForm(forms.Form):
    reason = _text(_("Lý do thu hồi"))


# --- consumer ---------------------------------------------------------------------------------


class ConnectionRequestForm(forms.Form):
    client = SubsystemChoice(
        label=_("Hệ thống đề nghị"),
        queryset=Subsystem.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    endpoints = EndpointChoices(
        label=_("Điểm cuối"),
        queryset=Endpoint.objects.none(),
        required=False,
        help_text=_("Không chọn: đề nghị toàn bộ dịch vụ."),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    purpose = _text(_("Mục đích khai thác"), max_length=5000, rows=3)
    legal_basis = _text(_("Căn cứ đề nghị"))
    rate_per_minute = _number(_("Lưu lượng đề nghị (yêu cầu/phút)"))

    def __init__(self, *args, clients, service, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients
        self.fields["endpoints"].queryset = service.endpoints.all()


def _one_time_token() -> str:
    return secrets.token_urlsafe(16)


class CredentialForm(forms.Form):
    # Rendered once per page: posting the same form again (a reload, a double click) is refused
    # instead of issuing a second credential whose secret nobody saw.
    token = forms.CharField(widget=forms.HiddenInput, max_length=64, initial=_one_time_token)
    kind = forms.ChoiceField(
        label=_("Loại"),
        choices=CredentialKind.choices,
        initial=CredentialKind.API_KEY,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    label = _text(_("Tên gợi nhớ"), max_length=200)
    expires_on = forms.DateField(
        label=_("Hết hạn từ ngày"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"class": "form-control", "type": "date"}, format="%Y-%m-%d"),
    )


# --- filters ----------------------------------------------------------------------------------

DEADLINE_CHOICES = [
    ("", _("Tất cả")),
    ("overdue", _("Quá hạn")),
    ("today", _("Hết hạn hôm nay")),
    ("open", _("Còn hạn")),
]


class RequestFilterForm(forms.Form):
    status = _select(_("Trạng thái"), [("", _("Tất cả")), *RequestStatus.choices], required=False)
    deadline = _select(_("Hạn trả lời"), DEADLINE_CHOICES, required=False)
    q = forms.CharField(
        label=_("Tìm"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class UsageFilterForm(forms.Form):
    start = forms.DateField(
        label=_("Từ ngày"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(
            attrs={"class": "form-control form-control-sm", "type": "date"}, format="%Y-%m-%d"
        ),
    )
    end = forms.DateField(
        label=_("Đến ngày"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(
            attrs={"class": "form-control form-control-sm", "type": "date"}, format="%Y-%m-%d"
        ),
    )
    service = forms.CharField(
        label=_("Dịch vụ"),
        required=False,
        max_length=400,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
    client = forms.CharField(
        label=_("Bên khai thác"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("Ngày kết thúc phải sau ngày bắt đầu."))
        return data


class EvidenceSearchForm(forms.Form):
    request_id = forms.CharField(
        label=_("Mã yêu cầu (X-Road-Id)"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"class": "form-control font-monospace", "autocomplete": "off"}),
    )
