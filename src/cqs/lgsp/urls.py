"""LGSP pages (included under /lgsp/ by ``cqs.urls``)."""

from django.urls import path

from cqs.lgsp import views, views_consumer, views_operator, views_provider

app_name = "lgsp"

urlpatterns = [
    path("", views.home, name="home"),
    # Public catalogue (no login): services, their OpenAPI documents, shared code lists.
    path("danh-muc/", views.catalogue, name="catalogue"),
    path("danh-muc/dich-vu/<int:pk>/", views.catalogue_service, name="catalogue-service"),
    path("danh-muc/dich-vu/<int:pk>/openapi.json", views.catalogue_openapi, name="catalogue-openapi"),
    path("danh-muc/dich-vu/<int:pk>/de-nghi/", views_consumer.request_create, name="request-create"),
    path("danh-muc-dung-chung/", views.code_lists, name="code-lists"),
    path("danh-muc-dung-chung/<str:code>/", views.code_list, name="code-list"),
    # Provider: my services, endpoints, requests to answer, grants.
    path("dich-vu/", views_provider.service_list, name="services"),
    path("dich-vu/them/", views_provider.service_create, name="service-create"),
    path("dich-vu/<int:pk>/", views_provider.service_detail, name="service"),
    path("dich-vu/<int:pk>/sua/", views_provider.service_edit, name="service-edit"),
    path("dich-vu/<int:pk>/trang-thai/", views_provider.service_status, name="service-status"),
    path("dich-vu/<int:pk>/diem-cuoi/", views_provider.endpoint_create, name="endpoint-create"),
    path("de-nghi/", views_provider.request_list, name="requests"),
    path("de-nghi/<int:pk>/", views_provider.request_detail, name="request"),
    path("de-nghi/<int:pk>/chap-thuan/", views_provider.request_approve, name="request-approve"),
    path("de-nghi/<int:pk>/tu-choi/", views_provider.request_refuse, name="request-refuse"),
    path("de-nghi/<int:pk>/rut/", views_consumer.request_withdraw, name="request-withdraw"),
    path("quyen-truy-cap/", views_provider.grant_list, name="grants"),
    path("quyen-truy-cap/<int:pk>/thu-hoi/", views_provider.grant_revoke, name="grant-revoke"),
    # Consumer: my systems, my requests, credentials.
    path("he-thong/", views_consumer.subsystem_list, name="subsystems"),
    path("he-thong/<int:pk>/", views_consumer.subsystem_detail, name="subsystem"),
    path("he-thong/<int:pk>/tai-khoan/", views_consumer.credential_issue, name="credential-issue"),
    path("tai-khoan/<int:pk>/thu-hoi/", views_consumer.credential_revoke, name="credential-revoke"),
    path("de-nghi-cua-toi/", views_consumer.my_requests, name="my-requests"),
    # Operator.
    path("ben-khai-thac/", views_consumer.consumer_list, name="consumers"),
    path("thong-ke/", views_operator.usage_page, name="usage"),
    path("thong-ke.csv", views_operator.usage_export, name="usage-csv"),
    path("chung-cu/", views_operator.evidence, name="evidence"),
    path("cong-ket-noi/", views_operator.engine, name="engine"),
    path("cong-ket-noi/ap-dung/", views_operator.publish_now, name="publish"),
]
