"""Online declaration forms (tờ khai điện tử) defined as data.

Each procedure version carries a list of field specifications in ``ProcedureVersion.form_fields``;
a form is built from it at run time, so a new or changed declaration needs no code. A field spec:

    {"name": "ho_ten_tre", "label": "Họ, chữ đệm, tên người được khai sinh", "type": "text",
     "required": true, "max_length": 100, "help": "…", "choices": ["Nam", "Nữ"]}

``type`` is one of ``FIELD_TYPES``. A version without fields gets ``DEFAULT_FIELDS`` (one free-text
request). ``form_fields_clean`` validates specifications when a version is published;
``form_data_clean`` validates what a citizen typed and returns JSON-safe values.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext as _

from cqs.accounts.validators import validate_cccd, validate_phone
from cqs.core.exceptions import ServiceError

FIELD_TYPES = ("text", "textarea", "date", "integer", "select", "cccd", "phone", "email", "checkbox")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
DEFAULT_FIELDS = [
    {
        "name": "noi_dung",
        "label": "Nội dung đề nghị",
        "type": "textarea",
        "required": True,
        "max_length": 4000,
    }
]


def _spec_error(index: int, message: str) -> ServiceError:
    path = f"form_fields[{index}]"
    return ServiceError("invalid_form_field", f"{path}: {message}", field=path)


def form_fields_clean(fields: Any) -> list[dict]:
    """Validate field specifications; return them normalised. Raises ``ServiceError``."""
    if fields in (None, ""):
        return []
    if not isinstance(fields, list):
        raise ServiceError(
            "invalid_form_field", _("Danh sách trường tờ khai phải là một mảng."), field="form_fields"
        )
    clean: list[dict] = []
    names: set[str] = set()
    for index, spec in enumerate(fields):
        if not isinstance(spec, dict):
            raise _spec_error(index, _("mỗi trường phải là một đối tượng."))
        name = spec.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise _spec_error(index, _("tên trường chỉ gồm chữ thường không dấu, số và dấu gạch dưới."))
        if name in names:
            raise _spec_error(index, _("tên trường “%(name)s” bị trùng.") % {"name": name})
        names.add(name)
        label = spec.get("label")
        if not isinstance(label, str) or not label.strip():
            raise _spec_error(index, _("thiếu nhãn của trường."))
        kind = spec.get("type", "text")
        if kind not in FIELD_TYPES:
            raise _spec_error(
                index, _("kiểu trường “%(type)s” không được hỗ trợ.") % {"type": str(kind)[:20]}
            )
        item = {
            "name": name,
            "label": label.strip(),
            "type": kind,
            "required": bool(spec.get("required", False)),
        }
        if kind in ("text", "textarea"):
            max_length = spec.get("max_length", 500 if kind == "text" else 4000)
            if (
                isinstance(max_length, bool)
                or not isinstance(max_length, int)
                or not 1 <= max_length <= 10000
            ):
                raise _spec_error(index, _("độ dài tối đa phải từ 1 đến 10000."))
            item["max_length"] = max_length
        if kind == "select":
            choices = spec.get("choices")
            if (
                not isinstance(choices, list)
                or not choices
                or not all(isinstance(c, str) and c for c in choices)
            ):
                raise _spec_error(index, _("trường chọn phải có danh sách lựa chọn."))
            item["choices"] = choices
        if isinstance(spec.get("help"), str) and spec["help"].strip():
            item["help"] = spec["help"].strip()
        clean.append(item)
    return clean


def effective_fields(version) -> list[dict]:
    return list(version.form_fields) or DEFAULT_FIELDS


def _form_field(spec: dict) -> forms.Field:
    common = {"label": spec["label"], "required": spec["required"], "help_text": spec.get("help", "")}
    kind = spec["type"]
    if kind == "text":
        return forms.CharField(max_length=spec["max_length"], **common)
    if kind == "textarea":
        return forms.CharField(
            max_length=spec["max_length"], widget=forms.Textarea(attrs={"rows": 4}), **common
        )
    if kind == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == "integer":
        return forms.IntegerField(min_value=0, max_value=10**12, **common)
    if kind == "select":
        choices = [("", "—")] + [(choice, choice) for choice in spec["choices"]]
        return forms.ChoiceField(choices=choices, **common)
    if kind == "cccd":
        return forms.CharField(
            max_length=12,
            validators=[validate_cccd],
            widget=forms.TextInput(attrs={"inputmode": "numeric"}),
            **common,
        )
    if kind == "phone":
        return forms.CharField(
            max_length=15,
            validators=[validate_phone],
            widget=forms.TextInput(attrs={"inputmode": "tel"}),
            **common,
        )
    if kind == "email":
        return forms.EmailField(**common)
    return forms.BooleanField(**common)


def declaration_form(version, *, data=None, initial=None, prefix="tk") -> forms.Form:
    """A Django form for the declaration of ``version`` (for the pages)."""
    form = forms.Form(data=data, initial=initial, prefix=prefix)
    for spec in effective_fields(version):
        form.fields[spec["name"]] = _form_field(spec)
    return form


def form_data_clean(version, data: Any, *, partial: bool = False) -> dict:
    """Validate a declaration given as a mapping of field name to value; return JSON-safe values.

    ``partial`` (a draft) skips the required check. Unknown names are refused, so that nothing
    the citizen did not see is stored. Raises ``ServiceError`` naming the first bad field."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ServiceError("invalid_form_data", _("Nội dung tờ khai không hợp lệ."), field="form_data")
    specs = {spec["name"]: spec for spec in effective_fields(version)}
    unknown = sorted(set(data) - set(specs))
    if unknown:
        raise ServiceError(
            "unknown_form_field",
            _("Tờ khai không có trường “%(name)s”.") % {"name": unknown[0][:50]},
            field=f"form_data.{unknown[0][:50]}",
        )
    clean: dict[str, Any] = {}
    for name, spec in specs.items():
        field = _form_field(spec)
        value = data.get(name)
        if partial:
            field.required = False
        if isinstance(value, (dict, list)):
            raise ServiceError(
                "invalid_form_data",
                _("%(label)s: giá trị không hợp lệ.") % {"label": spec["label"]},
                field=f"form_data.{name}",
            )
        try:
            value = field.clean(field.to_python(value) if spec["type"] == "checkbox" else value)
        except forms.ValidationError as error:
            raise ServiceError(
                "invalid_form_data",
                f"{spec['label']}: {' '.join(error.messages)}",
                field=f"form_data.{name}",
            ) from error
        if value in (None, "") and partial:
            continue
        clean[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return clean
