from django.test import Client

from hotline.orders.models import WorkOrder
from tests.public.helpers import file_request, filed_keys, png


def test_smoke(district):
    c = Client()
    r = file_request(c, district, photos=[png()])
    number, code = filed_keys(c, r)
    o = WorkOrder.objects.get(number=number)
    assert o.channel == "web" and o.evidence.count() == 1
    r = c.post("/public/track/", {"number": number, "code": code})
    assert r.status_code == 302
    page = c.get(r["Location"]).content.decode()
    assert "已受理" in page
