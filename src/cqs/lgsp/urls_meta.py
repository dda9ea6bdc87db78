"""X-Road metaservices answered by the control plane (included under /lgsp/meta/ by ``cqs.urls``)."""

app_name = "lgsp_meta"
urlpatterns: list = []
