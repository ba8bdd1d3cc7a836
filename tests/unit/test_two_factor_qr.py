"""The two-factor set-up page shows a QR code of this device's otpauth:// address, drawn on the server as SVG."""

import re
from base64 import b64decode

import pytest
import qrcode
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

MODULE = re.compile(r"M([\d.]+),([\d.]+)H")


def _dark_modules(svg: str) -> set[tuple[int, int]]:
    """(row, column) of each dark square of qrcode's path SVG, its quiet zone taken off."""
    corners = [(float(x), float(y)) for x, y in MODULE.findall(svg)]
    size = min(b[0] - a[0] for a, b in zip(corners, corners[1:]) if b[1] == a[1] and b[0] > a[0])
    left, top = min(x for x, _ in corners), min(y for _, y in corners)
    return {(round((y - top) / size), round((x - left) / size)) for x, y in corners}


def _expected(url: str) -> set[tuple[int, int]]:
    code = qrcode.QRCode(border=0)
    code.add_data(url)
    matrix = code.get_matrix()
    return {(r, c) for r, row in enumerate(matrix) for c, dark in enumerate(row) if dark}


def test_setup_page_shows_the_devices_address_as_a_qr_code(client, staff):
    client.force_login(staff)
    page = client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    html = page.content.decode()
    url = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"[^>]*data-testid="totp-qr"', html).group(1)
    svg = b64decode(url).decode()
    assert "style" not in svg and "<script" not in svg
    assert _dark_modules(svg) == _expected(device.config_url)
    # Reloading keeps the pending device, so the code already scanned stays valid.
    assert url in client.get(reverse("two_factor_setup")).content.decode()
