"""`hotline areas load FILE`: store the areas' boundaries for the district map from a GeoJSON
FeatureCollection (each feature's `code` property an Area's code), replacing the stored ones.
The same checks as the administrator's upload (governance.geo); a refused file: its message
and exit status 2, nothing saved."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hotline.errors import InvalidInput
from hotline.governance import geo


class Command(BaseCommand):
    help = "Area boundaries of the district map: `areas load FILE` (GeoJSON)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        load = sub.add_parser("load", help="replace the boundaries with a GeoJSON FeatureCollection")
        load.add_argument("file")

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["file"])
        try:
            with path.open("rb") as f:
                raw = f.read(geo.MAX_BYTES + 1)
            n = geo.save_boundaries(raw)
        except OSError as e:
            self.stderr.write(f"{path}: {e.strerror or e}")
            sys.exit(2)
        except InvalidInput as e:
            self.stderr.write(f"{path}: {e.message}")
            sys.exit(2)
        self.stdout.write(f"{n} area boundaries stored")
