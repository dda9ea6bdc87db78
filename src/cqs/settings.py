"""CQS settings: every value comes from an environment variable with an embedded default.

The embedded default is a single machine: SQLite in WAL mode, files and the generated
``SECRET_KEY`` under ``CQS_DATA_DIR`` (``var/`` by default). Production sets ``DATABASE_URL``
to PostgreSQL and runs several app servers (see README and docs/adr/).
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

SRC_DIR = Path(__file__).resolve().parent
BASE_DIR = SRC_DIR.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("CQS_DATA_DIR", BASE_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    if key := os.environ.get("CQS_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # Generated once per installation; never committed, never logged.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("CQS_DEBUG")
ALLOWED_HOSTS = env_list("CQS_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CQS_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # django.contrib.admin with the platform's sign-in and second factor (see accounts/admin_site.py).
    "cqs.accounts.admin_site.CQSAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "cqs.core",
    "cqs.audit",
    "cqs.orgs",
    "cqs.accounts",
    "cqs.plans",
    "cqs.onestop",
    "cqs.documents",
    "cqs.reporting",
    "cqs.lgsp",
    "cqs.feedback",
    "cqs.ioc",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cqs.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "cqs.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "cqs.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cqs.urls"
WSGI_APPLICATION = "cqs.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cqs.core.context_processors.platform",
            ],
        },
    },
]

# Database: SQLite in WAL mode under CQS_DATA_DIR unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CQS_DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # IMMEDIATE: writers take the lock at BEGIN, so concurrent writers wait instead of
            # failing with "database is locked" halfway through a transaction.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"

# Internationalisation: Vietnamese first, English second.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [SRC_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
# Day-first date input (07/03/2026 is 7 March), which Django's own "vi" locale lacks.
FORMAT_MODULE_PATH = ["cqs.core.formats"]
USE_I18N = True
USE_TZ = True

# Static and media files. Third-party front-end assets are fetched from the npm registry at
# build time (``cqs assets``) into build/static; nothing third-party is committed.
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "build" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": os.environ.get(
            "CQS_STATICFILES_STORAGE", "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security headers.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("CQS_SESSION_AGE", str(8 * 3600)))
CSRF_COOKIE_HTTPONLY = True
# Behind a TLS-terminating proxy in production: CQS_HTTPS=1 turns on the HTTPS-only settings.
if env_bool("CQS_HTTPS"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("CQS_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SILENCED_SYSTEM_CHECKS = [
    # HTTPS settings are switched on by CQS_HTTPS=1 where TLS is terminated in front of CQS;
    # the embedded default serves plain HTTP on 127.0.0.1.
    "security.W004",
    "security.W008",
    "security.W012",
    "security.W016",
]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# Login throttling (django-axes): lock a username+IP pair after repeated failures.
AXES_FAILURE_LIMIT = int(os.environ.get("CQS_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("CQS_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "cqs.accounts.views.lockout"
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token"]

OTP_TOTP_ISSUER = "CQS"

# Background jobs: django-tasks with the database backend; `cqs serve` runs a worker.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Outbox (cqs.core.outbox): tries before a message is marked failed, and how long a dispatcher
# may take over one delivery before another may try it again.
CQS_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("CQS_OUTBOX_MAX_ATTEMPTS", "10"))
CQS_OUTBOX_LEASE_SECONDS = int(os.environ.get("CQS_OUTBOX_LEASE_SECONDS", "300"))

# --- One-stop shop and the outside systems it talks to (issue 3) ---------------------------
# Each outside system is reached over HTTP through an adapter; the demo and the tests run fake
# servers that speak the same contract (cqs.fakes, started by `cqs fakes` or `cqs serve --fakes`).
CQS_FAKES_HOST = os.environ.get("CQS_FAKES_HOST", "127.0.0.1")
# PayGov-style payment gateway (redirect + checksum-verified callback).
CQS_PAYGOV_URL = os.environ.get("CQS_PAYGOV_URL", "http://127.0.0.1:8101")
CQS_PAYGOV_PARTNER_CODE = os.environ.get("CQS_PAYGOV_PARTNER_CODE", "CQS-DEMO")
CQS_PAYGOV_SECRET = os.environ.get("CQS_PAYGOV_SECRET", "paygov-demo-secret")
# National public-service portal (DVCQG): dossier and progress sync, catalogue pull.
CQS_DVCQG_URL = os.environ.get("CQS_DVCQG_URL", "http://127.0.0.1:8102")
CQS_DVCQG_TOKEN = os.environ.get("CQS_DVCQG_TOKEN", "dvcqg-demo-token")
# SMS gateway (JSON over HTTP); empty turns SMS off.
CQS_SMS_URL = os.environ.get("CQS_SMS_URL", "http://127.0.0.1:8103")
CQS_SMS_TOKEN = os.environ.get("CQS_SMS_TOKEN", "sms-demo-token")
# VNeID-style OpenID Connect identity provider for citizens; empty issuer hides the button.
CQS_VNEID_ISSUER = os.environ.get("CQS_VNEID_ISSUER", "http://127.0.0.1:8104")
CQS_VNEID_CLIENT_ID = os.environ.get("CQS_VNEID_CLIENT_ID", "cqs-demo")
CQS_VNEID_CLIENT_SECRET = os.environ.get("CQS_VNEID_CLIENT_SECRET", "vneid-demo-secret")
# --- Document management (issue 4) -----------------------------------------------------------
# The national document-exchange axis (VDXP of the Government Office); each connected system has
# its own id and secret. Empty URL turns exchange with other provinces off.
CQS_VDXP_URL = os.environ.get("CQS_VDXP_URL", "http://127.0.0.1:8105")
CQS_VDXP_SYSTEM_ID = os.environ.get("CQS_VDXP_SYSTEM_ID", "000.00.00.H44")
CQS_VDXP_SECRET = os.environ.get("CQS_VDXP_SECRET", "vdxp-demo-secret")
# RFC 3161 timestamp authority for PAdES B-T signatures; empty signs B-B (no timestamp).
CQS_TSA_URL = os.environ.get("CQS_TSA_URL", "http://127.0.0.1:8106")
# The Government reporting information system (docs/integrations/ris.md): approved reports are pushed
# there by the outbox when their regime asks for it.
CQS_RIS_URL = os.environ.get("CQS_RIS_URL", "http://127.0.0.1:8107")
CQS_RIS_TOKEN = os.environ.get("CQS_RIS_TOKEN", "ris-demo-token")
# The national population database's lookup (QCVN 109 field names; transport assumed,
# docs/integrations/dancu.md). The demo registers it in the LGSP; empty leaves it out.
CQS_DANCU_URL = os.environ.get("CQS_DANCU_URL", "http://127.0.0.1:8108")
CQS_DANCU_TOKEN = os.environ.get("CQS_DANCU_TOKEN", "dancu-demo-token")
# NDXP's business registration lookup (contract assumed, docs/integrations/ndxp.md).
CQS_NDXP_URL = os.environ.get("CQS_NDXP_URL", "http://127.0.0.1:8109")
CQS_NDXP_TOKEN = os.environ.get("CQS_NDXP_TOKEN", "ndxp-demo-token")
# --- LGSP, the data-integration and sharing platform (issue 6, docs/lgsp.md) -------------------
# X-Road instance of the identifiers INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE.
CQS_LGSP_INSTANCE = os.environ.get("CQS_LGSP_INSTANCE", "XROADVN")
# The data plane: "builtin" (the async proxy `cqs serve` starts) or "haproxy" (Debian's HAProxy,
# configured by `cqs lgsp_gateway`).
CQS_LGSP_ENGINE = os.environ.get("CQS_LGSP_ENGINE", "builtin")
# Where clients call the gateway (and where the built-in proxy listens); empty = no gateway.
CQS_LGSP_GATEWAY_URL = os.environ.get("CQS_LGSP_GATEWAY_URL", "http://127.0.0.1:8200")
# Compiled configurations, access logs and the JWT signing key.
CQS_LGSP_DIR = Path(os.environ.get("CQS_LGSP_DIR", DATA_DIR / "lgsp")).resolve()
CQS_LGSP_HAPROXY_BIN = os.environ.get("CQS_LGSP_HAPROXY_BIN", "haproxy")
# Registry changes are published after commit on a background thread of the process (the web
# request does not wait for HAProxy's reload); "0" publishes inside the request instead.
CQS_LGSP_PUBLISH_IN_BACKGROUND = os.environ.get("CQS_LGSP_PUBLISH_IN_BACKGROUND", "1") != "0"
# The platform's own integrations routed through the gateway: a comma-separated list of
# "dvcqg", "vdxp", "ris" (docs/lgsp.md#own-integrations); empty = they call directly.
CQS_LGSP_ROUTE = [name.strip() for name in os.environ.get("CQS_LGSP_ROUTE", "").split(",") if name.strip()]
# The platform's own API key at the gateway, for the routed integrations; empty = the key file
# CQS_LGSP_DIR/keys/platform.key written by `cqs demo` (or by an operator, mode 0600).
CQS_LGSP_PLATFORM_KEY = os.environ.get("CQS_LGSP_PLATFORM_KEY", "")
# --- Citizen feedback (issue 7, docs/feedback.md) ------------------------------------------------
# The box a reported point must lie in: "min_lon,min_lat,max_lon,max_lat". The default is an
# approximate box around Phú Thọ as merged on 1/7/2025 (until the GIS module loads the outline).
CQS_FEEDBACK_BOUNDS = os.environ.get("CQS_FEEDBACK_BOUNDS", "104.80,20.30,105.90,21.75")
# Base map tiles of the feedback maps, a Leaflet URL template such as
# "https://tiles.example.gov.vn/{z}/{x}/{y}.png"; empty = no base map (offline: the province
# outline on a plain background, the pin still works). CQS_MAP_TILES_ATTRIBUTION is shown under it.
CQS_MAP_TILES_URL = os.environ.get("CQS_MAP_TILES_URL", "")
CQS_MAP_TILES_ATTRIBUTION = os.environ.get("CQS_MAP_TILES_ATTRIBUTION", "")
# The Open311 jurisdiction_id this server answers for (requests naming another get an error).
CQS_OPEN311_JURISDICTION = os.environ.get("CQS_OPEN311_JURISDICTION", "phutho.gov.vn")
# --- IOC (issue 8, docs/ioc.md) ------------------------------------------------------------------
# Minutes between two computations of the dashboard's figures by the background worker.
CQS_IOC_REFRESH_MINUTES = int(os.environ.get("CQS_IOC_REFRESH_MINUTES", "15"))
# ClamAV: a clamd socket ("/run/clamav/clamd.ctl" or "tcp://127.0.0.1:3310"); empty = no scan.
CQS_CLAMD = os.environ.get("CQS_CLAMD", "")
# Largest uploaded file, in megabytes.
CQS_UPLOAD_MAX_MB = int(os.environ.get("CQS_UPLOAD_MAX_MB", "10"))
# Public address of this site, used in QR codes and in links sent by e-mail and SMS.
CQS_SITE_URL = os.environ.get("CQS_SITE_URL", "http://127.0.0.1:8000")
EMAIL_BACKEND = os.environ.get("CQS_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("CQS_EMAIL_FROM", "motcua@cqs.invalid")
# The payment gateway is reached by a redirect after a form post: CSP form-action must allow it.
CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(CQS_PAYGOV_URL)
# The map tiles are images from the tile server: CSP img-src must allow its origin.
if CQS_MAP_TILES_URL:
    from urllib.parse import urlsplit

    _tiles = urlsplit(CQS_MAP_TILES_URL)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(f"{_tiles.scheme}://{_tiles.netloc}")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "cqs.core.api.problem_exception_handler",
    # Throttles key on the client address. X-Forwarded-For is trusted only behind our own proxy
    # (CQS_HTTPS=1, one hop); otherwise a client could pick its own key by sending the header.
    "NUM_PROXIES": 1 if env_bool("CQS_HTTPS") else 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CQS API",
    "DESCRIPTION": "API của nền tảng Chính quyền số (CQS).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Enums are named after their field; several apps have a "kind", so name them here.
    "ENUM_NAME_OVERRIDES": {"SuccessionKindEnum": "cqs.orgs.choices.SuccessionKind"},
}

# Logging: to stderr; personal data (CCCD, phone numbers) is masked by a filter on every handler.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "cqs.core.logging.MaskPersonalDataFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("CQS_LOG_LEVEL", "INFO")},
    # Authlib logs the PKCE code_verifier at DEBUG.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "authlib": {"level": "INFO"},
        # fpdf2 subsets fonts with fontTools, which logs a dozen INFO lines per PDF.
        "fontTools": {"level": "WARNING"},
    },
}

CQS_PROVINCE_NAME = os.environ.get("CQS_PROVINCE_NAME", "Vĩnh Phúc")
