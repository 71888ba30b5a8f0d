"""`hotline unlock USERNAME`: lift a login lockout now (the admin's "Access attempts" does the same)."""

from __future__ import annotations

from axes.utils import reset
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Lift the login lockout of an account (and of an address with --ip); written to the security log."

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?")
        parser.add_argument("--ip", help="also lift the lockout of this client address")

    def handle(self, *args, username=None, ip=None, **options):
        if not username and not ip:
            self.stderr.write("give a USERNAME, --ip ADDRESS, or both")
            raise SystemExit(2)
        count = 0
        if username:
            count += reset(username=username)
        if ip:
            count += reset(ip=ip)
        self.stdout.write(f"{count} attempt record(s) removed")
