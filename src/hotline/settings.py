"""Settings, driven by the environment (healthchecks style: small typed helpers, no hidden files).

HOTLINE_DATA_DIR   where the SQLite database and uploaded evidence live (default ./var)
DATABASE_URL       PostgreSQL in production, e.g. postgres://hotline@127.0.0.1:5432/hotline
SECRET_KEY, DEBUG, ALLOWED_HOSTS as usual.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _


def envbool(name: str, default: str) -> bool:
    return os.environ.get(name, default).lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: str) -> int:
    return int(os.environ.get(name, default))


def envfloat(name: str, default: str) -> float:
    return float(os.environ.get(name, default))


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("HOTLINE_DATA_DIR", Path.cwd() / "var")).resolve()

SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me-in-production")
DEBUG = envbool("DEBUG", "false")
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

# Behind an HTTPS reverse proxy (production): secure cookies and the proxy's scheme header.
if envbool("HOTLINE_HTTPS", "false"):
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
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
    "django_tasks_db",
    "hotline.directory",
    "hotline.audit",
    "hotline.orders",
    "hotline.triage",
    "hotline.assessment",
    "hotline.web",
    "hotline.api",
    "hotline.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "hotline.web.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
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
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

TASKS = {
    "default": {
        "BACKEND": os.environ.get("HOTLINE_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
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
# Longest extension a unit may ask for at once (working days).
HOTLINE_MAX_EXTENSION_DAYS = envint("HOTLINE_MAX_EXTENSION_DAYS", "30")
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
