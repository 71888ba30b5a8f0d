import io
from pathlib import Path

from hotline.assessment.history import import_history
from hotline.orders.trace import verify_all


def test_tmp(district):
    out, err = io.StringIO(), io.StringIO()
    rc = import_history(Path("src/hotline/assessment/templates_csv/history_template.csv"), stdout=out, stderr=err)
    print(out.getvalue(), err.getvalue())
    assert rc == 0
    assert list(verify_all()) == []
    from django.core.management import call_command
    s = io.StringIO()
    call_command("assess", "--from", "2023-07-01", "--to", "2023-07-31", "--json", stdout=s)
    print(s.getvalue())
