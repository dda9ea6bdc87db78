"""Forms of the staff pages: the inbox filter and one form per workflow action.

The forms only parse what the official typed; every rule (who may act, in which state, what a
valid answer or unit is) stays in ``services.report_act``, whose ``ServiceError`` the view puts
back on the form.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cqs.feedback import selectors
from cqs.feedback.choices import OPEN_STATUSES, Status, Urgency
from cqs.feedback.models import Category, Report
from cqs.feedback.services.reports import SPLIT_MAX
from cqs.orgs.models import OrgUnit

NOTE_MAX = 4000
# The inbox's status filter: "" is the default (every open status), "all" every status.
STATUS_OPEN = ""
STATUS_ALL = "all"
# "Waiting for acknowledgement": nobody at the handling unit has taken the report yet.
WAITING_STATUSES = (Status.RECEIVED, Status.FORWARDED)


def late_ack(now: datetime) -> Q:
    """Law 42/2013 Art. 28: the person not told within 10 working days."""
    return Q(status__in=OPEN_STATUSES, acknowledged_at__isnull=True, ack_due_at__lt=now)


def late_forward(now: datetime) -> Q:
    """Decree 20/2008 Art. 9: still not taken nor forwarded 5 working days after receipt."""
    return Q(status=Status.RECEIVED, forward_due_at__lt=now)


SORTS = {
    "due": ("due_at", "pk"),
    "-due": ("-due_at", "-pk"),
    "submitted": ("submitted_at", "pk"),
    "-submitted": ("-submitted_at", "-pk"),
}


class BootstrapMixin:
    """Bootstrap classes on the widgets (the templates render fields one by one)."""

    def _style(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select form-select-sm"
            else:
                css = "form-control form-control-sm"
            widget.attrs.setdefault("class", css)


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        # Units in tree order, indented by level, so that a commune shows under its parent.
        return "\u2003" * (obj.depth or 0) + obj.name


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return f"{obj.parent.name} › {obj.name}" if obj.parent_id else obj.name


def units_valid_today():
    return OrgUnit.objects.as_of(timezone.localdate()).order_by("path")


def leaf_categories():
    """The categories a report can be filed in, as a queryset (for ``ModelChoiceField``)."""
    return (
        Category.objects.filter(pk__in=[c.pk for c in selectors.categories_leaf()])
        .select_related("parent")
        .order_by("parent__order", "order", "name")
    )


class InboxFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Mã hoặc tiêu đề"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Trạng thái"), required=False)
    category = CategoryChoiceField(
        label=pgettext_lazy("feedback category", "Lĩnh vực"),
        required=False,
        queryset=Category.objects.none(),
        empty_label=pgettext_lazy("feedback category", "Mọi lĩnh vực"),
    )
    unit = UnitChoiceField(
        label=_("Đơn vị xử lý"), required=False, queryset=OrgUnit.objects.none(), empty_label=_("Mọi đơn vị")
    )
    urgency = forms.ChoiceField(
        label=pgettext_lazy("feedback urgency", "Mức độ"),
        required=False,
        choices=[("", _("Mọi mức độ")), *Urgency.choices],
    )
    overdue = forms.BooleanField(label=_("Chỉ phản ánh quá hạn"), required=False)
    waiting = forms.BooleanField(label=_("Chờ thụ lý (mới tiếp nhận, được chuyển đến)"), required=False)
    date_from = forms.DateField(
        label=_("Gửi từ ngày"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Đến ngày"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    # Set by the counters' links: acknowledgement (Law 42) or forwarding (Decree 20) deadline passed.
    late = forms.ChoiceField(
        required=False, choices=[("", ""), ("ack", "ack"), ("forward", "forward")], widget=forms.HiddenInput
    )
    sort = forms.ChoiceField(
        label=_("Sắp xếp"),
        required=False,
        choices=[
            ("due", _("Hạn trả lời gần nhất trước")),
            ("-due", _("Hạn trả lời xa nhất trước")),
            ("-submitted", _("Gửi gần đây nhất trước")),
            ("submitted", _("Gửi sớm nhất trước")),
        ],
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (STATUS_OPEN, _("Đang mở (chưa trả lời)")),
            (STATUS_ALL, _("Mọi trạng thái")),
            *Status.choices,
        ]
        self.fields["category"].queryset = Category.objects.select_related("parent").order_by(
            "parent__order", "order", "name"
        )
        self.fields["unit"].queryset = units
        self._style()

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("Ngày kết thúc phải sau ngày bắt đầu."))
        return data

    def filtered(self, queryset: QuerySet[Report], *, now: datetime) -> QuerySet[Report]:
        """``queryset`` narrowed by the valid filters (an invalid one is ignored and shown)."""
        data = getattr(self, "cleaned_data", None) or {}
        status = data.get("status") or STATUS_OPEN
        if status == STATUS_OPEN:
            queryset = queryset.filter(status__in=OPEN_STATUSES)
        elif status != STATUS_ALL:
            queryset = queryset.filter(status=status)
        if data.get("category"):
            category = data["category"]
            queryset = queryset.filter(Q(category=category) | Q(category__parent=category))
        if data.get("unit"):
            queryset = queryset.filter(unit__path__startswith=data["unit"].path)
        if data.get("urgency"):
            queryset = queryset.filter(urgency=data["urgency"])
        if data.get("overdue"):
            queryset = selectors.reports_overdue(queryset, now)
        if data.get("waiting"):
            queryset = queryset.filter(status__in=WAITING_STATUSES)
        if data.get("late") == "ack":
            queryset = queryset.filter(late_ack(now))
        elif data.get("late") == "forward":
            queryset = queryset.filter(late_forward(now))
        text = (data.get("q") or "").strip()
        if text:
            queryset = queryset.filter(Q(code=text.upper()) | Q(title__icontains=text))
        zone = timezone.get_current_timezone()
        if data.get("date_from"):
            start = datetime.combine(data["date_from"], time.min, tzinfo=zone)
            queryset = queryset.filter(submitted_at__gte=start)
        if data.get("date_to"):
            end = datetime.combine(data["date_to"] + timedelta(days=1), time.min, tzinfo=zone)
            queryset = queryset.filter(submitted_at__lt=end)
        return queryset.order_by(*SORTS.get(data.get("sort") or "due", SORTS["due"]))


# --- the workflow actions ------------------------------------------------------------------------


class ActionForm(BootstrapMixin, forms.Form):
    """The note every action may carry (required where the transition says so)."""

    note_label = _("Ghi chú")
    note = forms.CharField(label=_("Ghi chú"), required=False, max_length=NOTE_MAX, widget=forms.Textarea)

    def __init__(self, *args, report: Report, transition=None, **kwargs):
        self.report = report
        self.transition = transition
        super().__init__(*args, **kwargs)
        note = self.fields["note"]
        note.label = self.note_label
        note.widget.attrs.update({"rows": 2})
        if transition is not None and transition.needs_note:
            note.required = True
        # The action's own fields first, the note last.
        self.order_fields([name for name in self.fields if name != "note"])
        self._style()

    def service_fields(self) -> dict:
        """Keyword arguments for ``services.report_act`` besides ``note``."""
        return {}


class RejectForm(ActionForm):
    note_label = _("Lý do không thụ lý")


class ForwardForm(ActionForm):
    note_label = _("Lý do chuyển")
    unit = UnitChoiceField(
        label=_("Chuyển đến đơn vị"), queryset=OrgUnit.objects.none(), empty_label=_("— Chọn đơn vị —")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_valid_today().exclude(pk=self.report.unit_id)

    def service_fields(self) -> dict:
        return {"unit": self.cleaned_data["unit"]}


class TransferForm(ActionForm):
    note_label = _("Lý do chuyển")
    external_agency = forms.CharField(label=_("Cơ quan nhận chuyển"), max_length=255)
    external_reference = forms.CharField(label=_("Số, ký hiệu văn bản chuyển"), max_length=100)

    def service_fields(self) -> dict:
        return {
            "external_agency": self.cleaned_data["external_agency"],
            "external_reference": self.cleaned_data["external_reference"],
        }


class RequestInfoForm(ActionForm):
    note_label = _("Thông tin cần người phản ánh bổ sung")


class AnswerForm(ActionForm):
    answer = forms.CharField(label=_("Nội dung trả lời"), max_length=NOTE_MAX, widget=forms.Textarea)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["note"]  # the answer is the event's note
        self.fields["answer"].widget.attrs.update({"rows": 6})
        # The template picker is rendered by the page (staff.js fills this textarea).
        self.templates = list(selectors.answer_templates(self.report.category))

    def service_fields(self) -> dict:
        return {"answer": self.cleaned_data["answer"]}


class PublishForm(ActionForm):
    answer_public = forms.CharField(
        label=_("Nội dung trả lời công khai"),
        max_length=NOTE_MAX,
        widget=forms.Textarea,
        help_text=_(
            "Số điện thoại, số định danh và thư điện tử đã được che bằng ***; kiểm tra lại họ tên, "
            "địa chỉ nhà riêng trước khi công khai."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from cqs.feedback.privacy import mask_personal

        self.fields["answer_public"].initial = mask_personal(self.report.answer)
        self.fields["answer_public"].widget.attrs.update({"rows": 6})

    def service_fields(self) -> dict:
        return {"answer_public": self.cleaned_data["answer_public"]}


class MarkDuplicateForm(ActionForm):
    original = forms.CharField(
        label=_("Mã phản ánh gốc"), max_length=16, widget=forms.TextInput(attrs={"placeholder": "PA…"})
    )

    def clean_original(self):
        code = self.cleaned_data["original"].strip().upper()
        original = Report.objects.filter(code=code).first()
        if original is None:
            raise forms.ValidationError(_("Không tìm thấy phản ánh có mã %(code)s."), params={"code": code})
        return original

    def service_fields(self) -> dict:
        return {"duplicate_of": self.cleaned_data["original"]}


class SplitPartForm(BootstrapMixin, forms.Form):
    category = CategoryChoiceField(
        label=pgettext_lazy("feedback category", "Lĩnh vực"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("— Chọn —"),
    )
    title = forms.CharField(label=_("Tiêu đề"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Nội dung"), max_length=NOTE_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = leaf_categories()
        self._style()

    def clean(self):
        data = super().clean()
        filled = data.get("category") or (data.get("description") or "").strip()
        if filled and not data.get("category"):
            self.add_error("category", _("Chọn lĩnh vực cho phần này."))
        if filled and not (data.get("description") or "").strip():
            self.add_error("description", _("Nhập nội dung cho phần này."))
        return data


class BaseSplitFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not 2 <= len(self.parts()) <= SPLIT_MAX:
            raise forms.ValidationError(
                _("Tách thành từ 2 đến %(max)s phản ánh."), params={"max": SPLIT_MAX}, code="invalid_split"
            )

    def parts(self) -> list[dict]:
        return [
            {
                "category": form.cleaned_data["category"],
                "title": form.cleaned_data.get("title", ""),
                "description": form.cleaned_data["description"],
            }
            for form in self.forms
            if getattr(form, "cleaned_data", None) and form.cleaned_data.get("category")
        ]


SplitFormSet = forms.formset_factory(
    SplitPartForm, formset=BaseSplitFormSet, extra=3, max_num=SPLIT_MAX, absolute_max=SPLIT_MAX
)


class SplitForm(ActionForm):
    note_label = _("Lý do tách")

    def __init__(self, data=None, *args, prefix=None, **kwargs):
        super().__init__(data, *args, prefix=prefix, **kwargs)
        self.parts = SplitFormSet(data, prefix=f"{prefix}-parts" if prefix else "parts")

    def is_valid(self) -> bool:
        valid = super().is_valid()
        return self.parts.is_valid() and valid

    def service_fields(self) -> dict:
        return {"parts": self.parts.parts()}


class ReclassifyForm(ActionForm):
    note_label = _("Lý do phân loại lại")
    category = CategoryChoiceField(
        label=pgettext_lazy("feedback category", "Lĩnh vực"), queryset=Category.objects.none()
    )
    urgency = forms.ChoiceField(label=pgettext_lazy("feedback urgency", "Mức độ"), choices=Urgency.choices)
    area = UnitChoiceField(
        label=_("Xã, phường nơi xảy ra"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("— Không rõ —"),
    )
    lat = forms.FloatField(label=_("Vĩ độ"), required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("Kinh độ"), required=False, min_value=-180, max_value=180)
    address = forms.CharField(label=_("Địa chỉ"), max_length=300, required=False)
    field_order = ["category", "urgency", "area", "address", "lat", "lon", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        report = self.report
        self.fields["category"].queryset = leaf_categories()
        self.fields["area"].queryset = units_valid_today()
        for name, value in (
            ("category", report.category_id),
            ("urgency", report.urgency),
            ("area", report.area_id),
            ("lat", report.lat),
            ("lon", report.lon),
            ("address", report.address),
        ):
            self.fields[name].initial = value
        for name in ("lat", "lon"):
            self.fields[name].widget.attrs.update({"step": "any"})

    def clean(self):
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lon") is None):
            self.add_error("lat", _("Cần cả vĩ độ và kinh độ."))
        return data

    def service_fields(self) -> dict:
        data, report = self.cleaned_data, self.report
        area = data.get("area")
        location = (data.get("lat"), data.get("lon"), (data.get("address") or "").strip(), area)
        # Only a changed place is a new place: the routing rules then run on it again.
        moved = location != (report.lat, report.lon, report.address, report.area)
        fields = {"category": data["category"], "urgency": data["urgency"]}
        if moved:
            fields.update(
                location_given=True, lat=location[0], lon=location[1], address=location[2], area=area
            )
        return fields


class CommentForm(ActionForm):
    note_label = _("Nội dung ghi chú")


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "reject": RejectForm,
    "forward": ForwardForm,
    "transfer": TransferForm,
    "request_info": RequestInfoForm,
    "answer": AnswerForm,
    "publish": PublishForm,
    "mark_duplicate": MarkDuplicateForm,
    "split": SplitForm,
    "reclassify": ReclassifyForm,
    "comment": CommentForm,
}


def action_form(action: str, *, report: Report, transition=None, data=None) -> ActionForm:
    """The form of ``action`` (fields prefixed by the action, so that ids are unique on the page)."""
    form_class = ACTION_FORMS.get(action, ActionForm)
    return form_class(data, report=report, transition=transition, prefix=action)


class PhotoForm(forms.Form):
    photo = forms.FileField(label=_("Ảnh (JPG, PNG)"))
