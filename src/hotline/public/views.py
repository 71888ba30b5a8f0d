"""Placeholder views of the skeleton, replaced by citizen.py and disclosure.py."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "public/base.html", {})
