"""The result of a dossier as a PDF signed by the issuing unit (PAdES, ``cqs.core.signing``).

The specialist's draft (a PDF uploaded as ``FileRole.DRAFT_RESULT``) is signed as it is; without
one, the result notice is printed from the ``onestop_result`` layout with the result text the
specialist proposed. The signature is the unit's (its certificate names the unit and its
electronic identifier), applied when the leader approves.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from cqs.core.signing import pdf_sign
from cqs.onestop.choices import FileRole


def _draft_pdf(dossier) -> bytes | None:
    draft = (
        dossier.files.filter(role=FileRole.DRAFT_RESULT, content_type="application/pdf")
        .order_by("-pk")
        .first()
    )
    if draft is None:
        return None
    with draft.file.open("rb") as handle:
        return handle.read()


def result_issue(*, dossier, approver, at: datetime) -> bytes:
    from cqs.core.printing import pdf_render
    from cqs.onestop.printing import dossier_print_context

    pdf = _draft_pdf(dossier)
    if pdf is None:
        context = dossier_print_context(dossier, officer=approver)
        context["result_summary"] = dossier.result_summary
        context["approved_at"] = timezone.localtime(at)
        pdf = pdf_render(template_code="onestop_result", context=context)
    unit = dossier.handling_unit or dossier.unit
    return pdf_sign(
        pdf=pdf,
        unit=unit,
        reason=f"Kết quả giải quyết hồ sơ {dossier.code}",
        location=unit.name,
    )
