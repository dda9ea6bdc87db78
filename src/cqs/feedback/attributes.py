"""The extra questions of a category (Open311 attributes): checking the answers.

Answers come as ``{code: value}`` where a multi-value list is a list of keys. Every problem is
collected, then raised as one ``ServiceError`` naming the first bad attribute in ``field``
(``attribute[code]``) and all of them in its ``attribute_errors``, so that the Open311 layer can
answer with one error per attribute.
"""

from __future__ import annotations

import math
from datetime import datetime

from django.utils.translation import gettext as _

from cqs.core.exceptions import ServiceError
from cqs.feedback.choices import Datatype
from cqs.feedback.models import Category, CategoryAttribute

STRING_MAX = 200
TEXT_MAX = 4000


def _one(attribute: CategoryAttribute, value):
    """The clean value of one answer, or raise ValueError with the person's message."""
    kind = attribute.datatype
    if kind == Datatype.MULTI:
        values = value if isinstance(value, list | tuple) else [value]
        values = [str(v).replace("\x00", "").strip() for v in values if str(v).strip()]
        unknown = [v for v in values if v not in attribute.value_keys()]
        if unknown:
            raise ValueError(_("Giá trị “%(value)s” không có trong danh sách.") % {"value": unknown[0][:40]})
        return values
    if isinstance(value, list | tuple):
        if len(value) != 1:
            raise ValueError(_("Chỉ được chọn một giá trị."))
        value = value[0]
    text = str(value).replace("\x00", "").strip()
    if kind == Datatype.SINGLE:
        if text not in attribute.value_keys():
            raise ValueError(_("Giá trị “%(value)s” không có trong danh sách.") % {"value": text[:40]})
        return text
    if kind == Datatype.NUMBER:
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise ValueError(_("Phải là một số.")) from None
        if not math.isfinite(number):
            raise ValueError(_("Phải là một số."))
        return int(number) if number.is_integer() else number
    if kind == Datatype.DATETIME:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(_("Phải là ngày giờ theo ISO 8601, ví dụ 2026-03-01T08:30:00+07:00.")) from None
        return moment.isoformat()
    limit = TEXT_MAX if kind == Datatype.TEXT else STRING_MAX
    if len(text) > limit:
        raise ValueError(_("Dài tối đa %(limit)s ký tự.") % {"limit": limit})
    return text


def _empty(value) -> bool:
    if value is None:
        return True
    if isinstance(value, list | tuple):
        return not any(str(v).strip() for v in value)
    return not str(value).strip()


def attributes_clean(category: Category, answers: dict | None) -> dict:
    """The answers checked against ``category``'s questions; unknown codes are ignored."""
    answers = answers or {}
    clean: dict = {}
    errors: list[dict] = []
    for attribute in category.attributes.filter(variable=True).order_by("order", "pk"):
        value = answers.get(attribute.code)
        if _empty(value):
            if attribute.required:
                errors.append(
                    {
                        "code": attribute.code,
                        "message": _("Chưa trả lời câu hỏi bắt buộc “%(question)s”.")
                        % {"question": attribute.description},
                    }
                )
            continue
        try:
            clean[attribute.code] = _one(attribute, value)
        except ValueError as exc:
            errors.append({"code": attribute.code, "message": f"{attribute.description}: {exc}"})
    if errors:
        first = errors[0]
        error = ServiceError("invalid_attribute", first["message"], field=f"attribute[{first['code']}]")
        error.attribute_errors = errors
        raise error
    return clean
