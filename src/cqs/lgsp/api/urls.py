"""Routes of the LGSP API (included under /api/v1/lgsp/ by ``cqs.urls``)."""

urlpatterns: list = []
