"""The `hotline` command: Django's management commands under the product's name.

`hotline migrate`, `hotline demo`, `hotline import FILE.csv`, `hotline verify-trace`, `hotline runserver`...
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "hotline"
    try:
        execute_from_command_line(argv)
    except ImproperlyConfigured as exc:
        # A configuration error (no SECRET_KEY, DEBUG=ture) is the operator's to fix: say what,
        # without a traceback.
        sys.stderr.write(f"hotline: {exc}\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
