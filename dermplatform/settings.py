"""Django settings, read from the environment.

With nothing set the platform runs on embedded defaults (SQLite and Celery's
file-system broker under var/). Tests and production set DATABASE_URL and
CELERY_BROKER_URL to PostgreSQL and Redis. DJANGO_PRODUCTION=1 turns on the
hardened configuration and refuses an insecure one.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .env import envbool, envfloat, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("DERM_VAR_DIR", str(BASE_DIR / "var")))

# Only for local development; production refuses to start with it.
INSECURE_DEFAULT_SECRET_KEY = "django-insecure-dermplatform-local-development-only"  # noqa: S105  (refused in production)

PRODUCTION = envbool("DJANGO_PRODUCTION", False)
SECRET_KEY = envstr("DJANGO_SECRET_KEY", INSECURE_DEFAULT_SECRET_KEY)
DEBUG = envbool("DJANGO_DEBUG", not PRODUCTION)
ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", [])

if PRODUCTION:
    if SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY or SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "DJANGO_PRODUCTION is set but DJANGO_SECRET_KEY is missing, the development default or shorter than 50 characters."
        )
    if DEBUG:
        raise ImproperlyConfigured("DJANGO_DEBUG must be off when DJANGO_PRODUCTION is set.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the host names when DJANGO_PRODUCTION is set.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",  # API tokens: stored hashed, expiring, revocable
    "django_otp",  # two-factor sign-in: TOTP authenticator apps and recovery codes
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "pgtrigger",  # PostgreSQL triggers declared on models, installed by migrations (history, append-only tables)
    "pghistory",  # the old and new values of clinical records and accounts (dermplatform.audit.history)
    "dermplatform",  # dermplatform.apps: the local folders, made at start-up
    "dermplatform.accounts",
    "dermplatform.audit",
    "patients",
    "diagnosis",
]

MIDDLEWARE = [
    # First: X-Forwarded-For/-Proto count only from DERM_TRUSTED_PROXIES (the TLS proxy), for everything after it.
    "dermplatform.forwarded.UntrustedForwardedHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every answer (settings below); image views send their own, stricter one.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dermplatform.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): a second factor entered this session
    # Signs out after idling or the absolute session lifetime, before anything reads the user.
    "dermplatform.accounts.sessions.SessionTimeoutMiddleware",
    # Records every access to patient data, allowed or denied (anonymous ones too: outside the login gate).
    "dermplatform.audit.middleware.AuditMiddleware",
    # Admins, and anyone who turned it on, enter a TOTP or recovery code before any page (admin included).
    "dermplatform.accounts.two_factor.TwoFactorMiddleware",
    # Every page requires a signed-in user unless marked @login_not_required.
    "dermplatform.middleware.PageLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Answers a sign-in page refused while every password-hashing slot is busy: 429 "try again", never a 5xx
    # (the API answers the same slots.Busy in dermplatform.api.exception_handler).
    "dermplatform.accounts.views.SignInBusyMiddleware",
    # Answers a locked-out sign-in with the lockout page; last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dermplatform.urls"
WSGI_APPLICATION = "dermplatform.wsgi.application"
ASGI_APPLICATION = "dermplatform.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dermplatform.accounts.context_processors.session",
                "dermplatform.api.context_processors.policy",
                "diagnosis.review.worklist.context_processors.worklist_count",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# The owner of the tables, for migrations and grants only (`manage.py db_roles --migrate`): DATABASE_URL's role then
# owns nothing and cannot alter or erase the audit trail (dermplatform.audit.db_roles). Never given to the app.
DERM_DATABASE_OWNER = dj_database_url.parse(envstr("DATABASE_OWNER_URL")) if envstr("DATABASE_OWNER_URL") else None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out user name or address before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Argon2id first (dermplatform.accounts.hashers); the others only check hashes stored before and are replaced.
PASSWORD_HASHERS = [
    "dermplatform.accounts.hashers.Argon2idPasswordHasher",
    "dermplatform.accounts.hashers.PBKDF2PasswordHasher",
    "dermplatform.accounts.hashers.PBKDF2SHA1PasswordHasher",
    "dermplatform.accounts.hashers.ScryptPasswordHasher",
]
# Passwords are hashed at most DERM_SIGN_IN_SLOTS at once on the machine, across web workers (default: the cores
# less one, so a burst of sign-ins leaves a core to the other pages; 0: no limit). A check that finds every slot
# busy waits up to DERM_SIGN_IN_WAIT seconds, at most DERM_SIGN_IN_WAITING of them at a time (each holds a web
# worker); past that, sign-in answers 429 "busy, try again" (dermplatform.accounts.hashing_slots).
DERM_SIGN_IN_SLOTS = envint("DERM_SIGN_IN_SLOTS", max(1, len(os.sched_getaffinity(0)) - 1))
DERM_SIGN_IN_WAITING = envint("DERM_SIGN_IN_WAITING", max(1, DERM_SIGN_IN_SLOTS))
DERM_SIGN_IN_WAIT = envint("DERM_SIGN_IN_WAIT", 3)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Breached passwords and common words with a few characters added (zxcvbn's lists and estimate).
    {"NAME": "dermplatform.accounts.password_validation.GuessablePasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = envstr("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(envstr("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))

# Image bytes live in the database by default so that a case and its images
# commit or roll back together; a deployment may point "images" at S3.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(VAR_DIR / "media")}},
    "images": {"BACKEND": envstr("DERM_IMAGE_STORAGE", "patients.storage.DatabaseStorage")},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DERM_MAX_UPLOAD_BYTES = envint("DERM_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
# Images above DERM_LARGE_DECODE_PIXELS are decoded at most DERM_LARGE_DECODE_SLOTS at a time on a machine,
# across worker processes (patients.decode_slots): a 48-megapixel decode holds about 475 MiB. One waits up to
# DERM_LARGE_DECODE_WAIT seconds for a slot, then the upload is refused with "try again".
DERM_LARGE_DECODE_PIXELS = envint("DERM_LARGE_DECODE_PIXELS", 12_000_000)
DERM_LARGE_DECODE_SLOTS = envint("DERM_LARGE_DECODE_SLOTS", 1)
DERM_LARGE_DECODE_WAIT = envint("DERM_LARGE_DECODE_WAIT", 30)

# --- Celery -----------------------------------------------------------------
_CELERY_FS = VAR_DIR / "celery"
# Seconds a broker connect, read or write may take before the broker counts as unreachable (Redis answers in
# well under a millisecond; the margin is for a loaded host).
CELERY_BROKER_SOCKET_TIMEOUT = envfloat("CELERY_BROKER_SOCKET_TIMEOUT", 0.5)
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The folders are made at start-up (dermplatform.local_dirs), not here.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_CELERY_FS / "queue"),
        "data_folder_out": str(_CELERY_FS / "queue"),
        "processed_folder": str(_CELERY_FS / "processed"),
        "control_folder": str(_CELERY_FS / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Tasks are acknowledged late: a message held by a worker that died comes back after the visibility
        # timeout, a little above classify_image's hard time limit (60 s), and a worker looks every 10 s.
        "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 75),
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
        # An unreachable broker must fail a publish fast (an upload answers at once): a refused connection fails
        # at once, an unanswered connect after socket_connect_timeout, and a hung Redis (frozen, or a network
        # partition on a pooled connection) after socket_timeout on the read or write (without it the client
        # waits for ever and the upload dies at the web server's timeout). The worker's BRPOP is read only when
        # the socket is readable, so it is not cut short.
        "socket_connect_timeout": CELERY_BROKER_SOCKET_TIMEOUT,
        "socket_timeout": CELERY_BROKER_SOCKET_TIMEOUT,
    }
CELERY_RESULT_BACKEND = envstr(
    "CELERY_RESULT_BACKEND",
    "" if not CELERY_BROKER_URL.startswith("filesystem://") else f"file://{_CELERY_FS / 'results'}",
) or CELERY_BROKER_URL
# A Redis result backend is bounded too (Celery's default read timeout is 120 s), more loosely: no task on the
# upload path stores or waits for a result (classify_image ignores its result).
CELERY_REDIS_SOCKET_TIMEOUT = envfloat("CELERY_REDIS_SOCKET_TIMEOUT", 5.0)
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = CELERY_BROKER_SOCKET_TIMEOUT
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A prefork child loads and warms the model before it reports up (diagnosis.inference.warmup); Celery's 4 s default
# would kill and restart it for ever on a loaded or slow machine.
CELERY_WORKER_PROC_ALIVE_TIMEOUT = envint("CELERY_WORKER_PROC_ALIVE_TIMEOUT", 120)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = "default"
# The sweep runs on "default": behind an inference backlog it would come too late.
CELERY_TASK_ROUTES = {
    "diagnosis.tasks.classify_image": {"queue": "inference"},
    "diagnosis.tasks.requeue_unclassified": {"queue": "default"},
}
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A publish tries twice (a refused connection fails at once, a hung broker after CELERY_BROKER_SOCKET_TIMEOUT
# each: an upload answers within about 2 s either way); what did not reach the broker the sweep sends later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0.2, "interval_step": 0.2, "interval_max": 0.5}

# The sweep re-queues images whose task was lost (broker restarted, worker killed, broker down at upload).
# One scheduler runs it for the whole deployment (`celery beat`). An image is lost when its task is neither
# queued nor held by a worker and it was last queued more than the grace ago; after DERM_AI_MAX_ATTEMPTS failed
# tries it is marked failed and left alone.
DERM_SWEEP_INTERVAL = envint("DERM_SWEEP_INTERVAL", 30)  # seconds
DERM_SWEEP_GRACE = envint("DERM_SWEEP_GRACE", 30)  # seconds
# Each sweep beat sends is the scheduler's heartbeat (diagnosis.inference.scheduler_heartbeat). After this many missed
# sweeps /healthz says "degraded" naming the scheduler, the admin shows a banner, and the workers sweep in its
# place (one at a time, once per DERM_SWEEP_INTERVAL): a missing beat delays work, never strands it.
DERM_SCHEDULER_MISSED_SWEEPS = envint("DERM_SCHEDULER_MISSED_SWEEPS", 4)
# An image waiting for the AI longer than this (since its upload or staff's last retry) is "delayed": shown so
# on the case page, in the API and on needs-attention, and staff may ask the AI again.
DERM_AI_DELAYED_SECONDS = envint("DERM_AI_DELAYED_SECONDS", 10 * 60)
# Sooner than that, the case page says the AI is slower than usual (an idle worker answers in seconds): a
# stopped worker is noticed within a minute, before retrying makes sense.
DERM_AI_SLOW_SECONDS = envint("DERM_AI_SLOW_SECONDS", 60)
DERM_AI_MAX_ATTEMPTS = envint("DERM_AI_MAX_ATTEMPTS", 3)
# A task that meets a database error retries with exponential back-off and jitter, each wait at most
# DERM_AI_RETRY_MAX_DELAY seconds (below the visibility timeout: a waiting task is held unacknowledged). The 12
# retries' waits add up to about 5.5 minutes (3.6 to 7.3 with the jitter; 296-370 s measured after PostgreSQL
# stopped): longer than a routine restart or fail-over. Past that budget the image is failed with the reason if
# the database answers; while it does not, the task keeps its message and tries again every
# DERM_AI_RETRY_MAX_DELAY, so a longer outage delays images and never drops one.
DERM_AI_DB_RETRIES = envint("DERM_AI_DB_RETRIES", 12)
DERM_AI_RETRY_MAX_DELAY = envint("DERM_AI_RETRY_MAX_DELAY", 45)
# A dermatologist who opens a waiting case claims it; the claim lapses after this many idle minutes (no page
# opened or form sent on the case by its holder), so a case left open on a desk goes back to the colleagues.
DERM_CLAIM_IDLE_MINUTES = envint("DERM_CLAIM_IDLE_MINUTES", 30)
# The staff worklist (diagnosis.review.worklist): an excision or biopsy planned this many days ago without histology is
# "histology outstanding"; a follow-up visit shows this many days before it is due.
DERM_WORKLIST_HISTOLOGY_DAYS = envint("DERM_WORKLIST_HISTOLOGY_DAYS", 28)
DERM_WORKLIST_FOLLOW_UP_LEAD_DAYS = envint("DERM_WORKLIST_FOLLOW_UP_LEAD_DAYS", 14)
# A worker that starts an image's first try also classifies, in the same pass, up to this many images in all
# whose fresh tasks wait next in the queue (their messages leave the queue once those predictions are committed):
# 1 turns batching off.
DERM_AI_BATCH_SIZE = envint("DERM_AI_BATCH_SIZE", 16)
CELERY_BEAT_SCHEDULE = {
    "requeue-unclassified-images": {
        "task": "diagnosis.tasks.requeue_unclassified",
        "schedule": float(DERM_SWEEP_INTERVAL),
        # A sweep that waited longer than the next one is useless.
        "options": {"queue": "default", "expires": DERM_SWEEP_INTERVAL},
    },
}

# --- REST API ----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "knox.auth.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # One answer for every refusal: 409/422 for services' refusals, 503/429 with Retry-After while busy.
    "EXCEPTION_HANDLER": "dermplatform.api.exception_handler.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DermPlatform API",
    "DESCRIPTION": "Patients, cases, dermoscopic images and AI second opinions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Request bodies described as the API reads them: required text non-blank (minLength 1), uploads as binary
    # files, no read-only fields (request components get a "Request" suffix).
    "COMPONENT_SPLIT_REQUEST": True,
    # Two choice sets on fields named "diagnosis": the seven classes, and the histology's with "other".
    "ENUM_NAME_OVERRIDES": {
        "DiagnosisEnum": "diagnosis.models.review.DIAGNOSES",
        "HistologyDiagnosisEnum": "diagnosis.models.histology.HISTOLOGY_DIAGNOSES",
        "WorklistItemKindEnum": "diagnosis.review.worklist.models.ItemKind",
    },
    # Every operation's error answers (400, 401, 403, 404, 409, 422) documented once (dermplatform.api_schema).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "dermplatform.api_schema.add_error_responses",
    ],
}

# --- ML ----------------------------------------------------------------------
DERM_MODEL_DIR = envstr("DERM_MODEL_DIR", "")  # empty: ml.DEFAULT_MODEL_DIR
# LiteRT conversions of registered versions, by SHA-256 of the .keras file (rebuilt where missing).
DERM_MODEL_CACHE_DIR = Path(envstr("DERM_MODEL_CACHE_DIR", str(VAR_DIR / "models")))
# "litert" (convert and serve through LiteRT, Keras where conversion fails) or "keras" (e.g. on a GPU worker).
DERM_INFERENCE_RUNTIME = envstr("DERM_INFERENCE_RUNTIME", "litert")

# --- Reports ---------------------------------------------------------------------
# The system URI of a clinic's medical record numbers in FHIR exports when the clinic names none of its own
# (admin: Clinic ▸ record number system); {clinic} becomes the clinic's id.
DERM_PATIENT_ID_SYSTEM = envstr("DERM_PATIENT_ID_SYSTEM", "urn:dermplatform:clinic:{clinic}:mrn")

# --- Sessions -------------------------------------------------------------------
# Signed out after 15 minutes without activity, and 12 hours after signing in whatever the activity
# (dermplatform.accounts.sessions); the page warns a minute before the idle sign-out.
DERM_SESSION_IDLE_SECONDS = envint("DERM_SESSION_IDLE_SECONDS", 15 * 60)
SESSION_COOKIE_AGE = envint("DJANGO_SESSION_AGE", 12 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- API tokens (django-rest-knox) ------------------------------------------------
# POST /api/token/ issues a token stored as a SHA-512 digest, valid for DERM_API_TOKEN_HOURS; revoked by its
# user (/api/token/revoke/, /api/token/revoke-all/), by an admin, by a password change or deactivation.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=envint("DERM_API_TOKEN_HOURS", 10)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

# --- Two-factor sign-in (django-otp) ---------------------------------------------
OTP_TOTP_ISSUER = "DermPlatform"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # never show a device's key in the admin

# --- Sign-in lockout (django-axes) ------------------------------------------------
# Five failures lock the pair (user name, client address), so nobody can lock a colleague out from elsewhere;
# an address alone is locked after DERM_LOCKOUT_ADDRESS_FAILURES, whatever names it tries. For the cool-off (or
# until an admin unlocks them in the admin): on the sign-in page, the admin's and POST /api/token/. The address is
# dermplatform.forwarded.client_address, the audit trail's too.
AXES_FAILURE_LIMIT = envint("DERM_LOCKOUT_FAILURES", 5)
DERM_LOCKOUT_ADDRESS_FAILURES = envint("DERM_LOCKOUT_ADDRESS_FAILURES", 50)
if DERM_LOCKOUT_ADDRESS_FAILURES < AXES_FAILURE_LIMIT:
    raise ImproperlyConfigured("DERM_LOCKOUT_ADDRESS_FAILURES must not be below DERM_LOCKOUT_FAILURES.")
AXES_COOLOFF_TIME = timedelta(minutes=envint("DERM_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "dermplatform.accounts.lockout.PairAndAddressLockout"  # the address's own, higher limit
AXES_CLIENT_IP_CALLABLE = "dermplatform.forwarded.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "dermplatform.accounts.views.locked_out"
AXES_VERBOSE = False

# --- Security (hardened in production) ------------------------------------------
# The reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (addresses or networks; compose
# sets the TLS proxy's fixed address). Empty: gunicorn faces clients directly and those headers are dropped.
DERM_TRUSTED_PROXIES = envlist("DERM_TRUSTED_PROXIES", [])
for _proxy in DERM_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(f"DERM_TRUSTED_PROXIES: {_exc}") from _exc
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # probed over plain HTTP inside the network
    # Set by the TLS proxy (deploy/Caddyfile), and believed only from DERM_TRUSTED_PROXIES (dermplatform.forwarded).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Content-Security-Policy (django-csp) ------------------------------------------
# Only this origin, and no inline script or style anywhere (templates carry none; tests/e2e/test_csp.py walks the
# pages in a browser and fails on any violation). data: images only for the icons in the API docs' stylesheet.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("DJANGO_LOG_LEVEL", "INFO")},
    # django-axes says INFO on every sign-in; its warnings (failures, lockouts) are what an operator needs.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
