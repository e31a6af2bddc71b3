"""The enrolment QR code as inline SVG: no image file, no script, nothing fetched."""

import qrcode
import qrcode.image.svg
from django.utils.safestring import SafeString, mark_safe


def qr_svg(data: str, *, label: str) -> SafeString:
    """An accessible SVG QR code of `data` (built from elements, so `label` is escaped)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=4)
    root = image._img
    root.attrib.update(
        {"width": "220", "height": "220", "role": "img", "aria-label": label},
    )
    root.set("style", "background:#fff")
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308 (built by ElementTree)
