import pytest


@pytest.fixture(autouse=True)
def publish_in_the_foreground(settings):
    """Publishing after commit runs on a background thread in the server (``publish.background``);
    these tests publish in their own thread so that they can look at the result at once.
    ``test_publish_background`` covers the thread."""
    settings.CQS_LGSP_PUBLISH_IN_BACKGROUND = False


@pytest.fixture
def lgsp_upstream_url():
    """Where the registry's services forward to. Nothing listens there: suites that call the
    services through a gateway override this fixture with a live upstream (``cqs.lgsp.testing``)."""
    return "http://127.0.0.1:9"


@pytest.fixture
def registry(db, lgsp_upstream_url):
    """A provider and a client member, as on a provincial LGSP.

    Provider ``GOV/000.00.00.H62`` (Công an tỉnh), subsystem ``csdl-dancu`` with two published
    services: ``persons`` (upstream ``<url>/api/v1``; endpoints ``GET /persons`` and
    ``POST /persons/search``) and ``households`` (upstream ``<url>``, no base path).
    Client ``GOV/000.00.01.H62`` (Văn phòng UBND tỉnh) with three subsystems:

    - ``dvc``: the whole ``persons`` service; an API key and an OAuth2 client;
    - ``motcua``: only ``GET /persons`` of ``persons``, and ``households`` through the group
      ``nhom-tinh``; an API key;
    - ``baocao``: no access right; an API key.

    Rates are high (10,000/min) so that only tests about limits meet them. Nothing is published:
    call ``publish.publish_now()`` (or use a transactional test, which publishes after commit).
    """
    from types import SimpleNamespace

    from cqs.lgsp.services import access
    from cqs.lgsp.services import registry as reg

    provider_member = reg.member_create(member_class="GOV", code="000.00.00.H62", name="Công an tỉnh")
    client_member = reg.member_create(member_class="GOV", code="000.00.01.H62", name="Văn phòng UBND tỉnh")
    provider = reg.subsystem_create(
        member=provider_member, code="csdl-dancu", name="Cơ sở dữ liệu dân cư của tỉnh"
    )
    dvc = reg.subsystem_create(member=client_member, code="dvc", name="Cổng dịch vụ công của tỉnh")
    motcua = reg.subsystem_create(member=client_member, code="motcua", name="Hệ thống thông tin một cửa")
    baocao = reg.subsystem_create(member=client_member, code="baocao", name="Hệ thống thông tin báo cáo")
    common = {
        "legal_basis": "Nghị định 47/2020/NĐ-CP; Nghị định 194/2025/NĐ-CP",
        "data_classification": "personal",
        "timeout_ms": 5000,
    }
    persons = reg.service_create(
        subsystem=provider,
        code="persons",
        name="Tra cứu thông tin công dân",
        upstream_url=f"{lgsp_upstream_url}/api/v1",
        publish_now=True,
        **common,
    )
    households = reg.service_create(
        subsystem=provider,
        code="households",
        name="Tra cứu thông tin hộ gia đình",
        upstream_url=lgsp_upstream_url,
        publish_now=True,
        **common,
    )
    get_persons = reg.endpoint_create(service=persons, method="GET", path="/persons")
    search_persons = reg.endpoint_create(service=persons, method="POST", path="/persons/search")
    group = reg.group_create(code="nhom-tinh", name="Các hệ thống cấp tỉnh", subsystems=[motcua])
    grants = {
        "dvc": access.grant_create(service=persons, client=dvc, rate_per_minute=10_000),
        "motcua": access.grant_create(
            service=persons, client=motcua, endpoint=get_persons, rate_per_minute=10_000
        ),
        "group": access.grant_create(service=households, group=group, rate_per_minute=10_000),
    }
    keys = {
        sub.code: access.api_key_issue(subsystem=sub, label="thử nghiệm") for sub in (dvc, motcua, baocao)
    }
    oauth = access.oauth_client_issue(subsystem=dvc, label="thử nghiệm")
    return SimpleNamespace(
        provider=provider,
        dvc=dvc,
        motcua=motcua,
        baocao=baocao,
        persons=persons,
        households=households,
        endpoints={"get_persons": get_persons, "search_persons": search_persons},
        group=group,
        grants=grants,
        keys={code: issued.secret for code, issued in keys.items()},
        credentials={code: issued.credential for code, issued in keys.items()},
        oauth=oauth.credential,
        oauth_secret=oauth.secret,
    )
