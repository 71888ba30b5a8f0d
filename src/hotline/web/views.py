from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hotline.orders.models import WorkOrder
from hotline.orders.selectors import orders_visible_to


@login_required
def home(request: HttpRequest) -> HttpResponse:
    orders = orders_visible_to(request.user).select_related("lead_unit", "category")[:50]  # type: ignore[arg-type]
    return render(request, "web/home.html", {"orders": orders, "total": WorkOrder.objects.count()})
