"""A pytest plugin (pyproject: addopts -p hotline.pytest_env) that gives the test run a throwaway
SECRET_KEY before pytest-django imports the settings, which refuse to start without one. A conftest
is loaded too late for that."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-" + "k" * 50)
