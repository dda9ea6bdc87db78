"""Presenting a TOTP secret to a person: the base32 text and a QR code as inline SVG.

The SVG is drawn on the server with ``qrcode``: no script, no inline style, no image request,
so it passes the Content-Security-Policy and works offline.
"""

from base64 import b32encode
from binascii import unhexlify

import qrcode
import qrcode.image.svg
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_config_url(*, user, key: str) -> str:
    """``otpauth://totp/CQS:username?secret=...`` for an authenticator app."""
    return TOTPDevice(user=user, key=key).config_url


def totp_secret_display(key: str) -> str:
    """The base32 secret in groups of four, for typing into an app by hand."""
    secret = b32encode(unhexlify(key.encode())).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    # An inline <svg> in HTML must not carry the XML declaration.
    if svg.startswith("<?xml"):
        svg = svg[svg.index("?>") + 2 :].lstrip()
    return svg
