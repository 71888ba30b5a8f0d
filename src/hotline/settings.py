"""Settings, driven by the environment (healthchecks style: small typed helpers, no hidden files).

HOTLINE_DATA_DIR   where the SQLite database and uploaded evidence live (default ./var)
DATABASE_URL       PostgreSQL in production, e.g. postgres://hotline@127.0.0.1:5432/hotline
SECRET_KEY (or SECRET_KEY_FILE, a file holding it), DEBUG, ALLOWED_HOSTS as usual; outside DEBUG
the server refuses to start without a key. README "Running it for real" lists the production set.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def envbool(name: str, default: str) -> bool:
    # A value we cannot read is an error, not False: "ture" must not quietly turn HTTPS off.
    value = os.environ.get(name, default).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={os.environ.get(name)!r} is not a boolean (use true/false, 1/0, yes/no, on/off)")


def envint(name: str, default: str) -> int:
    value = os.environ.get(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from None


def envfloat(name: str, default: str) -> float:
    value = os.environ.get(name, default)
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number") from None


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "")
    if not key and os.environ.get("SECRET_KEY_FILE"):
        try:
            key = Path(os.environ["SECRET_KEY_FILE"]).read_text().strip()
        except OSError as e:
            raise ImproperlyConfigured(f"SECRET_KEY_FILE={os.environ['SECRET_KEY_FILE']!r} cannot be read: {e}") from None
    return key


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("HOTLINE_DATA_DIR", Path.cwd() / "var")).resolve()

DEBUG = envbool("DEBUG", "false")
# No published default: a known key forges sessions and password-reset tokens. `make run` writes a
# random one into $HOTLINE_DATA_DIR/secret_key once and passes it as SECRET_KEY_FILE.
SECRET_KEY = _secret_key()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set: set SECRET_KEY (or SECRET_KEY_FILE, a file holding it) to a long random "
            "value, e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = "debug-only-" + "x" * 50  # DEBUG on a developer's machine only
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
# The public part's own host names (comma-separated, none by default): there only /public/,
# /static/ and /i18n/ are served (hotline.public.middleware); they are allowed hosts too.
HOTLINE_PUBLIC_HOSTS = [h.strip().lower() for h in os.environ.get("HOTLINE_PUBLIC_HOSTS", "").split(",") if h.strip()]
ALLOWED_HOSTS += [h for h in HOTLINE_PUBLIC_HOSTS if h not in ALLOWED_HOSTS]

# Behind an HTTPS reverse proxy (production): secure cookies, the proxy's scheme header, HSTS.
HOTLINE_HTTPS = envbool("HOTLINE_HTTPS", "false")
if HOTLINE_HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("HOTLINE_HSTS_SECONDS", str(365 * 24 * 3600))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("HOTLINE_HSTS_INCLUDE_SUBDOMAINS", "true")
    SECURE_HSTS_PRELOAD = envbool("HOTLINE_HSTS_PRELOAD", "false")
    # Usually the proxy redirects http to https itself; set this when it does not.
    SECURE_SSL_REDIRECT = envbool("HOTLINE_SSL_REDIRECT", "false")
    SILENCED_SYSTEM_CHECKS = []
    if not SECURE_SSL_REDIRECT:
        # W008 asks for the redirect; here the HTTPS proxy in front does it (README).
        SILENCED_SYSTEM_CHECKS.append("security.W008")
    if not SECURE_HSTS_PRELOAD:
        # W021 asks for the browsers' preload list, a commitment for a public domain; an intranet
        # host cannot be on it. Opt in with HOTLINE_HSTS_PRELOAD=true.
        SILENCED_SYSTEM_CHECKS.append("security.W021")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

# Content Security Policy: every asset is the app's own (no CDN), so a strict policy holds. Inline
# <script>/<style> blocks carry the request's nonce ({{ request.csp_nonce }}); style="" attributes
# cannot carry a nonce, hence style-src-attr 'unsafe-inline' (styles cannot run code).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Login throttling (django-axes), on /login/ and /admin/login/ alike. Counted per account (from any
# address: many addresses cannot share out the guesses on one account) and per address (one machine
# cannot spray many accounts). The limit is generous enough that an office behind one NAT address is
# not locked by a few typos, and a lock lifts after the cool-off; administrators unlock at once
# (admin "Access attempts", or `hotline axes_reset_username NAME` / `axes_reset_ip ADDR`).
AXES_ENABLED = envbool("HOTLINE_AXES", "true")
AXES_FAILURE_LIMIT = envint("HOTLINE_LOGIN_FAILURE_LIMIT", "10")
AXES_COOLOFF_TIME = dt.timedelta(minutes=envint("HOTLINE_LOGIN_COOLOFF_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "hotline.web.views.login.locked_out"
# The address as the server saw it (REMOTE_ADDR): a client-sent X-Forwarded-For is never trusted.
AXES_CLIENT_IP_CALLABLE = "hotline.audit.services.client_ip"
AXES_VERBOSE = False
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
SESSION_COOKIE_AGE = envint("HOTLINE_SESSION_HOURS", "12") * 3600
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Before django_tasks_db: its `db_worker` command is replaced by ours (heartbeats, recovery).
    "hotline.worker",
    "django_tasks",
    "axes",
    "csp",
    "ninja",  # its static files: the vendored Swagger UI of /api/docs
    "django_tasks_db",
    "hotline.directory",
    "hotline.outbox",
    "hotline.audit",
    "hotline.orders",
    "hotline.triage",
    "hotline.assessment",
    "hotline.governance",
    "hotline.citylink",

    "hotline.notify",
    "hotline.web",
    "hotline.api",
    "hotline.open311",
    "hotline.public",
    "hotline.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # on the public host name, only the public part (a 404 for everything else)
    "hotline.public.middleware.PublicHostMiddleware",
    # every error under /api/ in the API's JSON shape, whoever produced it
    "hotline.api.middleware.ApiErrorMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "hotline.web.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hotline.web.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "hotline.web.middleware.DomainErrorMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as axes asks: it turns a lockout raised during authentication into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hotline.urls"
WSGI_APPLICATION = "hotline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("HOTLINE_SQLITE_PATH", str(DATA_DIR / "hotline.sqlite3")),
            "OPTIONS": {
                # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at
                # BEGIN so two writers never deadlock on a lock upgrade.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
                "transaction_mode": "IMMEDIATE",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "directory.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# OWASP ASVS 2.1: at least 12 characters, no composition rules, refused if it is a common password
# (Django's own offline list of 20,000) or too close to the user's name.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("HOTLINE_STATIC_ROOT", DATA_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve assets from the app directories even before collectstatic (the demo, the tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

TASKS = {
    "default": {
        "BACKEND": os.environ.get("HOTLINE_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"brief_403": {"()": "hotline.web.logging.BriefForbidden"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # A refused page in one line, without the PermissionDenied traceback.
    "loggers": {"django.request": {"filters": ["brief_403"]}},
}

# ---- the hotline's own configuration -------------------------------------------------------------
# Clock limits per urgency tier. Each is (amount, unit) with unit "hours" (calendar hours: an
# emergency does not wait for Monday) or "workdays" (working days of the Chinese calendar).
# Defaults follow Beijing's local standard for reply limits.
HOTLINE_CLOCKS = {
    "emergency": {"sign": (0.5, "hours"), "contact": (1, "hours"), "reply": (2, "hours")},
    "utility": {"sign": (2, "hours"), "contact": (4, "hours"), "reply": (24, "hours")},
    "general": {"sign": (1, "workdays"), "contact": (1, "workdays"), "reply": (7, "workdays")},
    "complex": {"sign": (1, "workdays"), "contact": (2, "workdays"), "reply": (15, "workdays")},
}
# After a reject-for-redo the unit has at least this long again to reply.
HOTLINE_REDO_LIMIT = (3, "workdays")
# "Due soon" means due within this many hours.
HOTLINE_DUE_SOON_HOURS = envint("HOTLINE_DUE_SOON_HOURS", "4")
# Longest description and title accepted at intake (characters).
HOTLINE_MAX_DESCRIPTION = envint("HOTLINE_MAX_DESCRIPTION", "20000")
HOTLINE_MAX_TITLE = 200
# Imports refuse a received time before this day (the hotline did not exist; 0001-01-01 is a
# placeholder of an old system, not a date) and after now plus HOTLINE_CLOCK_SKEW_MINUTES.
HOTLINE_EARLIEST_DATE = dt.date.fromisoformat(os.environ.get("HOTLINE_EARLIEST_DATE", "2000-01-01"))
HOTLINE_CLOCK_SKEW_MINUTES = envint("HOTLINE_CLOCK_SKEW_MINUTES", "5")
# Longest extension a unit may ask for at once (working days).
HOTLINE_MAX_EXTENSION_DAYS = envint("HOTLINE_MAX_EXTENSION_DAYS", "30")
# An upheld unreasonable request marks the caller's record for this many months (then the mark
# expires by itself; docs/unreasonable.md).
HOTLINE_CALLER_MARK_MONTHS = envint("HOTLINE_CALLER_MARK_MONTHS", "12")
# Appeals (申诉, docs/appeals.md): the centre decides an appeal within this many working days of its
# filing; a unit files within HOTLINE_APPEAL_FILING_DAYS working days of the decision it appeals
# (a redo, a callback) or of the end of the month whose score it appeals.
HOTLINE_APPEAL_DAYS = envint("HOTLINE_APPEAL_DAYS", "5")
HOTLINE_APPEAL_FILING_DAYS = envint("HOTLINE_APPEAL_FILING_DAYS", "5")
# Joint handling (联合处办, docs/joint.md): a co-unit replies its part to the lead unit within this
# many working days of being asked, and never later than the lead's own reply is due.
HOTLINE_CO_REPLY_DAYS = envint("HOTLINE_CO_REPLY_DAYS", "3")
# Triage: orders classified and routed above this confidence are dispatched without a human.
HOTLINE_AUTO_DISPATCH_CONFIDENCE = envfloat("HOTLINE_AUTO_DISPATCH_CONFIDENCE", "0.9")
# The worker: how often each `db_worker` writes its heartbeat, after how long without one its
# running tasks (and its claimed triage jobs) count as lost and are run again, and how often a
# task or an order may be tried before it is given up (FAILED, with the reason).
HOTLINE_WORKER_BEAT_SECONDS = envint("HOTLINE_WORKER_BEAT_SECONDS", "5")
HOTLINE_WORKER_LEASE_SECONDS = envint("HOTLINE_WORKER_LEASE_SECONDS", "30")
HOTLINE_TASK_MAX_ATTEMPTS = envint("HOTLINE_TASK_MAX_ATTEMPTS", "3")
HOTLINE_TRIAGE_MAX_ATTEMPTS = envint("HOTLINE_TRIAGE_MAX_ATTEMPTS", "5")
# Where trained triage models are kept.
HOTLINE_MODEL_DIR = Path(os.environ.get("HOTLINE_MODEL_DIR", DATA_DIR / "models"))

# Open311 GeoReport v2 (docs/open311.md): whether GET requests work without an API key (the spec
# allows public reads; what is published is decided in open311/published.py), and the contact the
# discovery document names.
HOTLINE_OPEN311_PUBLIC_READS = envbool("HOTLINE_OPEN311_PUBLIC_READS", "1")
HOTLINE_OPEN311_CONTACT = os.environ.get("HOTLINE_OPEN311_CONTACT", "")

# ---- evidence uploads and downloads (orders/evidence.py, web/uploads.py, web/views/evidence.py) -----
# The largest evidence file accepted; the upload handler stops writing beyond it, so a request
# never holds more than a chunk in memory, and the error message states it.
HOTLINE_MAX_UPLOAD_BYTES = envint("HOTLINE_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024))
# Photos are decoded to be re-encoded: more pixels than this are refused (a decompression bomb).
HOTLINE_MAX_IMAGE_PIXELS = envint("HOTLINE_MAX_IMAGE_PIXELS", "50000000")
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",  # only requests under the size below
    "hotline.web.uploads.LimitedUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 512 * 1024
# How the evidence view hands a checked file over: "" (Django streams it), "x-accel-redirect"
# (nginx sends HOTLINE_SENDFILE_PREFIX + the file's name from an internal location) or
# "x-sendfile" (Apache mod_xsendfile, lighttpd: the file's absolute path).
HOTLINE_SENDFILE = os.environ.get("HOTLINE_SENDFILE", "")
HOTLINE_SENDFILE_PREFIX = os.environ.get("HOTLINE_SENDFILE_PREFIX", "/_evidence/")

# ---- API keys (api/keys.py) ---------------------------------------------------------------------------
# A key's default limit of requests per minute (each key may have its own), and how long a personal
# token lives unless its owner says otherwise.
HOTLINE_API_RATE_PER_MINUTE = envint("HOTLINE_API_RATE_PER_MINUTE", "600")
HOTLINE_TOKEN_DAYS = envint("HOTLINE_TOKEN_DAYS", "90")

# ---- the transactional outbox (hotline.outbox): delivery of messages to the city, notifications ----------
# A claimed row is leased this long; a deliverer must give up on one send within the send timeout
# (the lease keeps at least that much in hand, so two deliverers never send one row at once).
HOTLINE_OUTBOX_LEASE_SECONDS = envfloat("HOTLINE_OUTBOX_LEASE_SECONDS", "60")
HOTLINE_OUTBOX_SEND_TIMEOUT_SECONDS = envfloat("HOTLINE_OUTBOX_SEND_TIMEOUT_SECONDS", "10")
# Retries: base x 2^(n-1) seconds after the n-th failure, capped, with jitter; after this many
# attempts a row goes to the failed-deliveries page (30 attempts at a 5-minute cap: about 2 hours).
HOTLINE_OUTBOX_BACKOFF_SECONDS = envfloat("HOTLINE_OUTBOX_BACKOFF_SECONDS", "2")
HOTLINE_OUTBOX_BACKOFF_MAX_SECONDS = envfloat("HOTLINE_OUTBOX_BACKOFF_MAX_SECONDS", "300")
HOTLINE_OUTBOX_MAX_ATTEMPTS = envint("HOTLINE_OUTBOX_MAX_ATTEMPTS", "30")
# How long a channel's delivery thread in the worker sleeps when nothing was delivered.
HOTLINE_OUTBOX_POLL_SECONDS = envfloat("HOTLINE_OUTBOX_POLL_SECONDS", "0.5")
# Delivered rows are deleted after this many days (`hotline outbox prune`, hourly in the worker).
HOTLINE_OUTBOX_KEEP_DAYS = envfloat("HOTLINE_OUTBOX_KEEP_DAYS", "30")
# Whether `hotline db_worker` runs the outbox's delivery threads and the notification scan (false: run
# `hotline outbox deliver` and a scheduled `hotline notify_scan` as processes of their own instead).
HOTLINE_WORKER_DELIVERY = envbool("HOTLINE_WORKER_DELIVERY", "true")

# ---- the city platform link (hotline.citylink, docs/citylink.md) -----------------------------------------
# The secret shared with the city (HMAC-SHA256 both ways); without it the inbound endpoint answers 503.
HOTLINE_CITYLINK_SECRET = os.environ.get("HOTLINE_CITYLINK_SECRET", "")
# Where updates for the city are POSTed; without it they wait in the outbox.
HOTLINE_CITYLINK_URL = os.environ.get("HOTLINE_CITYLINK_URL", "")
# A signed request is accepted within this many seconds of our clock, either way.
HOTLINE_CITYLINK_WINDOW_SECONDS = envint("HOTLINE_CITYLINK_WINDOW_SECONDS", "300")
# Updates sent to the city at once (each of a different order).
HOTLINE_CITYLINK_CONCURRENCY = envint("HOTLINE_CITYLINK_CONCURRENCY", "4")

# ---- notifications (hotline.notify) ----------------------------------------------------------------
# A sender per medium, as Django's EMAIL_BACKEND: the default writes each message as a JSON line to
# HOTLINE_DATA_DIR/notify/messages.jsonl. For real: HOTLINE_NOTIFY_SMS_BACKEND=
# hotline.notify.senders.sms.SmsGatewaySender (HOTLINE_SMS_URL, HOTLINE_SMS_TOKEN), HOTLINE_NOTIFY_WECOM_BACKEND=
# hotline.notify.senders.webhook.WeComSender or .DingTalkSender (HOTLINE_WEBHOOK_URL, HOTLINE_WEBHOOK_SECRET for
# a signed DingTalk robot), HOTLINE_NOTIFY_EMAIL_BACKEND=hotline.notify.senders.email.EmailSender (EMAIL_HOST...).
_NOTIFY_FILE = "hotline.notify.senders.console.FileSender"
HOTLINE_NOTIFY_SENDERS = {
    "sms": {"BACKEND": os.environ.get("HOTLINE_NOTIFY_SMS_BACKEND", _NOTIFY_FILE),
            "OPTIONS": {"url": os.environ.get("HOTLINE_SMS_URL", ""), "token": os.environ.get("HOTLINE_SMS_TOKEN", ""),
                        "sign": os.environ.get("HOTLINE_SMS_SIGN", ""),
                        "timeout": envfloat("HOTLINE_NOTIFY_TIMEOUT", "5")}},
    "wecom": {"BACKEND": os.environ.get("HOTLINE_NOTIFY_WECOM_BACKEND", _NOTIFY_FILE),
              "OPTIONS": {"url": os.environ.get("HOTLINE_WEBHOOK_URL", ""),
                          "secret": os.environ.get("HOTLINE_WEBHOOK_SECRET", ""),
                          "timeout": envfloat("HOTLINE_NOTIFY_TIMEOUT", "5")}},
    "email": {"BACKEND": os.environ.get("HOTLINE_NOTIFY_EMAIL_BACKEND", _NOTIFY_FILE)},
}
# Quiet hours of a person who has not set their own ("" for none); emergencies are sent at once.
HOTLINE_NOTIFY_QUIET_HOURS = os.environ.get("HOTLINE_NOTIFY_QUIET_HOURS", "22:00-07:00")
# Overdue orders are told once per clock, when the clock runs out; the scan looks back this far.
HOTLINE_NOTIFY_OVERDUE_WINDOW_HOURS = envint("HOTLINE_NOTIFY_OVERDUE_WINDOW_HOURS", "24")
# How often the worker scans for due-soon and overdue orders (and, hourly, for warnings).
HOTLINE_NOTIFY_SCAN_SECONDS = envint("HOTLINE_NOTIFY_SCAN_SECONDS", "60")
# How often the worker queues the escalation of missed supervisions (督办逾期提请市级联合督办).
HOTLINE_SUPERVISION_SCAN_SECONDS = envint("HOTLINE_SUPERVISION_SCAN_SECONDS", "600")
# Notifications sent at once by the worker's notify delivery thread (each its own outbox stream).
HOTLINE_NOTIFY_CONCURRENCY = envint("HOTLINE_NOTIFY_CONCURRENCY", "4")
# The address the links in notifications start with.
HOTLINE_BASE_URL = os.environ.get("HOTLINE_BASE_URL", "http://127.0.0.1:8000")

# ---- the citizens' web channel (hotline.public; public/config.py has the defaults) ---------------------
# Rate limits and the filing challenge. A load bench on 127.0.0.1 raises the limits and turns the
# challenge off (or solves it with hotline.public.challenge.solve) through these variables.
HOTLINE_PUBLIC = {
    "file_per_ip_per_hour": envint("HOTLINE_PUBLIC_FILE_PER_IP_PER_HOUR", "10"),
    "file_per_phone_per_day": envint("HOTLINE_PUBLIC_FILE_PER_PHONE_PER_DAY", "5"),
    "track_failures": envint("HOTLINE_PUBLIC_TRACK_FAILURES", "5"),
    "track_lock_minutes": envint("HOTLINE_PUBLIC_TRACK_LOCK_MINUTES", "15"),
    "challenge": envbool("HOTLINE_PUBLIC_CHALLENGE", "true"),
}
