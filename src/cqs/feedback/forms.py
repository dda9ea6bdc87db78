"""Forms of the public side: filing a report, its extra questions, the lookup, the list filters,
more information and the satisfaction survey.

Forms only check shapes (a number is a number, a choice is in its list); every rule of the
domain (location inside the province, contact details, attributes, photos) is checked by the
services, whose ``ServiceError`` the view shows next to the field it names (``error_to_form``).
Widgets carry Bootstrap's classes and, when a field has errors, ``aria-invalid`` and
``aria-describedby`` pointing at the error text (the templates render it with that id).
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cqs.core.exceptions import ServiceError
from cqs.feedback.choices import Datatype, Status, Urgency
from cqs.feedback.models import Category, CategoryAttribute
from cqs.feedback.photos import PHOTO_MAX_BYTES, PHOTOS_MAX
from cqs.orgs.models import OrgUnit

COMMUNE_KIND = "xa"  # OrgUnitKind.code of communes and wards (xã, phường)
# A ServiceError's ``field`` (the service's name) → the form's field.
SERVICE_FIELDS = {"phone": "contact_phone", "email": "contact_email", "lon": "lat"}


def _filled(message, **values):
    """A lazy translation whose placeholders are filled when it is shown: ``lazy % dict`` in a class
    body would fix the text in the language active at import."""
    return lazy(lambda: message % values, str)()


def _style(form: forms.Form) -> None:
    errors = form._errors or {}  # never trigger validation from here
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs.setdefault("class", css)
        described = [f"{form.add_prefix(name)}-help"] if field.help_text else []
        if name in errors:
            if "is-invalid" not in widget.attrs["class"].split():
                widget.attrs["class"] += " is-invalid"
            widget.attrs["aria-invalid"] = "true"
            described.append(f"{form.add_prefix(name)}-errors")
        if described:
            widget.attrs["aria-describedby"] = " ".join(described)


class StyledForm(forms.Form):
    def full_clean(self):
        super().full_clean()
        _style(self)

    def add_error(self, field, error):
        super().add_error(field, error)
        _style(self)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


def error_to_form(form: forms.Form, error: ServiceError, *, extra: forms.Form | None = None) -> None:
    """Put ``error`` on the field it names (in ``form`` or ``extra``), else on the form."""
    field = SERVICE_FIELDS.get(error.field or "", error.field or "")
    if error.error_code.startswith("upload_"):
        field = "photos"  # a photo refused by the upload check
    if field.startswith("attribute[") and extra is not None:
        for item in getattr(error, "attribute_errors", None) or [
            {"code": field[10:-1], "message": error.detail}
        ]:
            name = AttributesForm.field_name(item["code"])
            extra.add_error(name if name in extra.fields else None, item["message"])
        return
    form.add_error(field if field in form.fields else None, error.detail)


def category_choices(categories: list[Category]) -> list:
    """Leaves grouped under their parent's name (an ``<optgroup>`` each); top-level leaves first."""
    loose, groups = [], {}
    for category in categories:
        if category.parent_id is None:
            loose.append((category.code, category.name))
        else:
            groups.setdefault(category.parent.name, []).append((category.code, category.name))
    return [("", _("— Chọn lĩnh vực —")), *loose, *groups.items()]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ReportForm(StyledForm):
    category = forms.ChoiceField(label=_("Lĩnh vực phản ánh"))
    title = forms.CharField(
        label=_("Tiêu đề"),
        max_length=200,
        required=False,
        help_text=_("Ngắn gọn, ví dụ: Ổ gà trước số 12 đường Nguyễn Tất Thành."),
    )
    description = forms.CharField(
        label=_("Nội dung phản ánh"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 4000}),
        help_text=_("Mô tả sự việc, thời gian, mức độ ảnh hưởng (tối đa 4.000 ký tự)."),
    )
    lat = forms.FloatField(label=_("Vĩ độ"), required=False, widget=forms.HiddenInput)
    lon = forms.FloatField(label=_("Kinh độ"), required=False, widget=forms.HiddenInput)
    address = forms.CharField(
        label=_("Địa chỉ, địa điểm"),
        max_length=300,
        required=False,
        help_text=_("Số nhà, tên đường, thôn, tổ dân phố hoặc mốc dễ nhận biết."),
    )
    area = forms.ModelChoiceField(
        label=_("Xã, phường nơi xảy ra"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("— Chọn xã, phường —"),
    )
    photos = forms.FileField(
        label=_("Ảnh chụp"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png", "multiple": True}),
        help_text=_filled(
            _(
                "Tối đa %(count)s ảnh JPEG hoặc PNG, mỗi ảnh không quá %(mb)s MB; ảnh được thu nhỏ và "
                "xóa thông tin vị trí trong tệp."
            ),
            count=PHOTOS_MAX,
            mb=PHOTO_MAX_BYTES // (1024 * 1024),
        ),
    )
    urgency = forms.ChoiceField(
        label=pgettext_lazy("feedback urgency", "Mức độ"),
        choices=[(Urgency.NORMAL, Urgency.NORMAL.label), (Urgency.URGENT, Urgency.URGENT.label)],
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect,
        help_text=_("Khẩn cấp: nguy hiểm trước mắt đến người, tài sản (ví dụ dây điện đứt, cây đổ)."),
    )
    anonymous = forms.BooleanField(
        label=_("Gửi ẩn danh (không để lại thông tin liên hệ)"),
        required=False,
        help_text=_("Khi ẩn danh, ông/bà chỉ theo dõi được kết quả bằng mã phản ánh và đường dẫn riêng."),
    )
    contact_name = forms.CharField(
        label=_("Họ và tên"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_phone = forms.CharField(
        label=_("Số điện thoại"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    contact_email = forms.CharField(
        label=_("Thư điện tử"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    client_token = forms.CharField(max_length=80, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, categories: list[Category], **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = {c.code: c for c in categories}
        self.fields["category"].choices = category_choices(categories)
        self.fields["area"].queryset = (
            OrgUnit.objects.as_of(timezone.localdate()).filter(kind__code=COMMUNE_KIND).order_by("name")
        )
        self.fields["description"].widget.attrs["maxlength"] = 4000

    def clean(self):
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lon") is None):
            data["lat"] = data["lon"] = None  # a half pin is no pin; the address may still do
        return data

    def chosen_category(self) -> Category | None:
        code = self.data.get("category") if self.is_bound else self.initial.get("category")
        return self.categories.get(code or "")


class AttributesForm(StyledForm):
    """The extra questions of one category (Open311 attributes), one field each."""

    PREFIX = "attr-"

    @classmethod
    def field_name(cls, code: str) -> str:
        return f"{cls.PREFIX}{code}"

    def __init__(self, *args, category: Category | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.category = category
        attributes = category.attributes.filter(variable=True).order_by("order", "pk") if category else []
        for attribute in attributes:
            self.fields[self.field_name(attribute.code)] = self._field(attribute)
        _style(self)

    @staticmethod
    def _field(attribute: CategoryAttribute) -> forms.Field:
        common = {
            "label": attribute.description,
            "required": attribute.required,
            "help_text": attribute.datatype_description,
        }
        choices = [
            (v.get("key"), v.get("name") or v.get("key"))
            for v in attribute.values or []
            if isinstance(v, dict)
        ]
        kind = attribute.datatype
        if kind == Datatype.SINGLE:
            return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
        if kind == Datatype.MULTI:
            return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
        if kind == Datatype.NUMBER:
            # The service reads "1,5" and "1.5" alike: keep a text box with a numeric keyboard.
            return forms.CharField(
                max_length=40, widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common
            )
        if kind == Datatype.DATETIME:
            return forms.CharField(
                max_length=40, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), **common
            )
        if kind == Datatype.TEXT:
            return forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 3}), **common)
        return forms.CharField(max_length=200, **common)

    def answers(self) -> dict:
        """``{code: value}`` for ``attributes_clean`` (which checks them against the category)."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return {
            name.removeprefix(self.PREFIX): value
            for name, value in data.items()
            if name.startswith(self.PREFIX) and value not in (None, "", [])
        }


class LookupForm(StyledForm):
    code = forms.CharField(
        label=_("Mã phản ánh"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "placeholder": "PA…"}
        ),
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split()).upper()


class PublicFilterForm(StyledForm):
    category = forms.ChoiceField(label=pgettext_lazy("feedback category", "Lĩnh vực"), required=False)
    status = forms.ChoiceField(
        label=pgettext_lazy("feedback status", "Tình trạng"),
        required=False,
        choices=[
            ("", _("Tất cả")),
            ("open", pgettext_lazy("feedback status", "Đang xử lý")),
            ("closed", _("Đã xử lý xong")),
        ],
    )
    q = forms.CharField(label=_("Tìm theo tiêu đề"), max_length=100, required=False)

    def __init__(self, *args, categories: list[Category], **kwargs):
        super().__init__(*args, **kwargs)
        groups = {c.parent for c in categories if c.parent_id is not None}
        options = sorted(groups, key=lambda c: (c.order, c.name)) + list(categories)
        self.fields["category"].choices = [("", _("Tất cả lĩnh vực")), *[(c.code, c.name) for c in options]]


class ProvideInfoForm(StyledForm):
    note = forms.CharField(
        label=_("Thông tin bổ sung"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 4000}),
    )
    photos = forms.FileField(
        label=_("Thêm ảnh (không bắt buộc)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png", "multiple": True}),
        help_text=_filled(_("Tối đa %(count)s ảnh JPEG hoặc PNG."), count=PHOTOS_MAX),
    )


RATING_CHOICES = [
    (5, _("5 – Rất hài lòng")),
    (4, _("4 – Hài lòng")),
    (3, _("3 – Bình thường")),
    (2, _("2 – Chưa hài lòng")),
    (1, _("1 – Rất không hài lòng")),
]


class SurveyForm(StyledForm):
    rating = forms.TypedChoiceField(
        label=_("Mức độ hài lòng với câu trả lời"),
        coerce=int,
        choices=RATING_CHOICES,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Ý kiến của ông/bà"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reopen = forms.BooleanField(
        label=_("Đề nghị xử lý lại"),
        required=False,
        help_text=_("Chỉ chọn khi chưa hài lòng (từ 1 đến 3 sao)."),
    )


SURVEY_STATUSES = (Status.ANSWERED, Status.PUBLISHED, Status.CLOSED)
