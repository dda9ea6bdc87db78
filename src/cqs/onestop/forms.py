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
