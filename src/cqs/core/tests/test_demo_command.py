"""``cqs demo``: calls the apps' loaders in order and shows the demo accounts."""

import io
import sys
import types

import pytest
from django.apps import apps
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def fake_loader_modules(monkeypatch, calls):
    for name in ("cqs.orgs.demo", "cqs.plans.demo", "cqs.accounts.demo"):
        module = types.ModuleType(name)

        def load_demo(*, log, _name=name):
            calls.append(_name)
            log(f"loaded {_name}")

        module.load_demo = load_demo
        monkeypatch.setitem(sys.modules, name, module)
    sys.modules["cqs.accounts.demo"].DEMO_ACCOUNTS = [
        {"username": "vanthu.stttt", "full_name": "Nguyễn Văn Thư", "role": "Văn thư", "unit": "Sở TT&TT"}
    ]


def test_demo_calls_orgs_then_plans_then_accounts_and_prints_accounts(monkeypatch):
    calls = []
    fake_loader_modules(monkeypatch, calls)
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert calls == ["cqs.orgs.demo", "cqs.plans.demo", "cqs.accounts.demo"]
    output = out.getvalue()
    assert "loaded cqs.plans.demo" in output
    assert "vanthu.stttt" in output
    assert "Nguyễn Văn Thư" in output
    assert "demo-cqs-2026" in output


def test_a_failing_loader_stops_the_command_with_its_error(monkeypatch):
    calls = []
    fake_loader_modules(monkeypatch, calls)

    def broken(*, log):
        raise RuntimeError("plans broke")

    monkeypatch.setattr(sys.modules["cqs.plans.demo"], "load_demo", broken)
    with pytest.raises(RuntimeError, match="plans broke"):
        call_command("demo", stdout=io.StringIO())
    assert calls == ["cqs.orgs.demo"]


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_the_real_demo_loads_and_a_second_run_changes_nothing():
    # given the real loaders of orgs, plans and accounts
    out = io.StringIO()
    call_command("demo", stdout=out)
    first = row_counts()
    assert first["orgs.OrgUnit"] > 0
    for username in ("admin", "lanhdao.ubnd", "vanthu.stttt", "chuyenvien.stttt", "congdan.demo"):
        assert username in out.getvalue()
    # when it runs again
    call_command("demo", stdout=io.StringIO())
    # then no table gained or lost a row (the audit trail included: nothing was re-recorded)
    assert row_counts() == first
