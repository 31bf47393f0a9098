"""The templates shipped with the app: what each kind of message may say (its variables) and the default texts.

A *kind* is the template's ``event_type``: mostly an event name (``request.created``), plus the messages one event
sends to different people (``request.unassigned`` goes to the executor who lost a request when ``request.assigned``
names a new one; a move of a request tells its applicant what it means to them, ``request.work_started`` or
``request.question``, decision 0021). The data migration loads these texts into ``Template`` rows; code falls back
to them when a row is missing, so deleting a row in the admin never leaves a person without a message.

Texts are Telegram HTML (``<b>``, ``<i>``); e-mail and SMS get the same words without the tags (see
:func:`default_for`). Uzbek is Latin script with ʻ (U+02BB) in oʻ/gʻ and ʼ (U+02BC) for the tutuq belgisi, as in
``locale/uz``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LANGUAGES = ("ru", "uz", "en")
# Channels that read Telegram HTML; the others get plain text.
HTML_CHANNELS = frozenset({"telegram"})
# Channels whose defaults are shipped as rows (SMS and push fall back to the Telegram words without tags).
SHIPPED_CHANNELS = ("telegram", "email")

_REQUEST = ("number", "category", "urgency", "status", "address", "description")

# kind -> the names its texts may use
VARIABLES: dict[str, tuple[str, ...]] = {
    "request.created": _REQUEST,
    "request.status_changed": (*_REQUEST, "old_status", "reason"),
    "request.confirmed": (*_REQUEST, "executor"),
    "request.work_done": (*_REQUEST, "executor"),
    "request.executor_assigned": (*_REQUEST, "executor"),
    "request.work_started": (*_REQUEST, "executor"),
    "request.sent_back": (*_REQUEST, "executor"),
    "request.question": (*_REQUEST, "question"),
    "request.cancelled_by_staff": (*_REQUEST, "reason"),
    "request.assigned": (*_REQUEST, "executor"),
    "request.unassigned": (*_REQUEST, "executor"),
    "request.reassigned": (*_REQUEST, "executor"),
    "request.returned": (*_REQUEST, "reason"),
    "request.cancelled": (*_REQUEST, "reason"),
    "request.completed": (*_REQUEST, "executor"),
    "request.awaiting_check": (*_REQUEST, "executor"),
    "request.comment_added": (*_REQUEST, "author", "comment"),
    "request.materials_requested": (*_REQUEST, "executor", "materials"),
    "request.materials_decided": (*_REQUEST, "item", "decision", "reason"),
    "request.sla_breached": (*_REQUEST, "kind", "deadline", "executor"),
    "assignment.failed": ("number", "category", "urgency", "address", "reason"),
    "user.verified": ("name", "specialization"),
    "user.verification_rejected": ("name", "specialization", "reason"),
    "user.verification_submitted": ("name", "specialization"),
    "user.apartment_link_requested": ("name", "apartment", "address", "relation"),
    "user.apartment_link_approved": ("apartment", "address", "relation"),
    "user.apartment_link_rejected": ("apartment", "address", "relation", "reason"),
    "shift.created": ("shift_id", "specialization", "start"),
    "shift.transferred": ("shift_id", "specialization", "start", "from_name", "to_name", "reason"),
    "shift.starting": ("shift_id", "specialization", "start"),
    "auth.mfa_enabled": (),
}

# Values the admin preview renders with (and the API's template preview).
SAMPLES: dict[str, str] = {
    "number": "260115-007",
    "category": "Plumbing",
    "urgency": "high",
    "status": "in progress",
    "old_status": "assigned",
    "address": "Amir Temur 1, apt. 12",
    "description": "Water is leaking from the ceiling <b>",
    "reason": "The tap is still dripping",
    "question": "Which entrance is it?",
    "executor": "Aziz Karimov",
    "author": "Dilnoza Rashidova",
    "comment": "Please call before coming",
    "materials": "Mixer tap × 1 pcs",
    "item": "Mixer tap",
    "decision": "approved",
    "kind": "resolution",
    "deadline": "15.01.2026 18:00",
    "name": "Aziz Karimov",
    "specialization": "Plumber",
    "apartment": "12",
    "relation": "owner",
    "shift_id": "42",
    "start": "16.01.2026 08:00",
    "from_name": "Aziz Karimov",
    "to_name": "Bobur Aliyev",
}

# What an SLA breach missed, per language: nobody assigned in time (reaction), work not done in time (resolution).
SLA_KINDS: dict[str, dict[str, str]] = {
    "ru": {"reaction": "реакция", "resolution": "выполнение"},
    "uz": {"reaction": "munosabat", "resolution": "bajarish"},
    "en": {"reaction": "reaction", "resolution": "resolution"},
}

# Button labels per language; buttons are rows of {"text", "callback_data"} whose strings take the variables.
LABELS: dict[str, dict[str, str]] = {
    "ru": {"start": "Начать работу", "accept": "Принять", "return": "Вернуть", "open": "Открыть", "answer": "Ответить"},
    "uz": {
        "start": "Ishni boshlash",
        "accept": "Qabul qilish",
        "return": "Qaytarish",
        "open": "Ochish",
        "answer": "Javob berish",
    },
    "en": {"start": "Start work", "accept": "Accept", "return": "Return", "open": "Open", "answer": "Answer"},
}
_BUTTONS: dict[str, tuple[tuple[tuple[str, str], ...], ...]] = {
    "request.assigned": ((("start", "req:start:{number}"), ("open", "req:open:{number}")),),
    "request.confirmed": ((("accept", "req:accept:{number}"), ("return", "req:return:{number}")),),
    "request.work_done": ((("accept", "req:accept:{number}"), ("return", "req:return:{number}")),),
    "request.executor_assigned": ((("open", "req:open:{number}"),),),
    "request.work_started": ((("open", "req:open:{number}"),),),
    "request.sent_back": ((("open", "req:open:{number}"),),),
    "request.question": ((("answer", "req:answer:{number}"), ("open", "req:open:{number}")),),
    "request.cancelled_by_staff": ((("open", "req:open:{number}"),),),
    "request.completed": ((("open", "req:open:{number}"),),),
    "request.awaiting_check": ((("open", "req:open:{number}"),),),
    "request.returned": ((("open", "req:open:{number}"),),),
    "request.status_changed": ((("open", "req:open:{number}"),),),
    "request.comment_added": ((("open", "req:open:{number}"),),),
    "request.materials_requested": ((("open", "req:open:{number}"),),),
    "request.materials_decided": ((("open", "req:open:{number}"),),),
    "request.sla_breached": ((("open", "req:open:{number}"),),),
    "assignment.failed": ((("open", "req:open:{number}"),),),
}

# kind -> language -> (title, Telegram HTML body)
TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "request.created": {
        "ru": ("Заявка {number} принята", "Заявка <b>{number}</b> принята.\n{category}, {address}\n\n{description}"),
        "uz": (
            "{number} ariza qabul qilindi",
            "<b>{number}</b> ariza qabul qilindi.\n{category}, {address}\n\n{description}",
        ),
        "en": (
            "Request {number} received",
            "Request <b>{number}</b> is received.\n{category}, {address}\n\n{description}",
        ),
    },
    "request.status_changed": {
        "ru": (
            "Заявка {number}: {status}",
            "Заявка <b>{number}</b>: статус «{status}» (был «{old_status}»).\n{reason}",
        ),
        "uz": (
            "{number} ariza: {status}",
            "<b>{number}</b> ariza holati: «{status}» (avval «{old_status}»).\n{reason}",
        ),
        "en": (
            "Request {number}: {status}",
            "Request <b>{number}</b> is now “{status}” (was “{old_status}”).\n{reason}",
        ),
    },
    "request.confirmed": {
        "ru": (
            "Работа по заявке {number} выполнена",
            "Работа по заявке <b>{number}</b> выполнена и проверена.\nПримите её или верните на доработку.",
        ),
        "uz": (
            "{number} ariza boʻyicha ish bajarildi",
            "<b>{number}</b> ariza boʻyicha ish bajarildi va tekshirildi.\n"
            "Uni qabul qiling yoki qayta ishlashga qaytaring.",
        ),
        "en": (
            "Work on request {number} is done",
            "Work on request <b>{number}</b> is done and checked.\nAccept it or return it for rework.",
        ),
    },
    "request.work_done": {
        "ru": (
            "Работа по заявке {number} выполнена",
            "Исполнитель {executor} сообщил, что работа по заявке <b>{number}</b> выполнена.\n"
            "Проверьте её и примите или верните на доработку.",
        ),
        "uz": (
            "{number} ariza boʻyicha ish bajarildi",
            "Ijrochi {executor} <b>{number}</b> ariza boʻyicha ish bajarilganini maʼlum qildi.\n"
            "Uni tekshirib, qabul qiling yoki qayta ishlashga qaytaring.",
        ),
        "en": (
            "Work on request {number} is done",
            "{executor} reports the work on request <b>{number}</b> done.\n"
            "Check it, then accept it or return it for rework.",
        ),
    },
    "request.executor_assigned": {
        "ru": (
            "Назначен исполнитель по заявке {number}",
            "Заявкой <b>{number}</b> займётся исполнитель {executor}.\n{category}, {address}",
        ),
        "uz": (
            "{number} arizaga ijrochi tayinlandi",
            "<b>{number}</b> ariza bilan ijrochi {executor} shugʻullanadi.\n{category}, {address}",
        ),
        "en": (
            "An executor is assigned to request {number}",
            "{executor} will handle request <b>{number}</b>.\n{category}, {address}",
        ),
    },
    "request.work_started": {
        "ru": (
            "Работа по заявке {number} начата",
            "Работа по заявке <b>{number}</b> начата. Исполнитель: {executor}.",
        ),
        "uz": (
            "{number} ariza boʻyicha ish boshlandi",
            "<b>{number}</b> ariza boʻyicha ish boshlandi. Ijrochi: {executor}.",
        ),
        "en": (
            "Work on request {number} has started",
            "Work on request <b>{number}</b> has started. Executor: {executor}.",
        ),
    },
    "request.sent_back": {
        "ru": (
            "Заявка {number} снова в работе",
            "Работу по заявке <b>{number}</b> проверили и отправили на доработку. Исполнитель: {executor}.",
        ),
        "uz": (
            "{number} ariza yana ishda",
            "<b>{number}</b> ariza boʻyicha ish tekshirildi va qayta ishlashga yuborildi. Ijrochi: {executor}.",
        ),
        "en": (
            "Request {number} is back in work",
            "The work on request <b>{number}</b> was checked and sent back for rework. Executor: {executor}.",
        ),
    },
    "request.question": {
        "ru": (
            "Вопрос по заявке {number}",
            "❓ По заявке <b>{number}</b> вам задали вопрос:\n\n{question}\n\nОтветьте, чтобы работа продолжилась.",
        ),
        "uz": (
            "{number} ariza boʻyicha savol",
            "❓ <b>{number}</b> ariza boʻyicha sizga savol berildi:\n\n{question}\n\n"
            "Ish davom etishi uchun javob bering.",
        ),
        "en": (
            "A question about request {number}",
            "❓ You have a question about request <b>{number}</b>:\n\n{question}\n\n"
            "Answer it so that the work can go on.",
        ),
    },
    "request.cancelled_by_staff": {
        "ru": ("Заявка {number} отменена", "Заявка <b>{number}</b> отменена.\n{reason}"),
        "uz": ("{number} ariza bekor qilindi", "<b>{number}</b> ariza bekor qilindi.\n{reason}"),
        "en": ("Request {number} cancelled", "Request <b>{number}</b> was cancelled.\n{reason}"),
    },
    "request.assigned": {
        "ru": (
            "Новая заявка {number}",
            "Вам назначена заявка <b>{number}</b> ({urgency}).\n{category}, {address}\n\n{description}",
        ),
        "uz": (
            "Yangi ariza {number}",
            "Sizga <b>{number}</b> ariza tayinlandi ({urgency}).\n{category}, {address}\n\n{description}",
        ),
        "en": (
            "New request {number}",
            "Request <b>{number}</b> is assigned to you ({urgency}).\n{category}, {address}\n\n{description}",
        ),
    },
    "request.unassigned": {
        "ru": (
            "Заявка {number} передана",
            "Заявка <b>{number}</b> передана другому исполнителю. Работать по ней больше не нужно.",
        ),
        "uz": (
            "{number} ariza topshirildi",
            "<b>{number}</b> ariza boshqa ijrochiga topshirildi. Endi u bilan ishlash shart emas.",
        ),
        "en": (
            "Request {number} reassigned",
            "Request <b>{number}</b> was given to another executor. You no longer work on it.",
        ),
    },
    "request.reassigned": {
        "ru": (
            "Новый исполнитель по заявке {number}",
            "По заявке <b>{number}</b> назначен новый исполнитель: {executor}.",
        ),
        "uz": (
            "{number} ariza uchun yangi ijrochi",
            "<b>{number}</b> ariza uchun yangi ijrochi tayinlandi: {executor}.",
        ),
        "en": ("New executor for request {number}", "Request <b>{number}</b> has a new executor: {executor}."),
    },
    "request.returned": {
        "ru": ("Заявка {number} возвращена", "Заявка <b>{number}</b> возвращена на доработку.\nПричина: {reason}"),
        "uz": ("{number} ariza qaytarildi", "<b>{number}</b> ariza qayta ishlashga qaytarildi.\nSabab: {reason}"),
        "en": ("Request {number} returned", "Request <b>{number}</b> was returned for rework.\nReason: {reason}"),
    },
    "request.cancelled": {
        "ru": ("Заявка {number} отменена", "Заявка <b>{number}</b> отменена. Работать по ней не нужно.\n{reason}"),
        "uz": (
            "{number} ariza bekor qilindi",
            "<b>{number}</b> ariza bekor qilindi. U bilan ishlash shart emas.\n{reason}",
        ),
        "en": ("Request {number} cancelled", "Request <b>{number}</b> was cancelled. No work is needed.\n{reason}"),
    },
    "request.completed": {
        "ru": (
            "Заявка {number} выполнена",
            "Исполнитель {executor} сообщил, что работа по заявке <b>{number}</b> выполнена.",
        ),
        "uz": (
            "{number} ariza bajarildi",
            "Ijrochi {executor} <b>{number}</b> ariza boʻyicha ish bajarilganini maʼlum qildi.",
        ),
        "en": ("Request {number} completed", "{executor} reports the work on request <b>{number}</b> done."),
    },
    "request.awaiting_check": {
        "ru": (
            "Заявка {number} ждёт проверки",
            "✅ Работа по заявке <b>{number}</b> выполнена и ждёт вашей проверки.\n{category}, {address}\n"
            "Исполнитель: {executor}",
        ),
        "uz": (
            "{number} ariza tekshiruvni kutmoqda",
            "✅ <b>{number}</b> ariza boʻyicha ish bajarildi va tekshiruvingizni kutmoqda.\n{category}, {address}\n"
            "Ijrochi: {executor}",
        ),
        "en": (
            "Request {number} awaits your check",
            "✅ The work on request <b>{number}</b> is done and awaits your check.\n{category}, {address}\n"
            "Executor: {executor}",
        ),
    },
    "request.comment_added": {
        "ru": ("Комментарий к заявке {number}", "Комментарий к заявке <b>{number}</b> от {author}:\n\n{comment}"),
        "uz": ("{number} arizaga izoh", "<b>{number}</b> arizaga {author} izoh qoldirdi:\n\n{comment}"),
        "en": ("Comment on request {number}", "{author} commented on request <b>{number}</b>:\n\n{comment}"),
    },
    "request.materials_requested": {
        "ru": (
            "Материалы для заявки {number}",
            "{executor} запрашивает материалы для заявки <b>{number}</b>:\n{materials}",
        ),
        "uz": (
            "{number} ariza uchun materiallar",
            "{executor} <b>{number}</b> ariza uchun materiallar soʻramoqda:\n{materials}",
        ),
        "en": (
            "Materials for request {number}",
            "{executor} asks for materials for request <b>{number}</b>:\n{materials}",
        ),
    },
    "request.materials_decided": {
        "ru": ("Материалы по заявке {number}: {decision}", "Заявка <b>{number}</b>: {item} — {decision}.\n{reason}"),
        "uz": ("{number} ariza materiallari: {decision}", "<b>{number}</b> ariza: {item} — {decision}.\n{reason}"),
        "en": ("Materials for request {number}: {decision}", "Request <b>{number}</b>: {item} — {decision}.\n{reason}"),
    },
    "request.sla_breached": {
        "ru": (
            "Просрочена заявка {number}",
            "⚠️ Заявка <b>{number}</b> ({urgency}) просрочена, {kind}: срок {deadline} прошёл.\n"
            "{category}, {address}\nСтатус: {status}. Исполнитель: {executor}",
        ),
        "uz": (
            "{number} ariza muddati oʻtdi",
            "⚠️ <b>{number}</b> ariza ({urgency}) muddati oʻtdi, {kind}: {deadline}.\n"
            "{category}, {address}\nHolati: {status}. Ijrochi: {executor}",
        ),
        "en": (
            "Request {number} is overdue",
            "⚠️ Request <b>{number}</b> ({urgency}) is overdue, {kind}: the deadline {deadline} has passed.\n"
            "{category}, {address}\nStatus: {status}. Executor: {executor}",
        ),
    },
    "assignment.failed": {
        "ru": (
            "Не удалось назначить заявку {number}",
            "Заявку <b>{number}</b> ({urgency}) не удалось назначить автоматически.\n{category}, {address}\n"
            "Причина: {reason}\nНазначьте исполнителя вручную.",
        ),
        "uz": (
            "{number} arizani tayinlab boʻlmadi",
            "<b>{number}</b> ariza ({urgency}) avtomatik tayinlanmadi.\n{category}, {address}\n"
            "Sabab: {reason}\nIjrochini qoʻlda tayinlang.",
        ),
        "en": (
            "Request {number} could not be assigned",
            "Request <b>{number}</b> ({urgency}) could not be assigned automatically.\n{category}, {address}\n"
            "Reason: {reason}\nAssign an executor by hand.",
        ),
    },
    "user.verified": {
        "ru": ("Верификация пройдена", "{name}, ваша заявка на верификацию одобрена. Специализация: {specialization}."),
        "uz": ("Tasdiqlashdan oʻtdingiz", "{name}, tasdiqlash arizangiz maʼqullandi. Mutaxassislik: {specialization}."),
        "en": (
            "You are verified",
            "{name}, your verification application is approved. Specialization: {specialization}.",
        ),
    },
    "user.verification_rejected": {
        "ru": (
            "Верификация отклонена",
            "{name}, ваша заявка на верификацию ({specialization}) отклонена.\nПричина: {reason}",
        ),
        "uz": ("Tasdiqlash rad etildi", "{name}, tasdiqlash arizangiz ({specialization}) rad etildi.\nSabab: {reason}"),
        "en": (
            "Verification rejected",
            "{name}, your verification application ({specialization}) is rejected.\nReason: {reason}",
        ),
    },
    "user.verification_submitted": {
        "ru": ("Новая заявка на верификацию", "{name} просит верификацию как исполнитель: {specialization}."),
        "uz": ("Yangi tasdiqlash arizasi", "{name} ijrochi sifatida tasdiqlashni soʻramoqda: {specialization}."),
        "en": ("New verification application", "{name} asks to be verified as an executor: {specialization}."),
    },
    "user.apartment_link_requested": {
        "ru": ("Запрос привязки квартиры", "{name} просит привязать квартиру {apartment} ({address}) как {relation}."),
        "uz": (
            "Xonadonni bogʻlash soʻrovi",
            "{name} {address} manzilidagi {apartment}-xonadonni bogʻlashni soʻramoqda ({relation}).",
        ),
        "en": (
            "Apartment link request",
            "{name} asks to be linked to apartment {apartment} ({address}) as {relation}.",
        ),
    },
    "user.apartment_link_approved": {
        "ru": ("Квартира привязана", "Квартира {apartment} ({address}) привязана к вашему профилю."),
        "uz": ("Xonadon bogʻlandi", "{address} manzilidagi {apartment}-xonadon profilingizga bogʻlandi."),
        "en": ("Apartment linked", "Apartment {apartment} ({address}) is linked to your profile."),
    },
    "user.apartment_link_rejected": {
        "ru": (
            "Привязка квартиры отклонена",
            "Запрос на привязку квартиры {apartment} ({address}) отклонён.\nПричина: {reason}",
        ),
        "uz": (
            "Xonadonni bogʻlash rad etildi",
            "{address} manzilidagi {apartment}-xonadonni bogʻlash rad etildi.\nSabab: {reason}",
        ),
        "en": (
            "Apartment link rejected",
            "Your request to link apartment {apartment} ({address}) is rejected.\nReason: {reason}",
        ),
    },
    "shift.created": {
        "ru": ("Новая смена", "Вам назначена смена №{shift_id} ({specialization}): начало {start}."),
        "uz": ("Yangi smena", "Sizga №{shift_id} smena tayinlandi ({specialization}): boshlanishi {start}."),
        "en": ("New shift", "You have a new shift #{shift_id} ({specialization}) starting {start}."),
    },
    "shift.transferred": {
        "ru": (
            "Смена передана",
            "Смена №{shift_id} ({specialization}, {start}) передана: {from_name} → {to_name}.\n{reason}",
        ),
        "uz": (
            "Smena topshirildi",
            "№{shift_id} smena ({specialization}, {start}) topshirildi: {from_name} → {to_name}.\n{reason}",
        ),
        "en": (
            "Shift transferred",
            "Shift #{shift_id} ({specialization}, {start}) passed from {from_name} to {to_name}.\n{reason}",
        ),
    },
    "shift.starting": {
        "ru": ("Смена скоро начнётся", "Смена №{shift_id} ({specialization}) начинается в {start}."),
        "uz": ("Smena tez orada boshlanadi", "№{shift_id} smena ({specialization}) {start} da boshlanadi."),
        "en": ("Your shift starts soon", "Shift #{shift_id} ({specialization}) starts at {start}."),
    },
    "auth.mfa_enabled": {
        "ru": (
            "Включён двухэтапный вход",
            "Для вашей учётной записи включён <b>двухэтапный вход</b>, а на других устройствах выполнен выход.\n"
            "Если это были не вы, срочно обратитесь в управляющую компанию.",
        ),
        "uz": (
            "Ikki bosqichli kirish yoqildi",
            "Hisobingiz uchun <b>ikki bosqichli kirish</b> yoqildi, boshqa qurilmalardan chiqildi.\n"
            "Agar bu siz boʻlmasangiz, zudlik bilan boshqaruv kompaniyasiga murojaat qiling.",
        ),
        "en": (
            "Two-step sign-in is on",
            "<b>Two-step sign-in</b> was turned on for your account and your other devices were signed out.\n"
            "If this was not you, contact the management company at once.",
        ),
    },
}

_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?>")


def strip_tags(text: str) -> str:
    """The words of a Telegram HTML text without its tags (for e-mail and SMS defaults)."""
    return _TAG.sub("", text)


@dataclass(frozen=True)
class TemplateSource:
    """A template's parts before rendering: title (e-mail subject), body and buttons, each with ``{variables}``."""

    title: str
    body: str
    buttons: tuple[tuple[dict, ...], ...] = ()


def default_buttons(kind: str, language: str) -> tuple[tuple[dict, ...], ...]:
    """The shipped buttons of ``kind`` with labels in ``language``."""
    labels = LABELS.get(language, LABELS["ru"])
    return tuple(
        tuple({"text": labels[name], "callback_data": data} for name, data in row) for row in _BUTTONS.get(kind, ())
    )


def default_for(kind: str, channel: str, language: str) -> TemplateSource | None:
    """The shipped template of ``kind`` for ``channel`` in ``language`` (Russian if that language has none)."""
    texts = TEXTS.get(kind)
    if texts is None:
        return None
    language = language if language in texts else "ru"
    title, body = texts[language]
    if channel in HTML_CHANNELS:
        return TemplateSource(title=title, body=body, buttons=default_buttons(kind, language))
    if channel == "sms":
        return TemplateSource(title="", body=title)
    return TemplateSource(title=title, body=strip_tags(body))
