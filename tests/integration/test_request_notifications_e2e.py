"""A request's life through the API reaches the right people, in their language, over Telegram and e-mail:
the real relay and delivery loop, a fake Bot API over HTTP and a local SMTP sink (with a retry on each)."""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from django.utils import timezone

from tests.factories import executor, media_file, person, signed_in
from tests.fakes.telegram_api import FakeTelegramAPI
from ukbot.auth.models import Account
from ukbot.core.events.relay import drain
from ukbot.notifications import ratelimit
from ukbot.notifications.models import Notification
from ukbot.notifications.services import delivery
from ukbot.users import services as users

pytestmark = pytest.mark.django_db
TOKEN = "123456:e2e-secret"


class _Sink(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages = []

    def handle_message(self, message) -> None:
        self.messages.append(message)


@pytest.fixture
def wires(settings):
    """The fake Bot API and an SMTP sink the delivery code talks to."""
    ratelimit.reset()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = _Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=port)
    smtp.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    with FakeTelegramAPI(token=TOKEN) as fake:
        settings.TELEGRAM_API_URL, settings.TELEGRAM_BOT_TOKEN = fake.url, TOKEN
        yield fake, sink
    smtp.stop()
    ratelimit.reset()


def _deliver(fake) -> dict[int, list[dict]]:
    """Relay the events, work off the queue (retries included), and return what each chat got since last time."""
    drain(max_seconds=10)
    for _ in range(10):
        delivery.deliver_due(max_seconds=5)
        Notification.objects.filter(status="queued").update(next_attempt_at=timezone.now(), not_before=None)
        if not Notification.objects.filter(status__in=["queued", "sending"]).exists():
            break
    got: dict[int, list[dict]] = {}
    delivered = fake.delivered()
    for call in delivered[getattr(fake, "seen", 0) :]:
        got.setdefault(int(call.params["chat_id"]), []).append(call.params)
    fake.seen = len(delivered)
    return got


def _person(role: str, chat: int, language: str, *, trade: str | None = None, email: str = "") -> int:
    account = executor(trade) if trade else person(role)
    Account.objects.filter(pk=account).update(telegram_id=chat, email=email)
    users.profile_update(account_id=account, language=language)
    return account


def test_a_request_life_tells_each_person_in_their_language(wires):
    fake, smtp = wires
    resident = _person("applicant", 9001, "uz", email="nodira@example.uz")
    plumber = _person("executor", 9002, "ru", trade="plumber")
    manager = _person("manager", 9003, "en")
    as_resident, as_plumber, as_manager = signed_in(resident), signed_in(plumber), signed_in(manager)
    switched = as_resident.put("/api/v1/notifications/preferences", {"channels": {"email": True}}, format="json")
    assert switched.status_code == 200, switched.content

    number = as_resident.post(
        "/api/v1/requests", {"category": "plumbing", "description": "Oqish <b>bor</b>"}, format="json"
    ).json()["data"]["number"]
    assert _deliver(fake) == {}  # nobody hears of their own filing

    fake.fail_next("sendMessage", status=500)  # the first Telegram call fails: retried, delivered once
    as_manager.post(f"/api/v1/requests/{number}/assign", {"executor_id": plumber}, format="json")
    got = _deliver(fake)
    assert set(got) == {9001, 9002}  # not the manager who acted
    (to_plumber,) = got[9002]
    assert (
        to_plumber["text"].startswith("Вам назначена заявка") and "Oqish &lt;b&gt;bor&lt;/b&gt;" in to_plumber["text"]
    )
    assert to_plumber["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == f"req:start:{number}"
    assert "ariza bilan ijrochi" in got[9001][0]["text"]  # Uzbek for the resident: who will do the work

    as_plumber.put(f"/api/v1/requests/{number}/status", {"status": "in_progress"}, format="json")
    as_plumber.post(
        f"/api/v1/requests/{number}/complete", {"photos": [media_file(plumber)], "comment": "Tayyor"}, format="json"
    )
    as_manager.post(f"/api/v1/requests/{number}/comments", {"text": "Staff only", "internal": True}, format="json")
    confirmed = as_manager.post(f"/api/v1/requests/{number}/confirm", {}, format="json")
    assert confirmed.status_code == 200, confirmed.content
    got = _deliver(fake)
    texts = [m["text"] for m in got[9001]]
    assert not any("Staff only" in text for text in texts)  # internal comments never reach the applicant
    confirmation = next(m for m in got[9001] if "ish bajarildi" in m["text"])
    buttons = [b["callback_data"] for b in confirmation["reply_markup"]["inline_keyboard"][0]]
    assert buttons == [f"req:accept:{number}", f"req:return:{number}"]
    assert 9003 not in got  # the manager made every move here

    mails = [m for m in smtp.messages if m["To"] == "nodira@example.uz"]
    assert mails and all(number in m["Subject"] for m in mails)
    # every queued message ended sent, none twice
    assert not Notification.objects.exclude(status="sent").exists()
    sent = [(c.params["chat_id"], c.params["text"]) for c in fake.delivered()]
    assert len(set(sent)) == len(sent)
    assert any(c.status == 500 for c in fake.calls("sendMessage"))  # the failed first try happened
