"""Who may do what: the admin is for staff only, logins are rate-limited, every form has CSRF,
production sends secure cookies, HSTS and a Content-Security-Policy, and the public API only
reads and is rate-limited per client (a client cannot escape its limit by making up an
``X-Forwarded-For`` header).

The Editors group's permissions are tested with the admin (tests/events/test_editors_group.py).
"""
from __future__ import annotations

import json
import secrets
import subprocess
import sys

import lxml.html
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from tests.harness import REPO
from tests.reliability.test_postgres_restart import static_paths

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unguessable passphrase 7"
ADMIN_PATHS = [p for p in static_paths() if p.startswith("/admin/") and p not in (
    "/admin/login/", "/admin/logout/", "/admin/jsi18n/")]
API_PATHS = ["/api/events/", "/api/events/1/", "/api/timeline/", "/api/sites/", "/api/events.csv", "/api/schema/"]


def user(username: str, **flags) -> User:
    return User.objects.create_user(username, f"{username}@example.org", PASSWORD, **flags)


def client_for(u: User | None, **kwargs) -> Client:
    c = Client(**kwargs)
    if u is not None:
        c.force_login(u, backend="django.contrib.auth.backends.ModelBackend")
    return c


# --- The admin: staff only ------------------------------------------------------------------
def test_the_admin_has_pages_to_check():
    assert "/admin/" in ADMIN_PATHS and "/admin/events/event/" in ADMIN_PATHS
    assert "/admin/ingest/article/" in ADMIN_PATHS and "/admin/ingest/article/paste/" in ADMIN_PATHS


@pytest.mark.parametrize("who", ["anonymous", "active non-staff user"])
def test_every_admin_page_sends_non_staff_to_the_login_page(who):
    c = client_for(None if who == "anonymous" else user("reader"))
    for path in ADMIN_PATHS:
        response = c.get(path, secure=True)
        assert response.status_code == 302, (path, response.status_code)
        assert response["Location"].startswith("/admin/login/?next="), (path, response["Location"])
        # And writing is refused the same way.
        response = c.post(path, {"title": "x"}, secure=True)
        assert response.status_code in (302, 403), (path, response.status_code)


def test_staff_without_permissions_sees_no_model_and_cannot_add_articles():
    c = client_for(user("intern", is_staff=True))
    assert c.get("/admin/", secure=True).status_code == 200
    for path in ("/admin/events/event/", "/admin/events/event/add/", "/admin/ingest/article/",
                 "/admin/ingest/article/paste/", "/admin/ingest/article/add-url/", "/admin/auth/user/"):
        assert c.get(path, secure=True).status_code == 403, path


def test_an_inactive_staff_account_cannot_log_in():
    user("former", is_staff=True, is_active=False)
    c = Client()
    response = c.post("/admin/login/?next=/admin/", {"username": "former", "password": PASSWORD}, secure=True,
                      REMOTE_ADDR="10.1.0.1")
    assert response.status_code == 200 and b"correct username and password" in response.content
    assert c.get("/admin/", secure=True).status_code == 302


# --- Login attempts are rate-limited (django-axes) ---------------------------------------------
def login(username: str, password: str, ip: str):
    c = Client()
    response = c.post("/admin/login/?next=/admin/", {"username": username, "password": password}, secure=True,
                      REMOTE_ADDR=ip)
    return response, c


def test_login_attempts_are_limited_per_user_and_per_address():
    limit = settings.AXES_FAILURE_LIMIT
    assert 1 <= limit <= 10
    user("editor", is_staff=True)
    response, c = login("editor", PASSWORD, "10.2.0.1")
    assert response.status_code == 302 and c.get("/admin/", secure=True).status_code == 200  # the password works
    for _ in range(limit):
        response, _ = login("editor", "wrong guess", "10.2.0.2")
        assert response.status_code in (200, 429)
    # Locked out: even the right password is refused now, from that address and from another one.
    for ip in ("10.2.0.2", "10.2.0.3"):
        response, c = login("editor", PASSWORD, ip)
        assert response.status_code == 429, ip
        assert c.get("/admin/", secure=True).status_code == 302  # not logged in
    # The guessing address is locked for other accounts too.
    user("other", is_staff=True)
    assert login("other", PASSWORD, "10.2.0.2")[0].status_code == 429
    assert login("other", PASSWORD, "10.2.0.9")[0].status_code == 302


def test_made_up_forwarded_for_headers_do_not_reset_the_login_limit():
    user("victim", is_staff=True)
    for i in range(settings.AXES_FAILURE_LIMIT + 2):
        c = Client()
        c.post("/admin/login/", {"username": f"nobody{i}", "password": "x"}, secure=True, REMOTE_ADDR="10.3.0.1",
               HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    response, _ = login("victim", PASSWORD, "10.3.0.1")
    assert response.status_code == 429


# --- CSRF ---------------------------------------------------------------------------------------
def test_every_admin_form_carries_a_csrf_token():
    admin = user("boss", is_staff=True, is_superuser=True)
    c = client_for(admin)
    checked = 0
    for path in ADMIN_PATHS:
        response = c.get(path, secure=True)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        doc = lxml.html.fromstring(response.content)
        for form in doc.xpath("//form[translate(@method, 'POST', 'post')='post']"):
            assert form.xpath(".//input[@name='csrfmiddlewaretoken']"), (path, lxml.html.tostring(form)[:200])
            checked += 1
    assert checked >= 10


def test_forms_posted_without_a_csrf_token_are_refused():
    admin = user("boss", is_staff=True, is_superuser=True)
    strict = client_for(admin, enforce_csrf_checks=True)
    for path, data in [
        ("/admin/ingest/article/paste/", {"title": "t", "text": "Some text long enough to be an article."}),
        ("/admin/ingest/article/add-url/", {"url": "https://news.example/a"}),
        ("/admin/events/event/add/", {"event_date": "2025-01-01"}),
        ("/admin/auth/user/add/", {"username": "intruder", "password1": "x", "password2": "x"}),
        ("/admin/logout/", {}),
    ]:
        response = strict.post(path, data, secure=True)
        assert response.status_code == 403, (path, response.status_code)
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post("/admin/login/", {"username": "boss", "password": PASSWORD}, secure=True).status_code == 403
    from ingest.models import Article

    assert not Article.objects.exists() and not User.objects.filter(username="intruder").exists()


def test_the_session_and_csrf_cookies_cannot_be_read_by_scripts_and_stay_on_https(settings):
    # The test servers speak plain HTTP, so the run turns secure cookies off; turn them on
    # as production does (test_production_settings_... checks production's own values).
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    user("editor", is_staff=True)
    c = Client()
    c.get("/admin/login/", secure=True)
    response = c.post("/admin/login/?next=/admin/", {"username": "editor", "password": PASSWORD}, secure=True,
                      REMOTE_ADDR="10.4.0.1")
    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["samesite"] in ("Lax", "Strict")
    assert session["secure"] and c.cookies[settings.CSRF_COOKIE_NAME]["secure"]


# --- Production settings: secure cookies, HSTS, CSP, HTTPS ----------------------------------------
PRODUCTION_PROBE = r"""
import json, django
django.setup()
from django.conf import settings
from django.test import Client
c = Client(HTTP_HOST="conflictmap.example.org")
out = {"settings": {k: getattr(settings, k) for k in (
    "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_SSL_REDIRECT", "SECURE_CONTENT_TYPE_NOSNIFF", "X_FRAME_OPTIONS")}}
plain = c.get("/")
out["http"] = [plain.status_code, plain.get("Location", "")]
for path in ("/", "/admin/login/", "/api/events/"):
    r = c.get(path, secure=True)
    out[path] = {"status": r.status_code, "headers": {k.lower(): v for k, v in r.items()},
                 "cookies": {name: {"secure": bool(m["secure"]), "httponly": bool(m["httponly"])}
                             for name, m in r.cookies.items()}}
print(json.dumps(out))
"""


@pytest.fixture
def production_env(tmp_path):
    from tests.harness import worker_env

    env = worker_env()  # this test database, through the environment, as production reads it
    for name in ("DEBUG", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
                 "CELERY_EXTRA_IMPORTS", "FETCH_ALLOWED_PRIVATE_HOSTS", "API_RATE_ANON", "API_RATE_USER"):
        env.pop(name, None)
    env.update(SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="conflictmap.example.org",
               CONFLICTMAP_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="conflictmap.settings")
    return env


def run_probe(env: dict[str, str], script: str) -> dict:
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)
def test_production_settings_send_hsts_csp_and_secure_cookies_and_redirect_to_https(production_env):
    out = run_probe(production_env, PRODUCTION_PROBE)
    s = out["settings"]
    assert s["DEBUG"] is False and s["SESSION_COOKIE_SECURE"] and s["CSRF_COOKIE_SECURE"] and s["SESSION_COOKIE_HTTPONLY"]
    assert s["SECURE_HSTS_SECONDS"] >= 31536000 and s["SECURE_SSL_REDIRECT"] and s["X_FRAME_OPTIONS"] == "DENY"
    assert out["http"][0] == 301 and out["http"][1].startswith("https://conflictmap.example.org/")
    for path in ("/", "/admin/login/", "/api/events/"):
        page = out[path]
        assert page["status"] == 200, (path, page["status"])
        headers = page["headers"]
        assert headers["strict-transport-security"].startswith("max-age=31536000"), path
        csp = headers.get("content-security-policy", "")
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, path
        assert "'unsafe-inline'" not in csp.split("script-src", 1)[-1].split(";")[0], (path, csp)
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY", path
        for name, cookie in page["cookies"].items():
            assert cookie["secure"], (path, name)
    assert out["/admin/login/"]["cookies"]["csrftoken"]["secure"]


# --- The public API: read-only, rate-limited per client --------------------------------------------
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_public_api_refuses_every_write_even_from_staff(method):
    from events.models import Event

    admin = user("boss", is_staff=True, is_superuser=True)
    for c in (Client(), client_for(admin), client_for(admin, enforce_csrf_checks=True)):
        for path in API_PATHS:
            response = getattr(c, method)(path, data=json.dumps({"event_date": "2025-01-01"}),
                                          content_type="application/json", secure=True)
            assert response.status_code in (403, 405), (method, path, response.status_code)
    assert not Event.objects.exists()


RATE_PROBE = r"""
import json, django
django.setup()
from django.test import Client

def get(ip, xff=None):
    extra = {"HTTP_X_FORWARDED_FOR": xff} if xff else {}
    r = Client().get("/api/events/", secure=True, HTTP_HOST="127.0.0.1", REMOTE_ADDR=ip, **extra)
    return r.status_code, r.get("Retry-After")

out = {}
out["one_client"] = [get("10.9.0.1") for _ in range(7)]
out["another_client"] = get("10.9.0.2")
out["made_up_forwarded_for"] = [get("10.9.0.3", f"198.51.100.{i}") for i in range(7)]
print(json.dumps(out))
"""

PROXY_PROBE = r"""
import json, django
django.setup()
from django.test import Client

def get(xff):
    # Every request comes from the proxy's address; the proxy appends the client's own.
    r = Client().get("/api/events/", secure=True, HTTP_HOST="127.0.0.1", REMOTE_ADDR="10.0.0.254",
                     HTTP_X_FORWARDED_FOR=xff)
    return r.status_code

out = {}
out["client_a"] = [get("203.0.113.1") for _ in range(6)]
out["client_b"] = get("203.0.113.2")
out["client_a_making_up_entries"] = [get(f"198.51.100.{i}, 203.0.113.1") for i in range(3)]
print(json.dumps(out))
"""


@pytest.mark.django_db(transaction=True)
def test_the_public_api_is_rate_limited_per_client(production_env):
    env = {**production_env, "API_RATE_ANON": "5/minute", "ALLOWED_HOSTS": "127.0.0.1"}
    out = run_probe(env, RATE_PROBE)
    statuses = [s for s, _ in out["one_client"]]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429], statuses
    assert int(out["one_client"][5][1]) > 0  # Retry-After
    assert out["another_client"][0] == 200  # a limit per client, not for everyone
    spoofed = [s for s, _ in out["made_up_forwarded_for"]]
    assert spoofed[5:] == [429, 429], f"an X-Forwarded-For header made up by the client escapes the limit: {spoofed}"


@pytest.mark.django_db(transaction=True)
def test_behind_a_proxy_the_limit_counts_the_address_the_proxy_saw(production_env):
    env = {**production_env, "API_RATE_ANON": "5/minute", "ALLOWED_HOSTS": "127.0.0.1", "BEHIND_TLS_PROXY": "1"}
    out = run_probe(env, PROXY_PROBE)
    assert out["client_a"] == [200] * 5 + [429]
    assert out["client_b"] == 200  # not everyone behind the proxy in one bucket
    assert out["client_a_making_up_entries"] == [429] * 3


def test_behind_a_trusted_proxy_the_login_limit_counts_the_address_the_proxy_saw(settings):
    """With one proxy, the right-most X-Forwarded-For hop is the client; the left ones are the client's own words."""
    from conflictmap.client_ip import client_ip
    from django.test import RequestFactory

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.7, 198.51.100.4")
    assert client_ip(request) == "198.51.100.4"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
    assert client_ip(request) == "10.0.0.2"
