"""The citizen's pages: file a request (/public/), follow it with its number and query code
(/public/track/), and answer the callback questions online once the reply is approved.

Everything an order shows here is chosen field by field (`public_view`): its state in plain
words, the dates of the steps a citizen takes part in, the handling unit and the approved reply
(masked). Internal notes, reviews, returns between units and the caller's data never reach it.
Orders are written only through the actions, by the web channel's own actor (`public.web`)."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from hotline.directory import snapshot
from hotline.directory.models import Area, Category, User
from hotline.directory.roles import Role
from hotline.errors import DomainError, InvalidInput
from hotline.open311.published import mask_text
from hotline.orders import actions, evidence
from hotline.orders.models import CallbackChannel, Channel, Evidence, Satisfaction, WorkOrder
from hotline.orders.states import Action, State
from hotline.orders.validation import normalise_phone, phone_error, text_errors
from hotline.widgets import QuickSelect

from . import challenge, throttle
from .config import config
from .models import Ticket

ACTOR = "public.web"
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
CODE_LENGTH = 8
SESSION_DONE = "public_filed"
SESSION_VERIFIED = "public_verified"


def web_actor() -> User:
    """The web channel's system user: it files requests and records online answers."""
    user, _created = User.objects.get_or_create(
        username=ACTOR, defaults={"role": Role.PUBLIC.value, "display_name": "市民网上渠道", "is_active": False})
    return user


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "-"


def device_of(request: HttpRequest) -> str:
    """A keyed digest of the answering address and browser: the same device shows the same
    digest, and no one can get the address back from it."""
    raw = f"{client_ip(request)}|{request.META.get('HTTP_USER_AGENT', '')[:300]}"
    return salted_hmac("hotline.public.device", raw, algorithm="sha256").hexdigest()


def code_hash(code: str) -> str:
    return salted_hmac("hotline.public.ticket", code.strip().upper(), algorithm="sha256").hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


# ---- filing -------------------------------------------------------------------------------------------


def _place_and_category_choices() -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The areas and the active categories, read once per revision of the reference data (the
    form is the public part's busiest page; the ~700 categories were two queries on every view)."""
    memo = snapshot.current().memo
    found = memo.get("public.file_choices")
    if found is None:
        found = (list(Area.objects.order_by("name").values_list("pk", "name")),
                 list(Category.objects.filter(active=True).order_by("name").values_list("pk", "name")))
        memo["public.file_choices"] = found
    return found  # type: ignore[return-value]


class FileForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("标题"), max_length=200, required=False,
                            help_text=gettext_lazy("一句话说明问题，例如“东湖路路灯不亮”。"))
    description = forms.CharField(label=gettext_lazy("详细描述"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    category = forms.TypedChoiceField(label=gettext_lazy("诉求分类（可不选）"), required=False, coerce=int,
                                      empty_value=None, widget=QuickSelect)
    area = forms.TypedChoiceField(label=gettext_lazy("所在街道"), required=False, coerce=int, empty_value=None,
                                   widget=QuickSelect)
    address = forms.CharField(label=gettext_lazy("详细地址"), max_length=200, required=False)
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=50, required=False)
    phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=30, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    website = forms.CharField(required=False)  # the honeypot: hidden from people, filled by robots
    answer = forms.CharField(label=gettext_lazy("验证问题"), max_length=4, required=False,
                             widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    challenge = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        areas, categories = _place_and_category_choices()
        self.fields["area"].choices = [("", _("请选择")), *areas]
        self.fields["category"].choices = [("", _("不确定（由工作人员判断）")), *categories]
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["address"].widget.attrs["autocomplete"] = "street-address"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for field, messages in text_errors(title=data.get("title") or "", description=data.get("description") or "").items():
            for m in messages:
                self.add_error(field, m)
        if not data.get("area"):
            self.add_error("area", _("请选择所在街道。"))
        if not (data.get("address") or "").strip():
            self.add_error("address", _("请填写详细地址。"))
        if not (data.get("name") or "").strip():
            self.add_error("name", _("请填写姓名。"))
        phone = data.get("phone") or ""
        if not normalise_phone(phone):
            self.add_error("phone", _("请填写联系电话。"))
        else:
            msg = phone_error(phone)
            if msg:
                self.add_error("phone", msg)
        for field in ("title", "description", "address", "name", "phone"):
            if "\x00" in (data.get(field) or ""):
                self.add_error(field, _("内容含有无法保存的控制字符。"))
        return data


def _form_page(request: HttpRequest, form: FileForm, *, status: int = 200, error: str = "") -> HttpResponse:
    cfg = config()
    ch = challenge.new() if cfg["challenge"] else None
    if ch is not None:
        form.data = form.data.copy() if form.is_bound else form.data
        if form.is_bound:
            form.data["challenge"] = ch.token
            form.data["answer"] = ""
        else:
            form.initial["challenge"] = ch.token
    return render(request, "public/file.html", {
        "nav": "file", "form": form, "challenge": ch, "error": error, "max_photos": cfg["max_photos"],
        "max_photo_mb": cfg["max_photo_bytes"] // (1024 * 1024),
    }, status=status)


def _refused(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "public/refused.html", {"nav": "file", "message": message}, status=status)


@require_http_methods(["GET", "POST"])
def file_request(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _form_page(request, FileForm())
    cfg = config()
    form = FileForm(request.POST)
    if (request.POST.get("website") or "").strip():
        return _refused(request, _("提交未成功。如需帮助请拨打12345。"), 400)
    if throttle.hit("file-ip", client_ip(request), 3600) > cfg["file_per_ip_per_hour"]:
        return _refused(request, _("提交过于频繁，请一小时后再试，或拨打12345。"), 429)
    if not form.is_valid():
        return _form_page(request, form, status=400, error=_("请按提示修改后再提交。"))
    data = form.cleaned_data
    nonce = None
    if cfg["challenge"]:
        outcome, nonce = challenge.verify(data.get("challenge") or "", data.get("answer") or "")
        if outcome != "ok":
            message = {"expired": _("验证问题已过期，请回答新的问题。"),
                       "wrong": _("验证问题回答不正确，请重新计算。")}.get(outcome, _("验证问题无效，请回答新的问题。"))
            form.add_error("answer", message)
            return _form_page(request, form, status=400, error=_("请按提示修改后再提交。"))
    photos = request.FILES.getlist("photos")
    problem = _photo_problem(photos, cfg)
    if problem:
        form.add_error(None, problem)
        return _form_page(request, form, status=400, error=problem)
    phone = normalise_phone(data["phone"])
    if throttle.hit("file-phone", phone, 86400) > cfg["file_per_phone_per_day"]:
        return _refused(request, _("该号码今天提交的诉求已达上限，请明天再试，或拨打12345。"), 429)
    if nonce is not None and not challenge.use(nonce):
        form.add_error("answer", _("验证问题已使用过，请回答新的问题。"))
        return _form_page(request, form, status=400, error=_("请按提示修改后再提交。"))
    actor = web_actor()
    try:
        order = actions.do_create(actions.Intake(
            title=data["title"], description=data["description"], caller_name=data["name"].strip(),
            caller_phone=phone, channel=Channel.WEB, address=data["address"].strip(), area_id=data["area"],
            category_id=data.get("category")), actor=actor)
    except InvalidInput as exc:
        fields = {"caller_phone": "phone", "caller_name": "name"}
        for field, messages in (exc.details or {}).items():
            name = fields.get(field, field)
            for m in messages:
                form.add_error(name if name in form.fields else None, m)
        return _form_page(request, form, status=400, error=str(exc))
    for photo in photos:
        photo.seek(0)
        actions.do_attach(order.pk, actor=actor, file=photo, name=photo.name, kind=Evidence.Kind.PHOTO)
    code = new_code()
    Ticket.objects.create(order=order, code_hash=code_hash(code), created_at=timezone.now())
    request.session[SESSION_DONE] = {"number": order.number, "code": code}
    return redirect("public:filed")


def _photo_problem(photos: list[Any], cfg: dict[str, Any]) -> str:
    """Why the photos cannot be taken ("" when they can): count, size, and content (libmagic)."""
    if len(photos) > cfg["max_photos"]:
        return _("最多上传%(n)d张照片。") % {"n": cfg["max_photos"]}
    for photo in photos:
        if photo.size > cfg["max_photo_bytes"]:
            return _("照片“%(name)s”超过%(mb)dMB。") % {"name": photo.name[:60],
                                                       "mb": cfg["max_photo_bytes"] // (1024 * 1024)}
        try:
            checked = evidence.check(photo, photo.name)
        except InvalidInput:
            return _("“%(name)s”不是可用的照片：请上传JPG、PNG等格式的图片。") % {"name": photo.name[:60]}
        if checked.kind != Evidence.Kind.PHOTO:
            return _("“%(name)s”不是可用的照片：请上传JPG、PNG等格式的图片。") % {"name": photo.name[:60]}
    return ""


def filed(request: HttpRequest) -> HttpResponse:
    """The number and query code, shown once: a reload shows the tracking form instead."""
    done = request.session.pop(SESSION_DONE, None)
    if not done:
        return redirect("public:track")
    response = render(request, "public/filed.html", {"nav": "file", "number": done["number"], "code": done["code"]})
    response["Cache-Control"] = "no-store"
    return response


# ---- following ----------------------------------------------------------------------------------------


class TrackForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("工单编号"), max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    code = forms.CharField(label=gettext_lazy("查询码"), max_length=20,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}))


def _locked(ip: str, number: str, cfg: dict[str, Any]) -> bool:
    seconds = cfg["track_lock_minutes"] * 60
    limit = cfg["track_failures"]
    return throttle.count("track-ip", ip, seconds) >= limit or throttle.count("track-no", number, seconds) >= limit


_DUMMY = code_hash("not-a-code")


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "public/track.html", {"nav": "track", "form": TrackForm()})
    cfg = config()
    form = TrackForm(request.POST)
    if not form.is_valid():
        return render(request, "public/track.html", {"nav": "track", "form": form}, status=400)
    number = form.cleaned_data["number"].strip()
    code = form.cleaned_data["code"].strip()
    ip = client_ip(request)
    if _locked(ip, number, cfg):
        return render(request, "public/track.html", {
            "nav": "track", "form": TrackForm(),
            "error": _("查询失败次数过多，请%(n)d分钟后再试，或拨打12345。") % {"n": cfg["track_lock_minutes"]}},
            status=429)
    ticket = Ticket.objects.filter(order__number=number).select_related("order").first()
    ok = constant_time_compare(code_hash(code), ticket.code_hash if ticket else _DUMMY) and ticket is not None
    if not ok:
        seconds = cfg["track_lock_minutes"] * 60
        throttle.hit("track-ip", ip, seconds)
        throttle.hit("track-no", number, seconds)
        return render(request, "public/track.html", {
            "nav": "track", "form": TrackForm(initial={"number": number}),
            "error": _("工单编号或查询码不正确，请核对后再试。")}, status=400)
    request.session.cycle_key()  # a new session for the verified visitor
    request.session[SESSION_VERIFIED] = {"order": ticket.order_id, "hash": ticket.code_hash[:16]}
    return redirect("public:order", number=ticket.order.number)


def _verified(request: HttpRequest, number: str) -> WorkOrder | None:
    """The order, when this session gave its code (and the code has not changed since)."""
    held = request.session.get(SESSION_VERIFIED) or {}
    if not isinstance(held, dict) or "order" not in held:
        return None
    ticket = Ticket.objects.filter(order_id=held["order"], order__number=number).select_related(
        "order", "order__lead_unit").first()
    if ticket is None or not constant_time_compare(ticket.code_hash[:16], str(held.get("hash", ""))):
        return None
    return ticket.order


# State -> what a citizen reads
STATE_PHRASES = {
    State.RECEIVED: gettext_lazy("已受理，正在分派"),
    State.DISPATCHED: gettext_lazy("已派发承办单位"),
    State.RETURNED: gettext_lazy("正在分派"),
    State.IN_PROGRESS: gettext_lazy("承办单位正在办理"),
    State.REPLIED: gettext_lazy("承办单位已答复，正在审核"),
    State.AWAITING_CALLBACK: gettext_lazy("已办结，请您评价"),
    State.CLOSED: gettext_lazy("已办结"),
    State.SCREENED_OUT: gettext_lazy("经核实不予受理"),
    State.MERGED: gettext_lazy("已与相同诉求合并办理"),
    State.RETURNED_TO_CITY: gettext_lazy("已退回市级平台"),
}
# The steps a citizen sees, each shown once (its first date); returns between units, reviews
# sent back, notes and urgings are the centre's business.
STEPS = {
    Action.CREATE: gettext_lazy("诉求已受理"),
    Action.DISPATCH: gettext_lazy("已派发承办单位"),
    Action.CLAIM: gettext_lazy("已派发承办单位"),
    Action.SIGN: gettext_lazy("承办单位已签收"),
    Action.REPLY: gettext_lazy("承办单位已答复"),
    Action.APPROVE: gettext_lazy("答复已审核"),
    Action.ANSWER: gettext_lazy("已直接答复"),
    Action.CALLBACK: gettext_lazy("已回访评价"),
    Action.MERGE: gettext_lazy("已合并办理"),
    Action.SCREEN_OUT: gettext_lazy("不予受理"),
}
AFTER_APPROVAL = {State.AWAITING_CALLBACK, State.CLOSED}


def public_view(order: WorkOrder) -> dict[str, Any]:
    """What the public page shows of an order: nothing else of it reaches the template."""
    steps: list[dict[str, Any]] = []
    seen: set[str] = set()
    for action, at in order.events.filter(action__in=[str(a) for a in STEPS]).order_by("seq").values_list("action", "at"):
        label = str(STEPS[Action(action)])
        if label in seen:
            continue
        seen.add(label)
        steps.append({"label": label, "at": at})
    reply = ""
    if order.state in AFTER_APPROVAL:
        last = order.replies.order_by("-round").first()
        if last is not None:
            secrets_ = [order.caller_name, order.caller_phone, last.responder]
            reply = mask_text((last.outcome or last.process or "").strip(), secrets_)
    unit = order.lead_unit.name if order.lead_unit_id and order.state not in {State.RECEIVED, State.RETURNED} else ""
    return {
        "number": order.number, "title": order.title, "state": str(STATE_PHRASES.get(State(order.state), "")),
        "received_at": order.received_at, "steps": steps, "unit": unit, "reply": reply,
        "phone": mask_phone(order.caller_phone),
        "evaluable": order.state == State.AWAITING_CALLBACK,
        "evaluated": order.callbacks.filter(channel=CallbackChannel.WEB).exists(),
    }


class EvaluateForm(forms.Form):
    YES_NO = [("yes", gettext_lazy("是")), ("no", gettext_lazy("否"))]
    contacted = forms.ChoiceField(label=gettext_lazy("承办单位是否联系过您？"), choices=YES_NO, widget=forms.RadioSelect)
    resolved = forms.ChoiceField(label=gettext_lazy("您的问题是否已解决？"), choices=YES_NO, widget=forms.RadioSelect)
    satisfaction = forms.ChoiceField(label=gettext_lazy("您对办理结果是否满意？"), widget=forms.RadioSelect,
                                     choices=[(Satisfaction.SATISFIED.value, gettext_lazy("满意")),
                                              (Satisfaction.BASIC.value, gettext_lazy("基本满意")),
                                              (Satisfaction.UNSATISFIED.value, gettext_lazy("不满意"))])
    comment = forms.CharField(label=gettext_lazy("意见或建议（可不填）"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def clean_comment(self) -> str:
        comment = self.cleaned_data.get("comment") or ""
        if "\x00" in comment:
            raise forms.ValidationError(_("内容含有无法保存的控制字符。"))
        return comment


def _order_page(request: HttpRequest, order: WorkOrder, *, form: EvaluateForm | None = None, status: int = 200,
                error: str = "") -> HttpResponse:
    view = public_view(order)
    if view["evaluable"] and form is None:
        form = EvaluateForm()
    response = render(request, "public/order.html", {
        "nav": "track", "o": view, "form": form if view["evaluable"] else None, "error": error,
        "thanks": request.session.pop("public_thanks", False)}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def order_page(request: HttpRequest, number: str) -> HttpResponse:
    order = _verified(request, number)
    if order is None:
        return redirect("public:track")
    return _order_page(request, order)


@require_http_methods(["POST"])
def evaluate(request: HttpRequest, number: str) -> HttpResponse:
    order = _verified(request, number)
    if order is None:
        return redirect("public:track")
    if order.state != State.AWAITING_CALLBACK:
        return _order_page(request, order, status=409, error=_("此工单当前不能评价。"))
    form = EvaluateForm(request.POST)
    if not form.is_valid():
        return _order_page(request, order, form=form, status=400, error=_("请回答每个问题。"))
    data = form.cleaned_data
    try:
        actions.do_callback(order.pk, actor=web_actor(), valid=True, contacted=data["contacted"] == "yes",
                            resolved=data["resolved"] == "yes", satisfaction=data["satisfaction"],
                            note=data["comment"], channel=CallbackChannel.WEB, verification="query_code",
                            device=device_of(request))
    except DomainError:
        order.refresh_from_db()
        return _order_page(request, order, status=409, error=_("此工单当前不能评价。"))
    request.session["public_thanks"] = True
    return redirect("public:order", number=order.number)

