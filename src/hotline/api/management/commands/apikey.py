"""`hotline apikey create|list|revoke`: keys for other systems.

    hotline apikey create --name grid-platform --scope orders:read --scope orders:create [--role agent]
        [--unit CODE] [--rate 600] [--expires-days 365]     # the new key is the last line printed
    hotline apikey list
    hotline apikey revoke --name grid-platform --reason "合同到期"   (or --prefix PREFIX)

Only the key's hash is stored: the key printed at creation cannot be shown again."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from hotline.errors import DomainError

from ... import keys
from ...models import ApiKey


class Command(BaseCommand):
    help = "Create, list and revoke API keys for other systems (the new key is printed on the last line)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="create a system key; prints it on the last line")
        create.add_argument("--name", required=True, help="the system's name: lower-case letters, digits, . _ -")
        create.add_argument("--scope", action="append", default=[], dest="scopes",
                            help=f"may be given several times; one of: {', '.join(keys.SCOPES)}")
        create.add_argument("--role", default="agent", help="the role the system acts in (default: agent)")
        create.add_argument("--unit", default="", help="the unit's code, for handler and unit_head keys")
        create.add_argument("--rate", type=int, default=None, help="requests per minute (default: the setting)")
        create.add_argument("--expires-days", type=int, default=None, help="days until it expires (default: never)")
        sub.add_parser("list", help="list keys (never their secrets)")
        revoke = sub.add_parser("revoke", help="revoke a key now")
        which = revoke.add_mutually_exclusive_group(required=True)
        which.add_argument("--name", help="the live system key of this name")
        which.add_argument("--prefix", help="the key with this prefix (system or personal)")
        revoke.add_argument("--reason", default="", help="why (kept with the key and in the security log)")

    def handle(self, *args, verb: str, **options) -> None:
        try:
            getattr(self, f"_{verb}")(**options)
        except DomainError as exc:
            self.stderr.write(f"hotline apikey: {exc.message}")
            raise SystemExit(2) from None

    def _create(self, *, name: str, scopes: list[str], role: str, unit: str, rate: int | None,
                expires_days: int | None, **_: object) -> None:
        key, raw = keys.create_system_key(name=name, scopes=scopes, role=role, unit_code=unit, rate=rate,
                                          expires_days=expires_days)
        self.stdout.write(f"created key {key.prefix} for {key.name}: acts as {key.user.username} ({key.user.role}"
                          f"{', ' + key.user.unit.code if key.user.unit else ''}), scopes {' '.join(key.scopes)}, "
                          f"{key.rate_per_minute}/min, expires {key.expires_at or 'never'}")
        self.stdout.write("store it now: only its hash is kept")
        self.stdout.write(raw)

    def _list(self, **_: object) -> None:
        for key in ApiKey.objects.select_related("user").order_by("kind", "name", "-created_at"):
            state = "revoked" if key.revoked_at else "live"
            self.stdout.write(f"{key.prefix}\t{key.kind}\t{key.name}\t{key.user.username}\t{' '.join(key.scopes)}\t"
                              f"{state}\tlast used {key.last_used_at or '-'}")

    def _revoke(self, *, name: str | None, prefix: str | None, reason: str, **_: object) -> None:
        live = ApiKey.objects.filter(revoked_at__isnull=True)
        key = (live.filter(kind=ApiKey.Kind.SYSTEM, name=(name or "").strip().lower()) if name
               else live.filter(prefix=(prefix or "").strip())).first()
        if key is None:
            self.stderr.write("hotline apikey: no live key with that name or prefix")
            raise SystemExit(2)
        keys.revoke(key, reason=reason)
        self.stdout.write(f"revoked {key.prefix} ({key.name})")
