"""Locust users of bench/load/site.py: clinic staff browsing patients and cases and uploading images, and
dermatologists working the review queue. Each signs in through the sign-in page first (all at once: a burst;
a "busy, try again" answer is tried again after its Retry-After).

The users and records come from bench/load/site.py (BENCH_USERS_FILE: a JSON list of accounts with the
public ids each may open).
"""

import io
import json
import os
import random
import re
from pathlib import Path

import gevent
from locust import HttpUser, between, events, task
from PIL import Image

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ACCOUNTS = json.loads(Path(os.environ["BENCH_USERS_FILE"]).read_text())  # {"staff": [...], "dermatologist": [...]}
_next_account = {role: iter(accounts) for role, accounts in ACCOUNTS.items()}


def _jpeg(seed: int) -> bytes:
    rng = random.Random(seed)  # noqa: S311  load, not secrets
    picture = Image.new("RGB", (640, 480), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    for _ in range(12):
        x, y = rng.randrange(600), rng.randrange(440)
        picture.paste((rng.randrange(256), rng.randrange(256), rng.randrange(256)), (x, y, x + 40, y + 40))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90)
    return out.getvalue()


class SignedInUser(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)

    def on_start(self):
        self.account = next(_next_account[self.role])
        page = self.client.get("/accounts/login/", name="sign-in page")
        token = CSRF.search(page.text).group(1)
        form = {"username": self.account["username"], "password": self.account["password"], "csrfmiddlewaretoken": token}
        while True:
            with self.client.post(
                "/accounts/login/", name="sign-in", data=form, allow_redirects=False, catch_response=True
            ) as answer:
                if answer.status_code == 429 and "Retry-After" in answer.headers:
                    # Busy hashing other sign-ins' passwords: tried again after Retry-After, as a person would;
                    # counted on a row of its own ("sign-in busy (429), retried"), not as a failure.
                    answer.success()
                    busy = True
                else:
                    busy = False
                    if answer.status_code != 302 or "/login/" in answer.headers.get("Location", ""):
                        answer.failure(f"sign-in refused: {answer.status_code}")
            if not busy:
                return
            self.environment.events.request.fire(
                request_type="POST", name="sign-in busy (429), retried", response_time=0, response_length=0,
                exception=None, context={},
            )
            gevent.sleep(float(answer.headers["Retry-After"]))

    def get(self, url: str, name: str):
        with self.client.get(url, name=name, catch_response=True) as answer:
            if answer.status_code != 200 or "/accounts/login/" in answer.url:
                answer.failure(f"{answer.status_code} at {answer.url}")


class Staff(SignedInUser):
    weight = 4
    role = "staff"

    @task(3)
    def patient_list(self):
        self.get("/patients/", "patient list")

    @task(3)
    def patient(self):
        self.get(f"/patients/{random.choice(self.account['patients'])}/", "patient")  # noqa: S311  load, not secrets

    @task(4)
    def case(self):
        self.get(f"/cases/{random.choice(self.account['cases'])}/", "case")  # noqa: S311  load, not secrets

    @task(1)
    def upload(self):
        case = random.choice(self.account["upload_cases"])  # noqa: S311  load, not secrets
        page = self.client.get(f"/cases/{case}/", name="case")
        token = CSRF.search(page.text).group(1)
        image = _jpeg(random.getrandbits(48))  # noqa: S311  load, not secrets
        with self.client.post(
            f"/cases/{case}/images/", name="upload (640×480 JPEG)", data={"csrfmiddlewaretoken": token},
            files={"images": ("lesion.jpg", image, "image/jpeg")}, allow_redirects=False, catch_response=True,
        ) as answer:
            if answer.status_code != 302 or "upload-errors" in answer.headers.get("Location", ""):
                answer.failure(f"upload refused: {answer.status_code} {answer.headers.get('Location')}")


class Dermatologist(SignedInUser):
    weight = 1
    role = "dermatologist"

    @task(3)
    def queue(self):
        self.get("/review/", "review queue")

    @task(1)
    def queue_page_2(self):
        self.get("/review/?page=2", "review queue")

    @task(3)
    def case_review(self):
        self.get(f"/review/cases/{random.choice(self.account['cases'])}/", "case review")  # noqa: S311  load, not secrets


@events.test_start.add_listener
def _check_accounts(environment, **kwargs):
    if any(len(accounts) < environment.parsed_options.num_users for accounts in ACCOUNTS.values()):
        raise RuntimeError("bench/load/site.py made too few accounts")
