"""Token authentication: obtain a token with username and password, then use it."""

from tests.factories import PASSWORD


def test_obtain_and_use_token(api, staff, patient):
    response = api.post("/api/token/", {"username": staff.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]

    fresh = api.__class__()
    response = fresh.get("/api/patients/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert [row["public_id"] for row in response.json()["results"]] == [str(patient.public_id)]

    response = fresh.post(
        "/api/cases/",
        {"patient": str(patient.public_id), "body_site": "back"},
        format="json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code == 201  # token requests need no CSRF token


def test_wrong_password_gets_no_token(api, staff):
    response = api.post("/api/token/", {"username": staff.username, "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_bad_token_is_401(api, staff):
    response = api.get("/api/patients/", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 401


def test_anonymous_is_401_with_token_challenge(api):
    response = api.get("/api/patients/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_admin_token_is_403(api, admin_user):
    response = api.post("/api/token/", {"username": admin_user.username, "password": PASSWORD}, format="json")
    token = response.json()["token"]
    assert api.get("/api/patients/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 403
