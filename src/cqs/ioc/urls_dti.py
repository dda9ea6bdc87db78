"""Filled by its owner; see cqs/ioc/urls.py."""

urlpatterns: list = []
