"""Forms of the reporting pages: they parse and type what people send; the services decide.

The data-entry form is built from the regime version: one field per cell, named by its cell key
(``INDICATOR.OPTION_COMBO``), so the page, the Excel template and the API name a cell alike.
Values are kept as typed: ``values.value_parse`` (in the service) is the one that checks them.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cqs.reporting.choices import NUMERIC_TYPES, ValueType

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
BOOLEAN_CHOICES = [("", "—"), ("true", _("Có")), ("false", _("Không"))]


class TypedText(forms.CharField):
    """Text as the browser sent it, with the line ends a textarea posts (CRLF) made LF, so that a
    field left as it was is seen as unchanged."""

    def to_python(self, value):
        text = super().to_python(value)
        return text.replace("\r\n", "\n").replace("\r", "\n")


def cell_widget(value_type: str) -> forms.Widget:
    # Numbers are text inputs with a numeric keyboard: a Vietnamese decimal comma ("12,5"), which
    # <input type="number"> refuses, is accepted by the service.
    if value_type in NUMERIC_TYPES:
        mode = "decimal" if value_type in (ValueType.NUMBER, ValueType.PERCENTAGE) else "numeric"
        return forms.TextInput(
            attrs={"inputmode": mode, "class": "form-control text-end", "autocomplete": "off"}
        )
    if value_type == ValueType.BOOLEAN:
        return forms.Select(choices=BOOLEAN_CHOICES, attrs={"class": "form-select"})
    if value_type == ValueType.LONG_TEXT:
        return forms.Textarea(attrs={"rows": 3, "class": "form-control"})
    return forms.TextInput(attrs={"class": "form-control", "maxlength": 230})


class ReportEntryForm(forms.Form):
    """One field per cell of the version's form (``cells``: key → (indicator, option combo)),
    plus the text part. ``initial`` holds the stored values, so ``changed_data`` names the cells
    the person changed: only those are saved, and a value filled from the platform or a file
    keeps its source when the form is saved around it."""

    outline_text = TypedText(
        label=_("Phần thuyết minh"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "class": "form-control"}),
    )

    def __init__(self, *args, cells: dict, **kwargs):
        kwargs.setdefault("auto_id", "cell-%s")
        super().__init__(*args, **kwargs)
        self.fields["outline_text"].widget.attrs["id"] = "outline_text"
        for key, (indicator, option) in cells.items():
            label = indicator.name if option.code == "default" else f"{indicator.name} — {option.name}"
            self.fields[key] = TypedText(
                label=label, required=False, widget=cell_widget(indicator.value_type)
            )

    def changed_values(self) -> dict[str, str]:
        return {key: self.cleaned_data[key] for key in self.changed_data if key != "outline_text"}

    def changed_outline(self) -> str | None:
        return self.cleaned_data["outline_text"] if "outline_text" in self.changed_data else None


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do trả lại"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


class LockExceptionForm(forms.Form):
    until = forms.DateField(
        label=_("Mở khóa đến hết ngày"),
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )
    reason = forms.CharField(
        label=_("Lý do mở khóa"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class XlsxUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp Excel đã điền số liệu"),
        widget=forms.ClearableFileInput(
            attrs={
                "class": "form-control",
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        ),
    )


class OpenReportForm(forms.Form):
    """Open (or create) a unit's report for a regime and period: the services check all three."""

    regime = forms.CharField(max_length=50)
    unit = forms.IntegerField(min_value=1)
    period = forms.CharField(max_length=20)


def error_to_form(form: forms.Form, error, default: str | None = None) -> None:
    """Show a ``ServiceError`` next to the field it names, or above the form."""
    name = error.field or default or ""
    form.add_error(name if name in form.fields else None, error.detail)
