"""The front page says what the project is; /healthz answers when the database does."""
import pytest

pytestmark = [pytest.mark.smoke, pytest.mark.django_db]


def test_the_front_page_names_the_project(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"conflictmap" in response.content


def test_healthz_answers_ok_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
