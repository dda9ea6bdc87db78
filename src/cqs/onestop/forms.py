"""Query parameters of the catalogue (page and API share them): validated, never trusted."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cqs.onestop.choices import Level, OnlineLevel


class ProcedureFilterForm(forms.Form):
    q = forms.CharField(label=_("Tìm theo tên hoặc mã"), max_length=100, required=False)
    sector = forms.CharField(label=_("Lĩnh vực"), max_length=40, required=False)
    level = forms.ChoiceField(
        label=_("Cấp thực hiện"), choices=[("", _("Mọi cấp")), *Level.choices], required=False
    )
    unit = forms.IntegerField(label=_("Cơ quan thực hiện"), min_value=1, required=False)
    online_level = forms.ChoiceField(
        label=_("Mức độ trực tuyến"), choices=[("", _("Mọi mức độ")), *OnlineLevel.choices], required=False
    )
    as_of = forms.DateField(
        label=_("Áp dụng vào ngày"), required=False, input_formats=["%Y-%m-%d", "%d/%m/%Y"]
    )

    def filters(self) -> dict:
        data = self.cleaned_data
        return {
            "sector": data.get("sector") or "",
            "level": data.get("level") or "",
            "unit_id": data.get("unit"),
            "online_level": data.get("online_level") or "",
            "q": (data.get("q") or "").strip(),
        }


class LookupForm(forms.Form):
    ma = forms.CharField(label=_("Mã hồ sơ"), max_length=40)
    so = forms.CharField(
        label=_("4 số cuối điện thoại hoặc căn cước"),
        min_length=4,
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]{4}"}),
    )


class FilingForm(forms.Form):
    """What a citizen chooses besides the declaration: the agency and how to get the result."""

    unit = forms.ModelChoiceField(label=_("Nơi nộp hồ sơ"), queryset=None, empty_label=None)
    return_method = forms.ChoiceField(label=_("Hình thức nhận kết quả"), choices=())
    postal_address = forms.CharField(
        label=_("Địa chỉ nhận kết quả qua bưu chính"), max_length=300, required=False
    )

    def __init__(self, *args, units=None, **kwargs):
        from cqs.onestop.choices import ReturnMethod

        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["return_method"].choices = ReturnMethod.choices


class IntakeForm(forms.Form):
    """Counter or postal intake by a one-stop officer (the applicant's details)."""

    channel = forms.TypedChoiceField(label=_("Hình thức nộp"), coerce=int, choices=())
    applicant_kind = forms.TypedChoiceField(label=_("Loại đối tượng"), coerce=int, choices=())
    name = forms.CharField(label=_("Họ và tên chủ hồ sơ"), max_length=200)
    cccd = forms.CharField(label=_("Số căn cước"), max_length=12, required=False)
    phone = forms.CharField(label=_("Số điện thoại"), max_length=15, required=False)
    email = forms.EmailField(label=_("Thư điện tử"), required=False)
    address = forms.CharField(label=_("Địa chỉ"), max_length=300, required=False)
    return_method = forms.ChoiceField(label=_("Hình thức nhận kết quả"), choices=())
    postal_address = forms.CharField(
        label=_("Địa chỉ nhận kết quả qua bưu chính"), max_length=300, required=False
    )

    def __init__(self, *args, **kwargs):
        from cqs.onestop.choices import ApplicantKind, Channel, ReturnMethod

        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [(c.value, c.label) for c in (Channel.IN_PERSON, Channel.POSTAL)]
        self.fields["applicant_kind"].choices = ApplicantKind.choices
        self.fields["return_method"].choices = ReturnMethod.choices


class RatingForm(forms.Form):
    def __init__(self, *args, **kwargs):
        from cqs.onestop.choices import RATING_CRITERIA, RatingLevel

        super().__init__(*args, **kwargs)
        for code, label in RATING_CRITERIA:
            self.fields[code] = forms.TypedChoiceField(
                label=label, coerce=int, choices=RatingLevel.choices, widget=forms.RadioSelect
            )
        self.fields["comment"] = forms.CharField(
            label=_("Góp ý thêm"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
        )
