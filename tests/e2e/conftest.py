"""A real Chromium (Debian's package) driven by Playwright against the live test server."""

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("DERM_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium package is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, username, password):
    """Sign in through the page; an admin (who must have two factors) gets a confirmed authenticator if they have
    none and types its real current code."""
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    from dermplatform.accounts.models import User

    user = User.objects.filter(username=username).first()
    if user is None or not user.is_platform_admin or not user.check_password(password):
        return
    from tests.two_factor import confirmed_device, current_code

    device = confirmed_device(user)
    page.wait_for_url("**/accounts/two-factor/**")
    if "/two-factor/setup/" in page.url:  # the device was created after the password was checked: ask again
        page.goto("/accounts/two-factor/verify/?next=/")
    page.fill("#id_code", current_code(device))
    page.click("main button[type=submit]")


def wait_for_images(page, selector: str, timeout: int = 15_000) -> None:
    """Wait until every image matching the selector has loaded real pixels (fails on broken images)."""
    page.wait_for_function(
        "sel => { const imgs = Array.from(document.querySelectorAll(sel));"
        " return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0); }",
        arg=selector,
        timeout=timeout,
    )
