"""Which unit handles a report: the ordered routing rules, then the category's own unit.

A rule matches when each criterion it sets matches: its category is the report's category or an
ancestor of it; its area is the report's commune or an ancestor of it in the organisation tree;
one of its keywords occurs in the title or description (accent- and case-insensitive). Empty
criteria match everything. The first active rule by ``order`` wins. Rules are re-run when the
category or the place of a report changes (``services.reports.report_act("reclassify")``).
"""

from __future__ import annotations

import unicodedata

from cqs.feedback.models import Category, RoutingRule


def fold(text: str) -> str:
    """Lower case without diacritics ("Đường" → "duong"), for keyword matching."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def keywords_of(text: str) -> list[str]:
    return [fold(k).strip() for k in (text or "").split(",") if k.strip()]


def rule_matches(rule: RoutingRule, *, category_ids: set[int], area, folded_text: str) -> bool:
    if rule.category_id is not None and rule.category_id not in category_ids:
        return False
    if rule.area_id is not None and (area is None or not area.path.startswith(rule.area.path)):
        return False
    words = keywords_of(rule.keywords)
    return not words or any(word in folded_text for word in words)


def route(*, category: Category, area, text: str):
    """``(unit, rule)`` for a report of ``category`` in ``area`` (an OrgUnit or None) about ``text``."""
    category_ids = {category.pk, *category.ancestor_ids()}
    folded = fold(text)
    for rule in (
        RoutingRule.objects.filter(active=True).select_related("area", "unit").order_by("order", "pk")
    ):
        if rule_matches(rule, category_ids=category_ids, area=area, folded_text=folded):
            return rule.unit, rule
    return category.unit, None
