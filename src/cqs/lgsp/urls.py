"""LGSP pages (included under /lgsp/ by ``cqs.urls``)."""

app_name = "lgsp"
urlpatterns: list = []
