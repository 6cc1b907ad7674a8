"""The one settings module of conflictmap.

Everything that differs between a laptop, the test suite and production is read from the
environment through the small typed helpers below. With nothing set, the project runs in
its *embedded mode*: SpatiaLite under ``var/``, Celery tasks run inline, a local-memory
cache. Setting ``DATABASE_URL`` (postgis://...) and ``CELERY_BROKER_URL`` (redis://...)
switches to the real services; the README lists the production variables.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CONFLICTMAP_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- Mode ---------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
EMBEDDED = not DATABASE_URL
DEBUG = env_bool("DEBUG", default=False)


def _secret_key() -> str:
    """Production must bring its own key; the embedded mode keeps one in ``var/``.

    A key generated per process would log everyone out on every restart, and a key in
    the repository would be public, so the embedded default writes one once.
    """
    key = env_str("SECRET_KEY")
    if key:
        return key
    if not EMBEDDED:
        raise ImproperlyConfigured("SECRET_KEY must be set when DATABASE_URL is set.")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- Applications -------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "leaflet",
    "simple_history",
    "axes",
    "csp",
    "events",
    "ingest",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "conflictmap.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "conflictmap.urls"
WSGI_APPLICATION = "conflictmap.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "events.context_processors.map_settings",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------
if EMBEDDED:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.contrib.gis.db.backends.spatialite",
            "NAME": str(VAR_DIR / env_str("SQLITE_NAME", "conflictmap.sqlite3")),
            "OPTIONS": {"timeout": 20},
        }
    }
else:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------------
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery -------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL) or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task not acknowledged within this time (its worker died) is handed to another worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 120)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 180)
# Extra task modules for a worker to import (the test suite registers its own this way).
CELERY_IMPORTS = env_list("CELERY_EXTRA_IMPORTS")
# Snapshots have their own queue, so a backlog of articles never starves them: every
# worker consumes both by default, and a dedicated renderer can take -Q snapshots alone.
CELERY_TASK_ROUTES = {"events.render_snapshot": {"queue": "snapshots"}}
CELERY_BEAT_SCHEDULE = {
    "poll-due-sources": {"task": "ingest.tasks.poll_due_sources", "schedule": timedelta(minutes=1)},
}

# --- Auth and security --------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
# An address that fails too often is locked out, and so is an account guessed at from many
# addresses (which lets someone lock a known editor out for the cool-off time; an admin
# lifts it with `manage.py axes_reset_username NAME`).
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_CLIENT_IP_CALLABLE = "conflictmap.client_ip.client_ip"

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not EMBEDDED and not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not EMBEDDED and not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not EMBEDDED and not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if EMBEDDED or DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY") else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Two deploy checks are silenced on purpose (README, "Production"):
# - gis.W001: Debian 12 ships GDAL 3.6, which cannot block file/network access from
#   spatial reference definitions. Only authenticated staff submit geometries (the admin
#   map widget); the public API parses no geometry, only numbers (bbox).
# - security.W021: HSTS preloading is a commitment for the whole domain; opt in with
#   SECURE_HSTS_PRELOAD=1 once the domain is ready.
SILENCED_SYSTEM_CHECKS = env_list("SILENCED_SYSTEM_CHECKS", "gis.W001" + ("" if env_bool("SECURE_HSTS_PRELOAD") else ",security.W021"))

TILE_URL = env_str("TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
TILE_ATTRIBUTION = env_str(
    "TILE_ATTRIBUTION", '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
_tile_origin = "/".join(TILE_URL.split("/")[:3]) if TILE_URL.startswith("http") else ""
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"] + ([_tile_origin] if _tile_origin else []),
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}

# --- I18n ---------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ar", "العربية")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / env_str("STATIC_ROOT", "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"

# --- REST framework -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle", "rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_RATE_ANON", "600/minute"),
        "user": env_str("API_RATE_USER", "1200/minute"),
        "snapshot": env_str("SNAPSHOT_RATE", "30/minute"),
    },
    # Whose address a rate limit counts: the connection's own (REMOTE_ADDR), or, behind a
    # reverse proxy, the last X-Forwarded-For entry (the one the proxy added). Unset, DRF
    # trusts the whole header and a client escapes its limit by making up a new one per request.
    "NUM_PROXIES": env_int("NUM_PROXIES", 1 if env_bool("BEHIND_TLS_PROXY") else 0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "conflictmap API",
    "DESCRIPTION": "Strikes and attacks extracted from news articles, as GeoJSON and ACLED-compatible CSV.",
    "VERSION": "1.0.0",
}

LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (33.5, 40.0),
    "DEFAULT_ZOOM": 5,
    "TILES": [("OpenStreetMap", TILE_URL, {"attribution": TILE_ATTRIBUTION})] if TILE_URL else [],
    "ATTRIBUTION_PREFIX": "conflictmap · GeoNames (CC BY 4.0)",
}

# --- conflictmap ---------------------------------------------------------------------
FETCH_TIMEOUT = env_float("FETCH_TIMEOUT", 15.0)
FETCH_MAX_BYTES = env_int("FETCH_MAX_BYTES", 5 * 1024 * 1024)
FETCH_MAX_REDIRECTS = env_int("FETCH_MAX_REDIRECTS", 5)
FETCH_USER_AGENT = env_str("FETCH_USER_AGENT", "conflictmap/1.0 (+news event mapping; contact: admin@localhost)")
# Hosts that may be fetched although they resolve to private or loopback addresses.
FETCH_ALLOWED_PRIVATE_HOSTS = env_list("FETCH_ALLOWED_PRIVATE_HOSTS")
KEEP_RAW_HTML = env_bool("KEEP_RAW_HTML", default=False)
# Longer article texts are extracted up to this many characters (the article says so in its error).
EXTRACT_MAX_CHARS = env_int("EXTRACT_MAX_CHARS", 100_000)
# Retries of ingestion tasks: exponential backoff, capped below the broker's visibility
# timeout so that a retried task is never also redelivered as a lost one.
INGEST_MAX_RETRIES = env_int("INGEST_MAX_RETRIES", 4)
INGEST_RETRY_BACKOFF = env_float("INGEST_RETRY_BACKOFF", 30.0)
INGEST_RETRY_BACKOFF_MAX = env_float("INGEST_RETRY_BACKOFF_MAX", 1800.0)
# Articles left queued or fetched this long are sent again by the beat's poll (a lost message).
INGEST_STALE_MINUTES = env_int("INGEST_STALE_MINUTES", 30)
GEOCODER = env_str("GEOCODER", "")  # "" = offline only; "nominatim" to allow online look-ups
GEOCODER_URL = env_str("GEOCODER_URL", "")
GEOCODER_USER_AGENT = env_str("GEOCODER_USER_AGENT", FETCH_USER_AGENT)
FUSION_RADIUS_KM = env_float("FUSION_RADIUS_KM", 5.0)
SNAPSHOT_DIR = VAR_DIR / "snapshots"
SNAPSHOT_TIMEOUT = env_float("SNAPSHOT_TIMEOUT", 30.0)
SNAPSHOT_MAX_PIXELS = env_int("SNAPSHOT_MAX_PIXELS", 3000)
CHROMIUM_PATH = env_str("CHROMIUM_PATH", "/usr/bin/chromium")
API_MAX_FEATURES = env_int("API_MAX_FEATURES", 50000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- Embed and snapshots (issue 8: /embed/, /snapshot.png) ------------------------------
# Who may frame /embed/ (CSP frame-ancestors; every other page keeps 'none' and DENY).
EMBED_FRAME_ANCESTORS = env_list("EMBED_FRAME_ANCESTORS", "*")
# Where rendered PNGs are kept; must be shared by the web processes and the workers.
SNAPSHOT_DIR = Path(env_str("SNAPSHOT_DIR", str(SNAPSHOT_DIR)))
# How the worker's browser reaches this site (e.g. http://web:8000); empty: the request's own origin.
SNAPSHOT_BASE_URL = env_str("SNAPSHOT_BASE_URL", "")
# How many PNGs the disk cache keeps (the least recently used go first).
SNAPSHOT_CACHE_FILES = env_int("SNAPSHOT_CACHE_FILES", 1000)
# How long (s) the stamp of the data's last change is trusted before it is counted again.
SNAPSHOT_STAMP_TTL = env_int("SNAPSHOT_STAMP_TTL", 10)
