"""Checks on a file a person uploads, before anything stores it.

Every refusal is a ``ServiceError`` with a stable code and a message a citizen can act on, never
a 500. The checks run cheapest and least trusting first:

1. empty, then too large (no parsing at all);
2. the kind, read from the first bytes and matched against the name's extension (no parsing);
3. the virus scan by clamd, when ``settings.CQS_CLAMD`` is set, *before* any parser reads the
   content, so a file crafted against a PDF or image parser reaches the scanner first; and
   fail-closed: if clamd cannot answer, the file is refused, not accepted unscanned;
4. the content really opens: a PDF with at least one page and no encryption, an image that
   Pillow verifies and that is not a decompression bomb.

The caller sets ``field`` on the error (``exc.field = "attachment"``) when it reports it on a form.
"""

import hashlib
import io
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from cqs.core.clamav import ScannerUnavailable, clamav_scan
from cqs.core.exceptions import ServiceError

logger = logging.getLogger(__name__)

NAME_MAX_CHARS = 150
# 50 million pixels covers any phone camera or A4 scan at 600 dpi (~35 MP); beyond that an image
# is more likely a decompression bomb than a document.
IMAGE_MAX_PIXELS = 50_000_000

# kind: (magic bytes at offset 0, accepted extensions, content type, name shown to people)
KINDS = {
    "pdf": (b"%PDF-", ("pdf",), "application/pdf", "PDF"),
    "jpeg": (b"\xff\xd8\xff", ("jpg", "jpeg"), "image/jpeg", "JPG"),
    "png": (b"\x89PNG\r\n\x1a\n", ("png",), "image/png", "PNG"),
}
DEFAULT_ALLOWED = ("pdf", "jpeg", "png")

# Characters Windows forbids in names, plus the path separators; the rest of Unicode (Vietnamese
# letters with diacritics) is kept.
_UNSAFE = re.compile(r'[<>:"/\\|?*]')
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    kind: str
    content_type: str
    size: int
    sha256: str


class UploadScanUnavailable(ServiceError):
    # Not the citizen's fault: "try again later" (HTTP 503), not "fix your file" (400).
    status = 503


def upload_check(
    *, name: str, data: bytes, allowed: Iterable[str] = DEFAULT_ALLOWED, max_bytes: int | None = None
) -> CheckedUpload:
    """Check an uploaded file; return what is known about it, or raise ``ServiceError``."""
    allowed = tuple(dict.fromkeys(allowed))
    unknown = set(allowed) - KINDS.keys()
    if unknown or not allowed:
        raise ValueError(f"unknown upload kinds: {sorted(unknown)}")
    if max_bytes is None:
        max_bytes = settings.CQS_UPLOAD_MAX_MB * 1024 * 1024

    if not data:
        raise ServiceError("upload_empty", _("Tệp rỗng (0 byte). Vui lòng chọn lại tệp."))
    if len(data) > max_bytes:
        raise ServiceError(
            "upload_too_large",
            _("Tệp quá lớn: dung lượng tối đa là %(limit)s MB."),
            params={"limit": _megabytes(max_bytes)},
        )

    stem, extension = _split_name(name)
    kind = next((k for k, (magic, *_rest) in KINDS.items() if data.startswith(magic)), None)
    if kind not in allowed or extension not in KINDS[kind][1]:
        raise ServiceError(
            "upload_type_not_allowed",
            _("Chỉ nhận tệp %(kinds)s; phần mở rộng của tên tệp phải đúng với loại tệp."),
            params={"kinds": ", ".join(KINDS[k][3] for k in allowed)},
        )

    sha256 = hashlib.sha256(data).hexdigest()
    if settings.CQS_CLAMD:
        _scan(data, sha256)

    if kind == "pdf":
        _check_pdf(data)
    else:
        _check_image(data, kind)

    return CheckedUpload(
        name=_clean_name(stem, extension),
        kind=kind,
        content_type=KINDS[kind][2],
        size=len(data),
        sha256=sha256,
    )


def upload_check_file(
    *, file, allowed: Iterable[str] = DEFAULT_ALLOWED, max_bytes: int | None = None
) -> tuple[CheckedUpload, bytes]:
    """``upload_check`` on a Django ``UploadedFile``; returns the result and the bytes read.

    Reads at most one byte over the limit, so an oversize file (Django spools large ones to
    disk) is refused without being loaded into memory.
    """
    if max_bytes is None:
        max_bytes = settings.CQS_UPLOAD_MAX_MB * 1024 * 1024
    file.seek(0)
    data = file.read(max_bytes + 1)
    return upload_check(name=file.name or "", data=data, allowed=allowed, max_bytes=max_bytes), data


def _megabytes(size: int) -> str:
    # Three significant digits: "10", "2,5", and something non-zero for tiny test limits.
    megabytes = float(f"{size / (1024 * 1024):.3g}")
    return number_format(int(megabytes) if megabytes.is_integer() else megabytes)


def _split_name(name: str) -> tuple[str, str]:
    """(stem, lower-case extension) of the last path part of ``name``; browsers may send paths."""
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", name or ""))[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")  # control, format
    stem, dot, extension = base.rpartition(".")
    if not dot:
        return base, ""
    return stem, extension.strip().lower()


def _clean_name(stem: str, extension: str) -> str:
    stem = _SPACES.sub(" ", _UNSAFE.sub("_", stem)).strip(" .")
    stem = (stem or "tep")[: NAME_MAX_CHARS - len(extension) - 1].rstrip(" .") or "tep"
    return f"{stem}.{extension}"


def _scan(data: bytes, sha256: str) -> None:
    # The file's name is never logged: citizens name files after themselves ("CCCD_0123...").
    try:
        result = clamav_scan(data)
    except ScannerUnavailable as exc:
        logger.error("upload not scanned, clamd unavailable: %s (sha256 %s)", exc, sha256)
        raise UploadScanUnavailable(
            "upload_scan_unavailable",
            _("Hệ thống chưa kiểm tra được mã độc của tệp. Vui lòng thử lại sau ít phút."),
        ) from exc
    if not result.clean:
        logger.warning(
            "upload refused, malware %s (sha256 %s, %d bytes)", result.signature, sha256, len(data)
        )
        # The signature's name stays in the log, for staff: shown on the page it would only tell
        # an attacker which signature caught the file.
        raise ServiceError("upload_infected", _("Tệp có mã độc, không được tiếp nhận."))


def _corrupt(exc: BaseException | None = None) -> ServiceError:
    if exc is not None:
        logger.info("upload refused as corrupt: %s", type(exc).__name__)
    return ServiceError(
        "upload_corrupt", _("Tệp bị hỏng hoặc không đọc được. Vui lòng kiểm tra lại tệp rồi tải lên.")
    )


def _check_pdf(data: bytes) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader

    # Any exception from a parser fed untrusted bytes means "cannot read it": parsers raise
    # KeyError, IndexError, RecursionError... as well as their own PdfReadError.
    try:
        # Non-strict: phone scanner apps write slightly malformed PDFs that readers all open.
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        encrypted = reader.encrypted
        if not encrypted:
            count = reader.root["/Pages"]["/Count"]
            # Walks the page tree to the first page: a lying /Count or a page-less tree fails.
            reader.find_page_for_modification(0)
    except Exception as exc:
        raise _corrupt(exc) from exc
    if encrypted:
        # Even "owner password only" PDFs: staff must be able to stamp, sign and archive them.
        raise ServiceError(
            "upload_encrypted",
            _("Tệp PDF đang được đặt mật khẩu hoặc mã hóa. Vui lòng gỡ mật khẩu rồi tải lên lại."),
        )
    if not isinstance(count, int) or count < 1:
        raise _corrupt()


def _check_image(data: bytes, kind: str) -> None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=[kind.upper()]) as image:
            width, height = image.size
            if width * height > IMAGE_MAX_PIXELS:
                raise _image_too_large()
            image.verify()
        if kind == "jpeg":
            # verify() reads nothing of a JPEG's pixels, so a cut-off photo passes it; decoding at
            # 1/8 scale (DCT draft mode) reads every byte for a fraction of the memory.
            with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                image.load()
    except ServiceError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own, larger, limit
        raise _image_too_large() from exc
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, struct.error...
        raise _corrupt(exc) from exc


def _image_too_large() -> ServiceError:
    return ServiceError(
        "upload_corrupt",
        _("Ảnh quá lớn: tối đa %(limit)s triệu điểm ảnh."),
        params={"limit": IMAGE_MAX_PIXELS // 1_000_000},
    )
