"""Forms of the documents pages: they parse and type what people send; the services decide.

Rules (who may act, what a reason must hold, which recipients are valid) live in the services;
a form only turns the request into typed values, so a refused value is explained by the
service's own Vietnamese message, shown next to the field it names.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cqs.documents.choices import (
    BussinessDocType,
    Direction,
    FileRole,
    IncomingStatus,
    OutgoingState,
    Secrecy,
    Urgency,
)
from cqs.documents.numbering import document_types
from cqs.documents.services import RecipientSpec

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
# Thẩm quyền ký (Decree 30/2020 Appendix I §7): signing on behalf of, for, by delegation…
COMPETENCES = [
    ("", _("Ký trực tiếp")),
    ("TM.", _("TM. (thay mặt)")),
    ("KT.", _("KT. (ký thay)")),
    ("Q.", _("Q. (quyền)")),
    ("TL.", _("TL. (thừa lệnh)")),
    ("TUQ.", _("TUQ. (thừa ủy quyền)")),
]


def _date_field(label, **kwargs):
    return forms.DateField(
        label=label,
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        **kwargs,
    )


def _text_area(label, *, rows=2, required=False, max_length=4000, **kwargs):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        strip=True,
        widget=forms.Textarea(attrs={"rows": rows}),
        **kwargs,
    )


def type_choices():
    return [(kind.code, kind.name) for kind in document_types()]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (appendices); each one is checked by the services."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,application/pdf"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        one = super().clean
        items = data if isinstance(data, (list, tuple)) else [data]
        return [one(item, initial) for item in items if item]


def _pdf_input():
    return forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"})


def error_to_form(
    form: forms.Form, error, aliases: dict[str, str] | None = None, default: str | None = None
) -> None:
    """Show a ``ServiceError`` next to the field it names (``default`` when it names none, as
    the upload checks do), or above the form."""
    field = (aliases or {}).get(error.field or "", error.field or "") or default or ""
    form.add_error(field if field in form.fields else None, error.detail)


# --- new documents -----------------------------------------------------------------------------


class OutgoingDraftForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Đơn vị ban hành"), queryset=None, empty_label=None)
    type_code = forms.ChoiceField(label=_("Loại văn bản"), choices=())
    subject = _text_area(_("Trích yếu nội dung"), required=True, max_length=500)
    urgency = forms.TypedChoiceField(
        label=_("Độ khẩn"), coerce=int, choices=Urgency.choices, initial=Urgency.NORMAL
    )
    secrecy = forms.TypedChoiceField(label=_("Độ mật"), coerce=int, choices=Secrecy.choices, initial=0)
    due_date = _date_field(_("Hạn trả lời"))
    recipient_units = forms.ModelMultipleChoiceField(
        label=_("Nơi nhận trong nền tảng"),
        queryset=None,
        required=False,
        help_text=_("Giữ Ctrl (hoặc chạm lâu trên điện thoại) để chọn nhiều đơn vị."),
    )
    outside = _text_area(
        _("Nơi nhận ngoài nền tảng (qua trục liên thông)"),
        rows=3,
        help_text=_(
            "Mỗi dòng một cơ quan: mã định danh | tên cơ quan, ví dụ 000.00.00.H41 | UBND tỉnh Nghệ An."
        ),
    )
    to_places = _text_area(_("Nơi nhận ghi trên văn bản"), rows=3)
    drafting_abbr = forms.CharField(
        label=_("Viết tắt đơn vị soạn thảo"),
        max_length=20,
        required=False,
        help_text=_("Dùng trong ký hiệu công văn, ví dụ VP trong 05/UBND-VP."),
    )
    main_file = forms.FileField(
        label=_("Tệp dự thảo (PDF)"),
        required=False,
        widget=_pdf_input(),
        help_text=_("Có thể tải lên sau, trước khi trình ký."),
    )
    appendices = MultipleFileField(label=_("Phụ lục, tài liệu kèm theo (PDF)"))

    def __init__(self, *args, units=None, recipient_units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["recipient_units"].queryset = recipient_units
        self.fields["type_code"].choices = type_choices()

    def clean_outside(self) -> list[RecipientSpec]:
        specs = []
        for number, line in enumerate(self.cleaned_data.get("outside", "").splitlines(), start=1):
            if not line.strip():
                continue
            code, bar, name = line.partition("|")
            if not bar or not code.strip() or not name.strip():
                raise forms.ValidationError(
                    _("Dòng %(n)s: ghi theo dạng mã định danh | tên cơ quan."), params={"n": number}
                )
            specs.append(RecipientSpec(organ_id=code.strip(), organ_name=name.strip()))
        return specs

    def recipients(self) -> list[RecipientSpec]:
        units = [RecipientSpec(unit_id=unit.pk) for unit in self.cleaned_data["recipient_units"]]
        return units + self.cleaned_data["outside"]


class PaperIncomingForm(forms.Form):
    """A paper document received by the clerk: the metadata typed in, and the scan."""

    unit = forms.ModelChoiceField(label=_("Đơn vị nhận"), queryset=None, empty_label=None)
    type_code = forms.ChoiceField(label=_("Loại văn bản"), choices=())
    code_number = forms.CharField(label=_("Số văn bản"), max_length=11)
    code_notation = forms.CharField(label=_("Ký hiệu"), max_length=30, required=False)
    organ_name = forms.CharField(label=_("Cơ quan ban hành"), max_length=200)
    organ_id = forms.CharField(label=_("Mã định danh cơ quan ban hành"), max_length=13, required=False)
    issued_date = _date_field(_("Ngày ban hành"))
    subject = _text_area(_("Trích yếu nội dung"), required=True, max_length=500)
    signer_name = forms.CharField(label=_("Người ký"), max_length=100, required=False)
    urgency = forms.TypedChoiceField(label=_("Độ khẩn"), coerce=int, choices=Urgency.choices, initial=0)
    secrecy = forms.TypedChoiceField(label=_("Độ mật"), coerce=int, choices=Secrecy.choices, initial=0)
    due_date = _date_field(_("Hạn trả lời"))
    page_amount = forms.IntegerField(label=_("Số trang"), min_value=1, max_value=10000, initial=1)
    scan = forms.FileField(label=_("Bản quét văn bản (PDF)"), widget=_pdf_input())
    appendices = MultipleFileField(label=_("Phụ lục, tài liệu kèm theo (PDF)"))
    confirm_duplicate = forms.BooleanField(label=_("Xác nhận vào sổ dù trùng"), required=False)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["type_code"].choices = type_choices()

    def meta(self) -> dict:
        data = self.cleaned_data
        keys = (
            "type_code", "code_number", "code_notation", "organ_name", "organ_id", "issued_date",
            "subject", "signer_name", "urgency", "secrecy", "due_date", "page_amount",
        )  # fmt: skip
        return {key: data[key] for key in keys}


# --- search ------------------------------------------------------------------------------------


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Từ khóa"), max_length=200, required=False)
    type_code = forms.ChoiceField(label=_("Loại văn bản"), required=False, choices=())
    organ = forms.CharField(label=_("Cơ quan ban hành"), max_length=100, required=False)
    direction = forms.ChoiceField(
        label=_("Văn bản đến/đi"), required=False, choices=[("", _("Cả đến và đi")), *Direction.choices]
    )
    date_from = _date_field(_("Từ ngày"))
    date_to = _date_field(_("Đến ngày"))
    urgency = forms.TypedChoiceField(
        label=_("Độ khẩn"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Mọi độ khẩn")), *Urgency.choices],
    )
    status = forms.ChoiceField(label=_("Trạng thái"), required=False, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type_code"].choices = [("", _("Mọi loại")), *type_choices()]
        self.fields["status"].choices = [
            ("", _("Mọi trạng thái")),
            (_("Văn bản đi"), OutgoingState.choices),
            (_("Văn bản đến"), IncomingStatus.choices),
        ]

    def filters(self) -> dict:
        data = self.cleaned_data
        found = {
            "type_code": data.get("type_code") or "",
            "organ": (data.get("organ") or "").strip(),
            "direction": data.get("direction") or "",
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "urgency": data.get("urgency"),
            "status": data.get("status") or "",
        }
        return {key: value for key, value in found.items() if value not in (None, "")}


# --- actions on one document -------------------------------------------------------------------


class RegisterForm(forms.Form):
    handling_due_date = _date_field(_("Hạn xử lý"))
    confirm_duplicate = forms.BooleanField(label=_("Xác nhận vào sổ dù trùng"), required=False)


class ReasonForm(forms.Form):
    reason = _text_area(_("Lý do"))


class NoteForm(forms.Form):
    note = _text_area(_("Ý kiến"))


def _official_label(user) -> str:
    profile = getattr(user, "official_profile", None)
    position = getattr(profile, "position", "")
    return f"{user} — {position}" if position else str(user)


class OfficialChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return _official_label(obj)


class OfficialsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return _official_label(obj)


class AssignForm(forms.Form):
    lead = OfficialChoiceField(label=_("Người chủ trì xử lý"), queryset=None)
    co = OfficialsChoiceField(label=_("Người phối hợp"), queryset=None, required=False)
    info = OfficialsChoiceField(label=_("Người nhận để biết"), queryset=None, required=False)
    due_date = _date_field(_("Hạn xử lý"))
    instruction = _text_area(_("Ý kiến chỉ đạo"))

    def __init__(self, *args, handlers=None, readers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = handlers
        self.fields["co"].queryset = handlers
        self.fields["info"].queryset = readers


class FileForm(forms.Form):
    file = forms.FileField(label=_("Tệp (PDF)"), widget=_pdf_input())
    role = forms.ChoiceField(
        label=_("Loại tệp"),
        choices=[
            (FileRole.MAIN, _("Văn bản (thay bản dự thảo)")),
            (FileRole.APPENDIX, FileRole.APPENDIX.label),
        ],
        initial=FileRole.MAIN,
    )


class SubmitForm(forms.Form):
    signer = OfficialChoiceField(label=_("Trình ký"), queryset=None)
    note = _text_area(_("Ý kiến"))

    def __init__(self, *args, signers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["signer"].queryset = signers


class SignForm(forms.Form):
    competence = forms.ChoiceField(label=_("Thẩm quyền ký"), choices=COMPETENCES, required=False)


class EmptyForm(forms.Form):
    """An action that needs nothing but the button (and the CSRF token)."""


class SupersedeForm(forms.Form):
    kind = forms.TypedChoiceField(
        label=_("Nghiệp vụ"),
        coerce=int,
        choices=[
            (BussinessDocType.UPDATE, BussinessDocType.UPDATE.label),
            (BussinessDocType.REPLACE, BussinessDocType.REPLACE.label),
        ],
    )
    reason = _text_area(_("Lý do"))
