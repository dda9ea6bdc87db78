"""Importing data values the DHIS2 way (``/api/dataValueSets``, DHIS2 2.40 behaviour).

A DHIS2 client sends values keyed by data element, period, organisation unit and category option
combination; each value lands in the draft ``Report`` of its regime (data set), unit and period,
opened here under the same rules as ``report_open`` when it does not exist yet. Every refusal is
a *conflict* of the import summary (never an exception): an unknown identifier, a value of the
wrong type, a unit that does not report under the regime, a report already sent or locked, a
unit outside the user's grants.

Atomicity (DHIS2 ``atomicMode``): with ``ALL`` (the default) one conflict imports nothing; with
``NONE`` the valid values are written and the others reported. ``dryRun`` computes the same
summary and writes nothing.

Speed: identifiers are resolved from dictionaries loaded once, the existing values of the touched
reports are read in one query per batch of reports, and the writes are batched upserts; nothing
is queried per value (only per report: the checks of ``report_prepare`` for a new report).

Org units have no DHIS2 uid here: the ``uid`` of a unit is its primary key as text and its
``code`` is its electronic identifier (mã định danh, e.g. ``000.00.01.H62``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cqs.audit.services import audit_record
from cqs.core.exceptions import ServiceError
from cqs.orgs.models import OrgUnit
from cqs.reporting.choices import ReportAction, ValueSource, ValueType
from cqs.reporting.models import (
    CategoryCombo,
    CategoryOptionCombo,
    DataValue,
    Indicator,
    Period,
    Regime,
    RegimeIndicator,
    RegimeVersion,
    Report,
    ReportEvent,
)
from cqs.reporting.periods import PeriodError, PeriodSpec, period_parse
from cqs.reporting.selectors import assigned_units, regime_version_for
from cqs.reporting.services.reports import (
    EDITABLE,
    may,
    period_ensure,
    report_dates,
    report_is_locked,
    report_prepare,
    report_submit,
)
from cqs.reporting.uids import DEFAULT_COC_UID
from cqs.reporting.values import InvalidValue, value_parse

SCHEMES = ("UID", "CODE", "NAME")
STRATEGIES = ("CREATE", "UPDATE", "CREATE_AND_UPDATE", "DELETE")
ATOMIC_MODES = ("ALL", "NONE")
COMMENT_MAX = 500
BATCH = 5000
AUDITED_REPORTS = 500
# What DHIS2 accepts for "no attribute option combination".
DEFAULT_AOC = {"", "default", DEFAULT_COC_UID}
_TRUE = {"true", "1", "yes"}
TEXT_TYPES = frozenset({ValueType.TEXT, ValueType.LONG_TEXT})


# --- the summary ---------------------------------------------------------------------------


@dataclass
class ImportConflict:
    object: str
    value: str
    error_code: str
    property: str
    objects: dict = field(default_factory=dict)
    indexes: list[int] = field(default_factory=list)

    def as_dhis(self) -> dict:
        return {
            "object": self.object,
            "objects": self.objects,
            "value": self.value,
            "errorCode": self.error_code,
            "property": self.property,
            "indexes": self.indexes,
        }


@dataclass
class ImportSummary:
    status: str = "SUCCESS"
    description: str = ""
    imported: int = 0
    updated: int = 0
    ignored: int = 0
    deleted: int = 0
    conflicts: list[ImportConflict] = field(default_factory=list)
    import_options: dict = field(default_factory=dict)
    data_set_complete: str = "false"
    # Primary keys of the reports written (or that would be, on a dry run), for the caller.
    reports: list[int] = field(default_factory=list)

    def as_dhis(self) -> dict:
        """The ImportSummary object as DHIS2 2.40 returns it for a synchronous import."""
        rejected = sorted({i for conflict in self.conflicts for i in conflict.indexes})
        return {
            "responseType": "ImportSummary",
            "status": self.status,
            "importOptions": self.import_options,
            "description": self.description,
            "importCount": {
                "imported": self.imported,
                "updated": self.updated,
                "ignored": self.ignored,
                "deleted": self.deleted,
            },
            "conflicts": [conflict.as_dhis() for conflict in self.conflicts],
            "rejectedIndexes": rejected,
            "dataSetComplete": self.data_set_complete,
        }


class _Conflicts:
    """Conflicts grouped like DHIS2 does: one entry per (error, object), with every index."""

    def __init__(self):
        self.entries: dict[tuple, ImportConflict] = {}
        self.rejected: set[int] = set()

    def add(self, index, error_code: str, prop: str, obj: str, message: str, objects=None) -> None:
        key = (error_code, prop, obj, message)
        entry = self.entries.get(key)
        if entry is None:
            entry = self.entries[key] = ImportConflict(
                object=obj, value=message, error_code=error_code, property=prop, objects=objects or {}
            )
        if index is not None:
            entry.indexes.append(index)
            self.rejected.add(index)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def as_list(self) -> list[ImportConflict]:
        return list(self.entries.values())


# --- identifiers ---------------------------------------------------------------------------


def _scheme(name: str | None, default: str) -> str:
    scheme = (name or default or "UID").strip().upper()
    if scheme not in SCHEMES:
        raise ServiceError(
            "invalid_id_scheme",
            _("Kiểu mã “%(scheme)s” không được hỗ trợ (chỉ UID, CODE, NAME).") % {"scheme": name},
            field="idScheme",
        )
    return scheme


class _Index:
    """Rows looked up by uid, code or name; with the UID scheme a code is accepted too."""

    def __init__(self, rows, scheme: str):
        self.scheme = scheme
        self.by_uid, self.by_code, self.by_name = {}, {}, {}
        for row in rows:
            self.by_uid[row[1]] = row
            self.by_code[row[2]] = row
            self.by_name.setdefault(row[3], row)

    def get(self, ident: str):
        if self.scheme == "UID":
            return self.by_uid.get(ident) or self.by_code.get(ident)
        if self.scheme == "CODE":
            return self.by_code.get(ident)
        return self.by_name.get(ident)


class _Units:
    """Org units named in the payload, loaded in one query. A code (identifier) can name several
    versions of a unit over time: the one in force at the end of the period is taken."""

    def __init__(self, idents: set[str], scheme: str):
        self.scheme = scheme
        query = Q(pk__in=[]) if scheme != "NAME" else Q(name__in=idents)
        if scheme in ("UID", "CODE"):
            query |= Q(identifier__in=idents)
        if scheme == "UID":
            query |= Q(pk__in=[int(i) for i in idents if i.isdigit() and len(i) < 18])
        self.by_pk, self.by_key = {}, {}
        for unit in OrgUnit.objects.filter(query).order_by("valid_from", "pk"):
            self.by_pk[str(unit.pk)] = unit
            key = unit.name if scheme == "NAME" else unit.identifier
            if key:
                self.by_key.setdefault(key, []).append(unit)

    def get(self, ident: str, on: date) -> OrgUnit | None:
        if self.scheme == "UID":
            unit = self.by_pk.get(ident)
            if unit is not None:
                return unit
        versions = self.by_key.get(ident)
        if not versions:
            return None
        for unit in versions:
            if unit.is_valid_on(on):
                return unit
        return versions[-1]


class _Combos:
    """Category option combinations, and the ADX way of naming one by its options' codes."""

    def __init__(self, scheme: str):
        rows = list(CategoryOptionCombo.objects.values_list("pk", "uid", "code", "name", "combo_id"))
        self.index = _Index(rows, scheme)
        self.combo_of = {row[0]: row[4] for row in rows}
        self.default = next((row[0] for row in rows if row[2] == "default"), None)
        self._by_options = None

    def by_options(self, combo_id: int, options: dict[str, str]) -> int | None:
        if self._by_options is None:
            through = CategoryOptionCombo.options.through.objects.values_list(
                "categoryoptioncombo_id", "categoryoption__code"
            )
            grouped: dict[int, set[str]] = {}
            for coc_id, code in through:
                grouped.setdefault(coc_id, set()).add(code)
            self._by_options = {
                (self.combo_of[coc_id], frozenset(codes)): coc_id
                for coc_id, codes in grouped.items()
                if coc_id in self.combo_of
            }
            self.categories: dict[int, set[str]] = {}
            for combo_id_, code in CategoryCombo.categories.through.objects.values_list(
                "categorycombo_id", "category__code"
            ):
                self.categories.setdefault(combo_id_, set()).add(code)
        if set(options) != self.categories.get(combo_id, set()):
            return None
        return self._by_options.get((combo_id, frozenset(options.values())))


class _Regimes:
    """Regimes (data sets), their versions and the indicators of each version."""

    def __init__(self, scheme: str):
        self.objects = {r.pk: r for r in Regime.objects.all()}
        self.index = _Index([(r.pk, r.uid, r.code, r.name) for r in self.objects.values()], scheme)
        self.rows: dict[int, set[int]] = {}
        self.of_indicator: dict[int, set[int]] = {}
        version_regime = dict(RegimeVersion.objects.values_list("pk", "regime_id"))
        for version_id, indicator_id in RegimeIndicator.objects.values_list("version_id", "indicator_id"):
            self.rows.setdefault(version_id, set()).add(indicator_id)
            self.of_indicator.setdefault(indicator_id, set()).add(version_regime[version_id])
        self._versions: dict[tuple[int, str], RegimeVersion | None] = {}

    def version(self, regime_id: int, spec: PeriodSpec) -> RegimeVersion | None:
        key = (regime_id, spec.iso)
        if key not in self._versions:
            self._versions[key] = regime_version_for(self.objects[regime_id], spec)
        return self._versions[key]


# --- the import ----------------------------------------------------------------------------


@dataclass
class _Group:
    """One report the import touches: (regime, unit, period)."""

    key: tuple
    regime: Regime
    unit: OrgUnit
    spec: PeriodSpec
    report: Report | None = None
    version: RegimeVersion | None = None
    dates: dict | None = None
    error: tuple | None = None  # (error code, property, message)
    touched: bool = False


class _Prepare:
    """``report_prepare`` for many reports at once: the same rules (version in force on the last
    day of the period, its period type, the unit assigned, the nearest assigned ancestor as
    reviewer, the dates), with one query per version and period instead of several per report.
    ``None`` means refused; the caller asks ``report_prepare`` itself for the reason."""

    def __init__(self, regimes: _Regimes):
        self.regimes = regimes
        self.assigned: dict[tuple[int, date], set[int]] = {}
        self.dates: dict[tuple[int, str], dict] = {}
        self.units: dict[int, OrgUnit] = {}

    def get(self, regime: Regime, unit: OrgUnit, spec: PeriodSpec):
        version = self.regimes.version(regime.pk, spec)
        if version is None or version.period_type != spec.period_type or not unit.is_valid_on(spec.end):
            return None
        key = (version.pk, spec.end)
        if key not in self.assigned:
            self.assigned[key] = set(assigned_units(version, spec.end).values_list("pk", flat=True))
        assigned = self.assigned[key]
        if unit.pk not in assigned:
            return None
        reviewer_id = next((a for a in reversed(unit.ancestor_ids) if a in assigned), None)
        if reviewer_id is None:
            reviewer_id = version.receiver_id
        if reviewer_id not in self.units:
            self.units[reviewer_id] = OrgUnit.objects.get(pk=reviewer_id)
        dates_key = (version.pk, spec.iso)
        if dates_key not in self.dates:
            self.dates[dates_key] = report_dates(version, spec)
        return version, {**self.dates[dates_key], "reviewer_unit": self.units[reviewer_id]}


def _text(raw) -> str:
    if raw.__class__ is str:  # nearly always: the parsers give strings
        return raw.strip()
    return "" if raw is None else str(raw).strip()


def _flag(raw) -> bool:
    return raw is True or _text(raw).lower() in _TRUE


def _prepare_error(exc: ServiceError) -> tuple[str, str]:
    """The DHIS2 error code and property of a refusal of ``report_prepare``."""
    return {
        "regime_not_in_force": ("E7643", "period"),
        "period_type_mismatch": ("E7632", "period"),
        "unit_not_assigned": ("E7636", "orgUnit"),
    }.get(exc.error_code, ("E7643", "period"))


def _check_group(group: _Group, *, actor, today: date, prepare: _Prepare) -> None:
    """Whether values may be written to this report; sets ``group.error`` when not."""
    unit, spec, regime = group.unit, group.spec, group.regime
    if not may(actor, "submit_report", unit):
        group.error = (
            "E7617",
            "orgUnit",
            _("Bạn không có quyền nhập số liệu của %(unit)s.") % {"unit": unit},
        )
        return
    report = group.report
    if report is not None:
        group.version = report.version
        if report.status not in EDITABLE:
            group.error = (
                "E7642",
                "period",
                _(
                    "Báo cáo %(code)s kỳ %(period)s của %(unit)s đang ở trạng thái “%(status)s”, "
                    "không sửa được."
                )
                % {
                    "code": regime.code,
                    "period": spec.iso,
                    "unit": unit,
                    "status": report.get_status_display(),
                },
            )
        elif report_is_locked(report, today):
            group.error = (
                "E7640",
                "period",
                _("Kỳ %(period)s của chế độ %(code)s đã khóa nhập từ ngày %(date)s.")
                % {"period": spec.iso, "code": regime.code, "date": f"{report.lock_date:%d/%m/%Y}"},
            )
        return
    prepared = prepare.get(regime, unit, spec)
    if prepared is None:
        # Refused: report_prepare says why, in the words report_open uses.
        try:
            prepared = report_prepare(regime=regime, unit=unit, spec=spec)
        except ServiceError as exc:
            code, prop = _prepare_error(exc)
            group.error = (code, prop, exc.detail)
            return
    group.version, group.dates = prepared
    if today < spec.window(group.version.cutoff_day)[0]:
        group.error = ("E7641", "period", _("Kỳ %(period)s chưa bắt đầu.") % {"period": spec.iso})
    elif group.dates["lock_date"] is not None and today >= group.dates["lock_date"]:
        group.error = (
            "E7640",
            "period",
            _("Kỳ %(period)s của chế độ %(code)s đã khóa nhập từ ngày %(date)s.")
            % {"period": spec.iso, "code": regime.code, "date": f"{group.dates['lock_date']:%d/%m/%Y}"},
        )


def _import_options(**options) -> dict:
    return {
        "idSchemes": {
            "idScheme": options["id_scheme"],
            "dataElementIdScheme": options["data_element_id_scheme"],
            "orgUnitIdScheme": options["org_unit_id_scheme"],
            "categoryOptionComboIdScheme": options["coc_id_scheme"],
            "dataSetIdScheme": options["data_set_id_scheme"],
        },
        "dryRun": options["dry_run"],
        "async": False,
        "importStrategy": options["import_strategy"],
        "atomicMode": options["atomic_mode"],
        "mergeMode": "REPLACE",
        "reportMode": "FULL",
        "skipExistingCheck": False,
        "skipAudit": False,
        "force": False,
    }


class _Abort(Exception):
    """Rolls the writes back when completing a report fails under atomicMode ALL."""


@transaction.atomic
def datavalueset_import(
    *,
    actor,
    values: list[dict],
    data_set=None,
    complete_date=None,
    id_scheme: str = "UID",
    data_element_id_scheme: str | None = None,
    org_unit_id_scheme: str | None = None,
    category_option_combo_id_scheme: str | None = None,
    data_set_id_scheme: str | None = None,
    dry_run: bool = False,
    import_strategy: str = "CREATE_AND_UPDATE",
    atomic_mode: str = "ALL",
    now=None,
) -> ImportSummary:
    """Import DHIS2 data values (dicts with the DHIS2 keys ``dataElement``, ``period``,
    ``orgUnit``, ``categoryOptionCombo``, ``attributeOptionCombo``, ``value``, ``comment``,
    ``deleted``, and ``dataSet`` when the values of one payload go to several data sets, as in
    ADX; ``categoryOptions`` may name the option combination ADX-style as
    ``{category code: option code}``). Returns the DHIS2 import summary; raises
    ``ServiceError`` only for invalid options."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    id_scheme = _scheme(id_scheme, "UID")
    de_scheme = _scheme(data_element_id_scheme, id_scheme)
    ou_scheme = _scheme(org_unit_id_scheme, id_scheme)
    coc_scheme = _scheme(category_option_combo_id_scheme, id_scheme)
    ds_scheme = _scheme(data_set_id_scheme, id_scheme)
    import_strategy = (import_strategy or "CREATE_AND_UPDATE").upper()
    atomic_mode = (atomic_mode or "ALL").upper()
    if import_strategy == "NEW_AND_UPDATES":  # the pre-2.30 name DHIS2 still accepts
        import_strategy = "CREATE_AND_UPDATE"
    if import_strategy not in STRATEGIES:
        raise ServiceError(
            "invalid_import_strategy",
            _("importStrategy “%(value)s” không hợp lệ.") % {"value": import_strategy},
            field="importStrategy",
        )
    if atomic_mode not in ATOMIC_MODES:
        raise ServiceError(
            "invalid_atomic_mode",
            _("atomicMode “%(value)s” không hợp lệ (ALL hoặc NONE).") % {"value": atomic_mode},
            field="atomicMode",
        )
    summary = ImportSummary(
        import_options=_import_options(
            id_scheme=id_scheme,
            data_element_id_scheme=de_scheme,
            org_unit_id_scheme=ou_scheme,
            coc_id_scheme=coc_scheme,
            data_set_id_scheme=ds_scheme,
            dry_run=bool(dry_run),
            import_strategy=import_strategy,
            atomic_mode=atomic_mode,
        )
    )
    conflicts = _Conflicts()
    total = len(values)

    regimes = _Regimes(ds_scheme)
    fixed_regime = None
    ds_ident = _text(data_set)
    if ds_ident:
        row = regimes.index.get(ds_ident)
        if row is None:
            conflicts.add(
                None,
                "E7600",
                "dataSet",
                ds_ident,
                _("Không tìm thấy chế độ báo cáo (dataSet) “%(id)s”.") % {"id": ds_ident},
            )
            return _finish(summary, conflicts, total, aborted=True)
        fixed_regime = row[0]

    indicator_rows = list(
        Indicator.objects.values_list("pk", "uid", "code", "name", "value_type", "category_combo_id")
    )
    indicators = _Index(indicator_rows, de_scheme)
    combos = _Combos(coc_scheme)
    units = _Units({_text(v.get("orgUnit")) for v in values} - {""}, ou_scheme)

    specs: dict[str, PeriodSpec | None] = {}
    groups: dict[tuple[int, int, str], _Group] = {}
    # Per value: (index, group key, indicator id, option combo id, text, number, comment) or a
    # delete (text None).
    pending: list[tuple] = []
    unit_cache: dict[tuple[str, str], OrgUnit | None] = {}
    regime_cache: dict[tuple[int, int, str], tuple | int] = {}

    for index, raw in enumerate(values):
        de_ident = _text(raw.get("dataElement"))
        indicator = indicators.get(de_ident) if de_ident else None
        if indicator is None:
            conflicts.add(
                index,
                "E7610",
                "dataElement",
                de_ident,
                _("Không tìm thấy chỉ tiêu (dataElement) “%(id)s”.") % {"id": de_ident},
                {"dataElement": de_ident},
            )
            continue
        iso = _text(raw.get("period"))
        if iso not in specs:
            try:
                specs[iso] = period_parse(iso)
            except PeriodError:
                specs[iso] = None
        spec = specs[iso]
        if spec is None:
            conflicts.add(
                index,
                "E7611",
                "period",
                iso,
                _("Kỳ báo cáo “%(period)s” không hợp lệ.") % {"period": iso},
                {"period": iso},
            )
            continue
        ou_ident = _text(raw.get("orgUnit"))
        unit_key = (ou_ident, spec.iso)
        if unit_key not in unit_cache:
            unit_cache[unit_key] = units.get(ou_ident, spec.end) if ou_ident else None
        unit = unit_cache[unit_key]
        if unit is None:
            conflicts.add(
                index,
                "E7612",
                "orgUnit",
                ou_ident,
                _("Không tìm thấy đơn vị (orgUnit) “%(id)s”.") % {"id": ou_ident},
                {"organisationUnit": ou_ident},
            )
            continue
        coc_ident = _text(raw.get("categoryOptionCombo"))
        options = raw.get("categoryOptions")
        if options:
            coc_id = combos.by_options(indicator[5], options)
            coc_ident = coc_ident or " ".join(f"{k}={v}" for k, v in sorted(options.items()))
        elif coc_ident:
            coc_row = combos.index.get(coc_ident)
            coc_id = coc_row[0] if coc_row else None
        else:
            coc_id = combos.default
        if coc_id is None:
            conflicts.add(
                index,
                "E7613",
                "categoryOptionCombo",
                coc_ident,
                _("Không tìm thấy ô phân tổ (categoryOptionCombo) “%(id)s”.") % {"id": coc_ident},
                {"categoryOptionCombo": coc_ident},
            )
            continue
        if combos.combo_of.get(coc_id) != indicator[5]:
            conflicts.add(
                index,
                "E7634",
                "categoryOptionCombo",
                coc_ident,
                _("Ô phân tổ “%(coc)s” không thuộc phân tổ của chỉ tiêu %(code)s.")
                % {"coc": coc_ident, "code": indicator[2]},
                {"categoryOptionCombo": coc_ident, "dataElement": indicator[1]},
            )
            continue
        aoc_ident = _text(raw.get("attributeOptionCombo"))
        if aoc_ident not in DEFAULT_AOC:
            conflicts.add(
                index,
                "E7615",
                "attributeOptionCombo",
                aoc_ident,
                _("Không có tổ hợp thuộc tính (attributeOptionCombo) “%(id)s”: chỉ nhận giá trị mặc định.")
                % {"id": aoc_ident},
                {"attributeOptionCombo": aoc_ident},
            )
            continue

        # Which regime (data set) the value belongs to: the set's, the value's own (ADX groups),
        # or the one regime whose form has the indicator for that period.
        value_regime = fixed_regime
        value_ds = _text(raw.get("dataSet"))
        if value_ds and value_ds != ds_ident:
            row = regimes.index.get(value_ds)
            if row is None:
                conflicts.add(
                    index,
                    "E7600",
                    "dataSet",
                    value_ds,
                    _("Không tìm thấy chế độ báo cáo (dataSet) “%(id)s”.") % {"id": value_ds},
                    {"dataSet": value_ds},
                )
                continue
            value_regime = row[0]
        regime_key = (indicator[0], value_regime or 0, spec.iso)
        found = regime_cache.get(regime_key)
        if found is None:
            found = regime_cache[regime_key] = _regime_for(regimes, indicator, value_regime, spec)
        if isinstance(found, tuple):
            conflicts.add(index, *found)
            continue
        key = (found, unit.pk, spec.iso)
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(key=key, regime=regimes.objects[found], unit=unit, spec=spec)

        # The value itself.
        comment = _text(raw.get("comment"))
        if len(comment) > COMMENT_MAX:
            conflicts.add(
                index,
                "E7620",
                "comment",
                indicator[1],
                _("Ghi chú dài quá %(n)s ký tự.") % {"n": COMMENT_MAX},
                {"dataElement": indicator[1]},
            )
            continue
        value = raw.get("value")
        if raw.get("adx") and indicator[4] in TEXT_TYPES and comment:
            # ADX values are decimals: a text value travels in the annotation.
            value, comment = comment, ""
        text = _text(value)
        if import_strategy == "DELETE" or _flag(raw.get("deleted")) or text == "":
            pending.append((index, key, indicator[0], coc_id, None, None, comment))
            continue
        try:
            text, number = value_parse(indicator[4], text)
        except InvalidValue as exc:
            conflicts.add(
                index,
                "E7619",
                "value",
                indicator[1],
                _("Giá trị của chỉ tiêu %(code)s: %(error)s") % {"code": indicator[2], "error": exc},
                {"dataElement": indicator[1]},
            )
            continue
        pending.append((index, key, indicator[0], coc_id, text, number, comment))

    # The reports: those that exist, locked for the rest of the transaction, and the new ones.
    _load_reports(groups, lock=not dry_run)
    prepare = _Prepare(regimes)
    for group in groups.values():
        _check_group(group, actor=actor, today=today, prepare=prepare)
    accepted = []
    for item in pending:
        group = groups[item[1]]
        if group.error is not None:
            code, prop, message = group.error
            conflicts.add(item[0], code, prop, _group_object(group, prop), message)
        elif item[2] not in regimes.rows.get(group.version.pk, ()):
            conflicts.add(
                item[0],
                "E7633",
                "dataElement",
                str(item[2]),
                _("Chỉ tiêu không có trong biểu mẫu của chế độ %(code)s (phiên bản %(version)s).")
                % {"code": group.regime.code, "version": group.version.version},
            )
        else:
            accepted.append(item)

    if conflicts and atomic_mode == "ALL":
        return _finish(summary, conflicts, total, aborted=True)

    existing = _existing_values([g.report.pk for g in groups.values() if g.report is not None])
    upserts: dict[tuple, tuple] = {}
    deletes: dict[tuple, int] = {}
    state: dict[tuple, bool] = {}
    for _index, key, indicator_id, coc_id, text, number, comment in accepted:
        group = groups[key]
        report_id = group.report.pk if group.report is not None else None
        cell = (key, indicator_id, coc_id)
        present = state.get(cell)
        if present is None:
            present = (report_id, indicator_id, coc_id) in existing if report_id else False
        if text is None:
            if present:
                summary.deleted += 1
                upserts.pop(cell, None)
                row = existing.get((report_id, indicator_id, coc_id)) if report_id else None
                if row is not None:
                    deletes[cell] = row
                state[cell] = False
                group.touched = True
            else:
                summary.ignored += 1
            continue
        if (present and import_strategy == "CREATE") or (not present and import_strategy == "UPDATE"):
            summary.ignored += 1
            continue
        if present:
            summary.updated += 1
        else:
            summary.imported += 1
        deletes.pop(cell, None)
        upserts[cell] = (text, number, comment)
        state[cell] = True
        group.touched = True
    summary.ignored += len(conflicts.rejected)
    touched = [g for g in groups.values() if g.touched]

    if dry_run:
        summary.reports = [g.report.pk for g in touched if g.report is not None]
        return _finish(summary, conflicts, total)

    sid = transaction.savepoint()
    try:
        _write(actor, touched, upserts, deletes, now=now)
        completion = _complete(actor, touched, complete_date, now=now, conflicts=conflicts)
        if completion is False and atomic_mode == "ALL":
            raise _Abort
    except _Abort:
        transaction.savepoint_rollback(sid)
        return _finish(summary, conflicts, total, aborted=True)
    transaction.savepoint_commit(sid)
    if completion:
        summary.data_set_complete = str(complete_date)
    summary.reports = [g.report.pk for g in touched]
    if touched:
        audit_record(
            action="reporting.datavalueset_import",
            object_type="reporting.report",
            object_id=str(touched[0].report.pk) if len(touched) == 1 else "",
            object_repr=_("Nhập %(n)s giá trị qua API") % {"n": total},
            actor=actor,
            after={
                "imported": summary.imported,
                "updated": summary.updated,
                "deleted": summary.deleted,
                "ignored": summary.ignored,
                "reports": len(touched),
                "report_ids": [g.report.pk for g in touched[:AUDITED_REPORTS]],
                "data_set": ds_ident,
            },
        )
    return _finish(summary, conflicts, total)


def _group_object(group: _Group, prop: str) -> str:
    if prop == "orgUnit":
        return str(group.unit.pk)
    if prop == "period":
        return group.spec.iso
    return group.regime.uid


def _regime_for(regimes: _Regimes, indicator, fixed: int | None, spec: PeriodSpec):
    """The regime id a value goes to, or the conflict ``(code, property, object, message)``."""
    if fixed is not None:
        return fixed
    candidates = regimes.of_indicator.get(indicator[0], set())
    fitting, other_type = [], False
    for regime_id in sorted(candidates):
        version = regimes.version(regime_id, spec)
        if version is None or indicator[0] not in regimes.rows.get(version.pk, ()):
            continue
        if version.period_type != spec.period_type:
            other_type = True
            continue
        fitting.append(regime_id)
    if len(fitting) == 1:
        return fitting[0]
    if len(fitting) > 1:
        return (
            "E7602",
            "dataSet",
            indicator[1],
            _("Chỉ tiêu %(code)s có trong nhiều chế độ báo cáo kỳ %(period)s: cần nêu dataSet.")
            % {"code": indicator[2], "period": spec.iso},
        )
    if other_type:
        return (
            "E7632",
            "period",
            spec.iso,
            _("Kỳ %(period)s không đúng tần suất báo cáo của chỉ tiêu %(code)s.")
            % {"period": spec.iso, "code": indicator[2]},
        )
    return (
        "E7633",
        "dataElement",
        indicator[1],
        _("Chỉ tiêu %(code)s không thuộc chế độ báo cáo nào có hiệu lực kỳ %(period)s.")
        % {"code": indicator[2], "period": spec.iso},
    )


def _chunks(items: list, size: int = 500):
    for first in range(0, len(items), size):
        yield items[first : first + size]


def _load_reports(groups: dict, *, lock: bool) -> None:
    if not groups:
        return
    regime_ids = {key[0] for key in groups}
    unit_ids = list({key[1] for key in groups})
    isos = {key[2] for key in groups}
    for unit_chunk in _chunks(unit_ids):
        query = Report.objects.filter(
            regime_id__in=regime_ids, unit_id__in=unit_chunk, period__iso__in=isos
        ).select_related("period", "version")
        if lock:
            query = query.select_for_update(of=("self",))
        for report in query:
            group = groups.get((report.regime_id, report.unit_id, report.period.iso))
            if group is not None:
                group.report = report


def _existing_values(report_ids: list[int]) -> dict[tuple[int, int, int], int]:
    existing = {}
    for chunk in _chunks(report_ids):
        rows = DataValue.objects.filter(report_id__in=chunk).values_list(
            "report_id", "indicator_id", "option_combo_id", "pk"
        )
        for report_id, indicator_id, coc_id, pk in rows:
            existing[(report_id, indicator_id, coc_id)] = pk
    return existing


def _write(actor, touched: list[_Group], upserts: dict, deletes: dict, *, now) -> None:
    new = [g for g in touched if g.report is None]
    if new:
        periods: dict[str, Period] = {}
        reports = []
        for group in new:
            if group.spec.iso not in periods:
                periods[group.spec.iso] = period_ensure(group.spec)
            reports.append(
                Report(
                    regime=group.regime,
                    version=group.version,
                    unit=group.unit,
                    period=periods[group.spec.iso],
                    **group.dates,
                )
            )
        created = Report.objects.bulk_create(reports, batch_size=1000)
        if any(r.pk is None for r in created):  # a backend without RETURNING
            by_key = {
                (r.regime_id, r.unit_id, r.period_id): r
                for r in Report.objects.filter(regime_id__in={r.regime_id for r in created}).filter(
                    unit_id__in=[r.unit_id for r in created], period__in=periods.values()
                )
            }
            created = [by_key[(r.regime_id, r.unit_id, r.period_id)] for r in created]
        for group, report in zip(new, created, strict=True):
            group.report = report
        ReportEvent.objects.bulk_create(
            ReportEvent(report=report, action=ReportAction.CREATED, actor=actor) for report in created
        )
    stored_by = actor.get_username()
    reports = {g.key: g.report for g in touched}
    if connection.vendor == "postgresql":
        _upsert_postgresql(upserts, reports, stored_by=stored_by, now=now)
        upserts = {}
    rows = []
    for (key, indicator_id, coc_id), (text, number, comment) in upserts.items():
        report = reports[key]
        rows.append(
            DataValue(
                report_id=report.pk,
                indicator_id=indicator_id,
                option_combo_id=coc_id,
                unit_id=report.unit_id,
                period_id=report.period_id,
                value=text,
                number=number,
                source=ValueSource.API,
                source_note="",
                comment=comment,
                stored_by=stored_by,
                updated_at=now,
            )
        )
        if len(rows) >= BATCH:
            _upsert(rows)
            rows = []
    _upsert(rows)
    for chunk in _chunks(list(deletes.values()), 1000):
        DataValue.objects.filter(pk__in=chunk).delete()
    Report.objects.filter(pk__in=[g.report.pk for g in touched]).update(updated_at=now)
    ReportEvent.objects.bulk_create(
        ReportEvent(report=g.report, action=ReportAction.IMPORTED, actor=actor) for g in touched
    )


_STAGE = "reporting_import_stage"
_UPSERT = """
INSERT INTO {table} (report_id, indicator_id, option_combo_id, unit_id, period_id, value, number,
                     source, source_note, comment, stored_by, updated_at)
SELECT r, i, c, u, p, v, n, %s, '', m, %s, %s FROM {stage}
ON CONFLICT (report_id, indicator_id, option_combo_id) DO UPDATE SET
    value = EXCLUDED.value, number = EXCLUDED.number, source = EXCLUDED.source,
    source_note = EXCLUDED.source_note, comment = EXCLUDED.comment,
    stored_by = EXCLUDED.stored_by, updated_at = EXCLUDED.updated_at
"""


def _upsert_postgresql(upserts: dict, reports: dict, *, stored_by: str, now) -> None:
    """The same upsert as ``_upsert``, with the rows streamed by ``COPY`` into a temporary table
    and merged by one statement: no model instance and no query parameter per cell."""
    table = connection.ops.quote_name(DataValue._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} (r bigint, i bigint, c bigint, u bigint, p bigint, "
            "v text, n numeric, m text) ON COMMIT DELETE ROWS"
        )
        cursor.execute(f"TRUNCATE {_STAGE}")
        with cursor.copy(f"COPY {_STAGE} (r, i, c, u, p, v, n, m) FROM STDIN") as copy:
            for (key, indicator_id, coc_id), (text, number, comment) in upserts.items():
                report = reports[key]
                copy.write_row(
                    (report.pk, indicator_id, coc_id, report.unit_id, report.period_id, text, number, comment)
                )
        cursor.execute(_UPSERT.format(table=table, stage=_STAGE), [ValueSource.API, stored_by, now])


def _upsert(rows: list[DataValue]) -> None:
    if rows:
        DataValue.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["report", "indicator", "option_combo"],
            update_fields=["value", "number", "source", "source_note", "comment", "stored_by", "updated_at"],
        )


def _complete(actor, touched: list[_Group], complete_date, *, now, conflicts: _Conflicts):
    """Submit the touched reports when the set carries a completion date. ``None`` when there is
    nothing to complete, ``True`` when all were submitted, ``False`` when one was refused."""
    if not complete_date or not touched:
        return None
    ok = True
    for group in touched:
        try:
            with transaction.atomic():
                report_submit(actor=actor, report=group.report, confirm_warnings=True, now=now)
        except ServiceError as exc:
            ok = False
            details = getattr(exc, "details", None)
            message = exc.detail
            if isinstance(details, list) and details:
                message = f"{message} {' '.join(str(d) for d in details)}"
            conflicts.add(None, exc.error_code, "completeDate", group.report.uid, message)
    return ok


def _finish(summary: ImportSummary, conflicts: _Conflicts, total: int, *, aborted=False) -> ImportSummary:
    summary.conflicts = conflicts.as_list()
    if aborted:
        summary.status = "ERROR"
        summary.imported = summary.updated = summary.deleted = 0
        summary.ignored = total
        summary.reports = []
        summary.description = "Import process was aborted"
    else:
        summary.status = "WARNING" if conflicts else "SUCCESS"
        summary.description = "Import process completed successfully"
    return summary


# --- complete data set registrations -------------------------------------------------------


@transaction.atomic
def registrations_complete(
    *, actor, registrations: list[dict], id_scheme: str = "UID", now=None
) -> ImportSummary:
    """DHIS2 ``completeDataSetRegistrations``: completing a data set for a unit and period is
    submitting its report here (warnings confirmed, as the client cannot answer them). A report
    already sent is counted as ignored; each refusal is a conflict and the others go through."""
    from cqs.reporting.services.reports import report_open

    now = now or timezone.now()
    scheme = _scheme(id_scheme, "UID")
    summary = ImportSummary(import_options={"idSchemes": {"idScheme": scheme}, "async": False})
    conflicts = _Conflicts()
    regimes = _Regimes(scheme)
    units = _Units({_text(r.get("organisationUnit")) for r in registrations} - {""}, scheme)
    for index, item in enumerate(registrations):
        ds_ident, iso, ou_ident = (
            _text(item.get("dataSet")),
            _text(item.get("period")),
            _text(item.get("organisationUnit")),
        )
        row = regimes.index.get(ds_ident) if ds_ident else None
        if row is None:
            conflicts.add(
                index,
                "E7600",
                "dataSet",
                ds_ident,
                _("Không tìm thấy chế độ báo cáo “%(id)s”.") % {"id": ds_ident},
            )
            continue
        try:
            spec = period_parse(iso)
        except PeriodError:
            conflicts.add(
                index, "E7611", "period", iso, _("Kỳ báo cáo “%(period)s” không hợp lệ.") % {"period": iso}
            )
            continue
        unit = units.get(ou_ident, spec.end) if ou_ident else None
        if unit is None:
            conflicts.add(
                index, "E7612", "orgUnit", ou_ident, _("Không tìm thấy đơn vị “%(id)s”.") % {"id": ou_ident}
            )
            continue
        if item.get("completed") is False or _text(item.get("completed")).lower() == "false":
            conflicts.add(
                index,
                "E7642",
                "completed",
                ds_ident,
                _("Không hủy hoàn thành qua API được: đơn vị duyệt trả lại báo cáo nếu cần sửa."),
            )
            continue
        try:
            with transaction.atomic():
                report = report_open(
                    actor=actor, regime=regimes.objects[row[0]], unit=unit, period=spec.iso, now=now
                )
                if report.status not in EDITABLE:
                    summary.ignored += 1
                    continue
                report_submit(actor=actor, report=report, confirm_warnings=True, now=now)
                summary.imported += 1
                summary.reports.append(report.pk)
        except ServiceError as exc:
            details = getattr(exc, "details", None)
            message = exc.detail
            if isinstance(details, list) and details:
                message = f"{message} {' '.join(str(d) for d in details)}"
            code = {"report_forbidden": "E7617", "unit_not_assigned": "E7636", "period_locked": "E7640"}.get(
                exc.error_code, exc.error_code
            )
            conflicts.add(index, code, "completeDataSetRegistration", f"{ds_ident}/{iso}/{ou_ident}", message)
    summary.ignored += len(conflicts.rejected)
    return _finish(summary, conflicts, len(registrations))
