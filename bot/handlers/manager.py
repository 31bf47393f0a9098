"""The manager's (dispatcher's) screens, the same for admins: request lists, the card's actions (assign, clarify,
materials, confirm, return, accept on behalf, cancel), material decisions, invitations, and the moderation of
apartment links and executor verifications with their documents.

Every button here carries what it acts on and, for a request, the version the manager saw: when somebody else
changed the request meanwhile (another manager assigned it, a double tap already confirmed it) the service refuses
the stale version and the manager is told, instead of overwriting the other change.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from django.utils.translation import get_language

from bot import hints, lists, render
from bot.callbacks import PageCb
from bot.errors import explain
from bot.filters import ActiveRole
from bot.handlers.cards import register_actions, show_card
from bot.i18n import _, __, texts_of
from bot.keyboards import button, keyboard, rows_of
from bot.menus import BUTTONS, MenuButton, is_menu_text
from bot.person import Person
from bot.sync import call
from ukbot.core.errors import ConflictError, NotFoundError, ValidationFailedError
from ukbot.media import public as media_public
from ukbot.requests import public as requests_public
from ukbot.requests import selectors as requests_selectors
from ukbot.requests import services as requests_services
from ukbot.requests.selectors import MaterialEntry, RequestCard
from ukbot.requests.statuses import Actor, Status
from ukbot.users import public as users_public
from ukbot.users import selectors as users_selectors
from ukbot.users import services as users_services
from ukbot.users.roles import Role
from ukbot.users.services import invitations, verification
from ukbot.users.specializations import MAX_LEVEL, MIN_LEVEL, SpecializationKey

router = Router(name=__name__)
MANAGERS = ActiveRole("manager", "admin")
MAX_DOCUMENTS_SHOWN = 5
PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})  # what sendPhoto takes; other files go as documents


# --- button data and dialog states ----------------------------------------------------------------------------


class ActCb(CallbackData, prefix="mgr"):
    """A card action on a request at the version the manager saw."""

    action: str  # assign, clarify, materials, confirm, return, accept, cancel
    number: str
    version: int


class AssignCb(CallbackData, prefix="mgras"):
    number: str
    executor: int
    version: int


class MaterialCb(CallbackData, prefix="mgrmat"):
    material: int
    to: str  # approved, issued, rejected


class InviteCb(CallbackData, prefix="mgrinv"):
    value: str


class LinkCb(CallbackData, prefix="mgrlink"):
    action: str  # approve, reject
    link: int


class VerifyCb(CallbackData, prefix="mgrver"):
    action: str  # approve (level 0: ask the level first), reject
    application: int
    level: int = 0


class Dialog(StatesGroup):
    """Waiting for a text the manager types: a question, a reason or a comment."""

    question = State()
    return_reason = State()
    accept_comment = State()
    cancel_reason = State()
    material_reason = State()
    link_reason = State()
    verification_reason = State()


class Invite(StatesGroup):
    role = State()
    specialization = State()
    level = State()
    expiry = State()


hints.register(Dialog.question, __("Write your question to the applicant as a text message, or /cancel."))
hints.register(Dialog.return_reason, __("Write why the work goes back, as a text message, or /cancel."))
hints.register(Dialog.accept_comment, __("Write why you accept on the applicant's behalf, or /cancel."))
hints.register(Dialog.cancel_reason, __("Write why the request is cancelled, as a text message, or /cancel."))
hints.register(Dialog.material_reason, __("Write why the material is rejected, as a text message, or /cancel."))
hints.register(Dialog.link_reason, __("Write why the apartment link is rejected, as a text message, or /cancel."))
hints.register(Dialog.verification_reason, __("Write why the application is rejected, as a text message, or /cancel."))
for _state in (Invite.role, Invite.specialization, Invite.level, Invite.expiry):
    hints.register(_state, __("Choose with the buttons above, or /cancel to stop."))

PROMPTS = {
    "clarify": (Dialog.question, __("Write your question to the applicant of request {number}.")),
    "return": (Dialog.return_reason, __("Why does request {number} go back to work? The executor will read it.")),
    "accept": (
        Dialog.accept_comment,
        __("You accept request {number} on the applicant's behalf. Write a comment: why?"),
    ),
    "cancel": (Dialog.cancel_reason, __("Why is request {number} cancelled? The applicant will read it.")),
}
EXPIRY_LABELS = {"1h": __("1 hour"), "24h": __("24 hours"), "7d": __("7 days")}


def _name(account_id: int | None) -> str:
    if account_id is None:
        return "—"
    return users_public.person_names(account_ids=[account_id])[account_id]


# --- request lists ------------------------------------------------------------------------------------------------

ACTIVE = (Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_MATERIALS, Status.CLARIFICATION)
LISTS = {
    "mgr_new": (__("🆕 New requests"), __("No new requests."), (Status.NEW,)),
    "mgr_active": (__("⚙️ Requests in work"), __("No requests in work."), ACTIVE),
    "mgr_check": (__("✅ Completed, awaiting your check"), __("Nothing awaits your check."), (Status.COMPLETED,)),
    "mgr_returned": (__("↩️ Returned by applicants"), __("No returned requests."), (Status.RETURNED,)),
    "mgr_overdue": (__("⏰ Overdue requests"), __("No overdue requests. 👍"), None),  # None: by deadlines
}


def list_page(person: Person, name: str, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of a manager's request list: entries, an Open button per request, and page arrows."""
    title, empty, statuses = LISTS[name]

    def read(**window) -> requests_selectors.LinePage:
        return requests_selectors.request_lines(
            account_id=person.account_id,
            actor_kind=Actor.MANAGER,
            statuses=statuses,
            overdue=statuses is None,
            order="oldest",
            **window,
        )

    def heading(total: int, page: int, pages: int) -> str:
        header = f"<b>{title}</b> — {total}"
        if pages > 1:
            header += " · " + _("page {page} of {pages}").format(page=page + 1, pages=pages)
        return header

    def entry(request: requests_selectors.RequestLine) -> str:
        overdue = statuses is not None and request.overdue  # the overdue list marks none: all of it is
        return ("⏰ " if overdue else "") + render.line(request)

    listing = lists.page_of(
        read,
        page=page,
        empty=empty,
        heading=heading,
        entry=entry,
        label=lambda request: f"🔎 {request.number}",
    )
    return listing.text, lists.markup(listing, name, per_row=2)


def _menu_name(text: str | None, names) -> str:
    return next(name for name in names if text in texts_of(BUTTONS[name]))


@router.message(MANAGERS, MenuButton(*LISTS))
async def request_list(message: Message, state: FSMContext, person: Person) -> None:
    await state.clear()
    text, markup = await call(list_page, person, _menu_name(message.text, LISTS), 0)
    await message.answer(text, reply_markup=markup)


@router.callback_query(MANAGERS, PageCb.filter(F.name.in_(set(LISTS))), F.message)
async def request_list_page(query: CallbackQuery, callback_data: PageCb, person: Person) -> None:
    await query.answer()
    text, markup = await call(list_page, person, callback_data.name, callback_data.page)
    await query.message.edit_text(text, reply_markup=markup)


# --- the card's buttons -----------------------------------------------------------------------------------------


def card_actions(person: Person, card: RequestCard) -> list[list[InlineKeyboardButton]]:
    """The manager's buttons on a request card: the moves the card offers now, and (re)assigning while the
    services allow it."""
    moves = card.moves

    def act(text: str, action: str) -> InlineKeyboardButton:
        return button(text, ActCb(action=action, number=card.number, version=card.version))

    work = []
    if card.status == Status.NEW and Status.ASSIGNED in moves:
        work.append(act(_("👷 Assign"), "assign"))
    elif card.status in requests_services.REASSIGNABLE:
        work.append(act(_("👷 Reassign") if card.executor_id else _("👷 Assign"), "assign"))
    if Status.CLARIFICATION in moves:
        work.append(act(_("❓ Clarify"), "clarify"))
    if card.has_materials:
        work.append(act(_("📦 Materials"), "materials"))
    check = []
    if Status.CONFIRMED in moves:
        check.append(act(_("✅ Confirm"), "confirm"))
    if card.status in {Status.COMPLETED, Status.RETURNED} and Status.IN_PROGRESS in moves:
        check.append(act(_("↩️ Return to work"), "return"))
    close = []
    if Status.ACCEPTED in moves:
        close.append(act(_("⭐ Accept on behalf"), "accept"))
    if Status.CANCELLED in moves:
        close.append(act(_("✖️ Cancel"), "cancel"))
    return [row for row in (work, check, close) if row]


register_actions("manager", card_actions)


def _card(person: Person, number: str) -> RequestCard | None:
    return requests_selectors.request_card(account_id=person.account_id, actor_kind=Actor.MANAGER, number=number)


def _status_text(person: Person, number: str) -> str:
    card = _card(person, number)
    status = render.label("status", card.status) if card else "—"
    return _("Done: request {number} is now “{status}”.").format(number=number, status=status)


def _current_version(person: Person, number: str) -> int | None:
    card = _card(person, number)
    return card.version if card else None


async def _changed_meanwhile(message: Message, person: Person, number: str) -> None:
    await message.answer(
        _("Somebody changed request {number} meanwhile; nothing was done. Here it is now:").format(number=number)
    )
    await show_card(message, person, number)


@router.callback_query(MANAGERS, ActCb.filter(F.action.in_(set(PROMPTS))), F.message)
async def ask_text(query: CallbackQuery, callback_data: ActCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    if await call(_current_version, person, callback_data.number) != callback_data.version:
        await _changed_meanwhile(query.message, person, callback_data.number)
        return
    target, prompt = PROMPTS[callback_data.action]
    await state.set_state(target)
    await state.set_data({"number": callback_data.number, "version": callback_data.version})
    await query.message.answer(str(prompt).format(number=callback_data.number))


def _confirm(person: Person, number: str, version: int) -> str:
    requests_services.request_move(
        number=number,
        to_status=Status.CONFIRMED,
        actor_kind=Actor.MANAGER,
        actor_id=person.account_id,
        expected_version=version,
    )
    return _status_text(person, number)


@router.callback_query(MANAGERS, ActCb.filter(F.action == "confirm"), F.message)
async def confirm(query: CallbackQuery, callback_data: ActCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    await state.clear()
    try:
        text = await call(_confirm, person, callback_data.number, callback_data.version)
    except ConflictError:
        await _changed_meanwhile(query.message, person, callback_data.number)
        return
    await query.message.answer(text)


# --- assigning --------------------------------------------------------------------------------------------------


def assign_choices(person: Person, number: str, version: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """Whom the request can go to: the verified executors of its category with their load, least busy first."""
    request = _card(person, number)
    if request is None:
        raise NotFoundError(_("No such request."))
    category = render.label("category", request.category)
    trade = users_public.category_specialization(category=request.category)
    ranked = [(ref, load) for ref, load in requests_selectors.executors_by_load(specialization=trade)]
    ranked = [(ref, load) for ref, load in ranked if ref.account_id != request.executor_id]
    if not ranked:
        return _("No other verified executor works in “{category}”.").format(category=category), None
    buttons = [
        button(
            _("{name} · level {level} · {load} in hand").format(name=ref.full_name, level=ref.level, load=load),
            AssignCb(number=number, executor=ref.account_id, version=version),
        )
        for ref, load in ranked[:20]
    ]
    text = _("Who will do request {number} ({category})? The least busy come first.").format(
        number=number, category=category
    )
    if request.executor_id:
        text += "\n" + _("Now with: {name}.").format(name=render.esc(_name(request.executor_id)))
    return text, keyboard(*rows_of(buttons, 1))


@router.callback_query(MANAGERS, ActCb.filter(F.action == "assign"), F.message)
async def assign(query: CallbackQuery, callback_data: ActCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    await state.clear()
    if await call(_current_version, person, callback_data.number) != callback_data.version:
        await _changed_meanwhile(query.message, person, callback_data.number)
        return
    text, markup = await call(assign_choices, person, callback_data.number, callback_data.version)
    await query.message.answer(text, reply_markup=markup)


def _assign(person: Person, number: str, executor_id: int, version: int) -> str:
    requests_services.request_reassign(
        number=number, executor_id=executor_id, actor_id=person.account_id, expected_version=version
    )
    return _("Request {number} is assigned to {name}.").format(number=number, name=render.esc(_name(executor_id)))


@router.callback_query(MANAGERS, AssignCb.filter(), F.message)
async def assign_chosen(query: CallbackQuery, callback_data: AssignCb, person: Person) -> None:
    await query.answer()
    try:
        text = await call(_assign, person, callback_data.number, callback_data.executor, callback_data.version)
    except ConflictError:
        await _changed_meanwhile(query.message, person, callback_data.number)
        return
    await query.message.answer(text)


# --- materials --------------------------------------------------------------------------------------------------


def _material_entries(materials: tuple[MaterialEntry, ...]) -> tuple[list[str], list[list[InlineKeyboardButton]]]:
    language = get_language() or "ru"
    entries, rows = [], []
    for m in materials:
        status = requests_public.label(field="material_status", value=m.status, language=language)
        entries.append(
            f"<b>#{m.material_id}</b> {render.esc(m.item)} — {m.quantity:f} {render.esc(m.unit)} · {status}\n"
            f"   {m.number}"
        )
        row, pk = [], m.material_id
        moves = requests_services.MATERIAL_MOVES.get(m.status, ())
        if "approved" in moves:
            row.append(button(_("✅ Approve #{id}").format(id=pk), MaterialCb(material=pk, to="approved")))
        if "issued" in moves:
            row.append(button(_("📤 Issue #{id}").format(id=pk), MaterialCb(material=pk, to="issued")))
        if "rejected" in moves:
            row.append(button(_("❌ Reject #{id}").format(id=pk), MaterialCb(material=pk, to="rejected")))
        rows.append(row)
    return entries, rows


def materials_page(page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """Material lines waiting for a decision (to approve or reject) or to be issued, oldest first."""
    found = requests_selectors.materials_waiting_page(offset=max(page, 0) * lists.PER_PAGE, limit=lists.PER_PAGE)
    total = found.total
    if not total:
        return _("No materials are waiting for you."), None
    pages, kept = lists.bounds(total, page)
    if kept != max(page, 0):  # a page past the end (the list got shorter meanwhile): show the last one
        found = requests_selectors.materials_waiting_page(offset=kept * lists.PER_PAGE, limit=lists.PER_PAGE)
    page = kept
    entries, rows = _material_entries(found.entries)
    header = "<b>" + _("📦 Materials waiting") + f"</b> — {total}"
    if pages > 1:
        header += " · " + _("page {page} of {pages}").format(page=page + 1, pages=pages)
    return "\n\n".join([header, *entries]), keyboard(*rows, lists.nav("mgr_materials", page, pages))


def request_materials(number: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """The material lines of one request with the decisions still open on them."""
    materials = requests_selectors.request_materials(number=number)
    if not materials:
        return _("Request {number} has no materials.").format(number=number), None
    entries, rows = _material_entries(materials)
    header = "<b>" + _("📦 Materials of request {number}").format(number=number) + "</b>"
    return "\n\n".join([header, *entries]), keyboard(*rows)


@router.message(MANAGERS, MenuButton("mgr_materials"))
async def materials(message: Message, state: FSMContext) -> None:
    await state.clear()
    text, markup = await call(materials_page, 0)
    await message.answer(text, reply_markup=markup)


@router.callback_query(MANAGERS, PageCb.filter(F.name == "mgr_materials"), F.message)
async def materials_more(query: CallbackQuery, callback_data: PageCb) -> None:
    await query.answer()
    text, markup = await call(materials_page, callback_data.page)
    await query.message.edit_text(text, reply_markup=markup)


@router.callback_query(MANAGERS, ActCb.filter(F.action == "materials"), F.message)
async def materials_of_request(query: CallbackQuery, callback_data: ActCb) -> None:
    await query.answer()
    text, markup = await call(request_materials, callback_data.number)
    await query.message.answer(text, reply_markup=markup)


def _decide(person: Person, material_id: int, to_status: str, reason: str = "") -> str:
    requests_services.material_decide(
        material_id=material_id, to_status=to_status, actor_id=person.account_id, reason=reason
    )
    material = requests_public.material_brief(material_id=material_id)
    status = requests_public.label(field="material_status", value=material.status, language=get_language() or "ru")
    return _("#{id} {item}: {status}.").format(id=material_id, item=render.esc(material.item), status=status)


def _material_item(material_id: int) -> str | None:
    brief = requests_public.material_brief(material_id=material_id)
    return brief.item if brief else None


@router.callback_query(MANAGERS, MaterialCb.filter(F.to.in_({"approved", "issued", "rejected"})), F.message)
async def material_chosen(query: CallbackQuery, callback_data: MaterialCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    await state.clear()
    if callback_data.to == "rejected":
        item = await call(_material_item, callback_data.material)
        if item is None:
            await query.message.answer(_("This material is no longer there."))
            return
        await state.set_state(Dialog.material_reason)
        await state.set_data({"id": callback_data.material})
        await query.message.answer(
            _("Why is #{id} {item} rejected? The executor will read it.").format(
                id=callback_data.material, item=render.esc(item)
            )
        )
        return
    await query.message.answer(await call(_decide, person, callback_data.material, callback_data.to))


# --- texts the manager types: questions, reasons, comments ---------------------------------------------------------


def _with_text(person: Person, step: str, data: dict, text: str) -> str:
    """Make the move the dialog was waiting for with ``text`` as its question, reason or comment (DB thread)."""
    me = person.account_id
    number, version = data.get("number", ""), data.get("version")
    if step == Dialog.question.state:
        requests_services.request_move(
            number=number,
            to_status=Status.CLARIFICATION,
            actor_kind=Actor.MANAGER,
            actor_id=me,
            reason=text,
            expected_version=version,
        )
        return _("Your question on request {number} was sent to the applicant.").format(number=number)
    if step == Dialog.return_reason.state:
        requests_services.request_return(
            number=number, actor_kind=Actor.MANAGER, actor_id=me, reason=text, expected_version=version
        )
        return _status_text(person, number)
    if step == Dialog.accept_comment.state:
        requests_services.request_accept(
            number=number, actor_kind=Actor.MANAGER, actor_id=me, reason=text, expected_version=version
        )
        return _status_text(person, number)
    if step == Dialog.cancel_reason.state:
        requests_services.request_move(
            number=number,
            to_status=Status.CANCELLED,
            actor_kind=Actor.MANAGER,
            actor_id=me,
            reason=text,
            expected_version=version,
        )
        return _status_text(person, number)
    if step == Dialog.material_reason.state:
        return _decide(person, data["id"], "rejected", text)
    if step == Dialog.link_reason.state:
        users_services.apartment_link_reject(link_id=data["id"], reviewer_id=me, reason=text)
        link = users_public.apartment_link_brief(link_id=data["id"])
        return _("Rejected: {who}. They will be told why.").format(who=render.esc(_name(link.account_id)))
    verification.verification_review(application_id=data["id"], reviewer_id=me, approve=False, reason=text)
    application = users_public.verification_brief(application_id=data["id"])
    return _("Rejected: {who}. They will be told why.").format(who=render.esc(_name(application.account_id)))


# A menu button pressed mid-dialog is not the awaited text: it falls through to its own handler below.
@router.message(
    MANAGERS, StateFilter(*Dialog.__states__), F.text.func(lambda text: text is not None and not is_menu_text(text))
)
async def text_given(message: Message, state: FSMContext, person: Person) -> None:
    step = await state.get_state()
    text = message.text.strip()
    if not text:
        await message.answer(hints.hint_for(step) or _("Please write it as a text message."))
        return
    data = await state.get_data()
    await state.clear()  # before the service call: a repeated message finds the dialog over
    try:
        reply = await call(_with_text, person, step, data, text)
    except ValidationFailedError as exc:  # e.g. too long: stay on this step and say so
        await state.set_state(step)
        await state.set_data(data)
        await message.answer(f"{explain(exc)}\n\n{hints.hint_for(step)}")
        return
    except ConflictError as exc:
        if data.get("number"):
            await _changed_meanwhile(message, person, data["number"])
            return
        reply = explain(exc)  # an apartment link or application decided by another manager meanwhile
    await message.answer(reply)
    if step == Dialog.link_reason.state:
        await _send_link(message, 0)
    elif step == Dialog.verification_reason.state:
        await _send_verification(message, 0)


# --- invitations ----------------------------------------------------------------------------------------------


def _invitable(person: Person) -> list[str]:
    roles = [Role.EXECUTOR.value, Role.INSPECTOR.value]
    if person.role == Role.ADMIN:  # only administrators bring in managers
        roles.append(Role.MANAGER.value)
    return roles


@router.message(MANAGERS, MenuButton("mgr_invite"))
async def invite(message: Message, state: FSMContext, person: Person) -> None:
    await state.clear()
    await state.set_state(Invite.role)
    buttons = [button(str(Role(role).label), InviteCb(value=role)) for role in _invitable(person)]
    await message.answer(_("Whom are you inviting?"), reply_markup=keyboard(*rows_of(buttons, 2)))


async def _ask_expiry(message: Message, state: FSMContext) -> None:
    await state.set_state(Invite.expiry)
    buttons = [button(str(label), InviteCb(value=key)) for key, label in EXPIRY_LABELS.items()]
    await message.answer(_("How long may the invitation be used?"), reply_markup=keyboard(buttons))


@router.callback_query(MANAGERS, Invite.role, InviteCb.filter(), F.message)
async def invite_role(query: CallbackQuery, callback_data: InviteCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    if callback_data.value not in _invitable(person):
        await query.message.answer(_("You cannot invite into this role."))
        return
    await state.update_data(role=callback_data.value)
    if callback_data.value != Role.EXECUTOR:
        await _ask_expiry(query.message, state)
        return
    await state.set_state(Invite.specialization)
    buttons = [button(str(label), InviteCb(value=key)) for key, label in SpecializationKey.choices]
    await query.message.answer(_("Which trade?"), reply_markup=keyboard(*rows_of(buttons, 2)))


@router.callback_query(MANAGERS, Invite.specialization, InviteCb.filter(), F.message)
async def invite_trade(query: CallbackQuery, callback_data: InviteCb, state: FSMContext) -> None:
    await query.answer()
    if callback_data.value not in SpecializationKey.values:
        return
    await state.update_data(specialization=callback_data.value)
    await state.set_state(Invite.level)
    buttons = [button(str(level), InviteCb(value=str(level))) for level in range(MIN_LEVEL, MAX_LEVEL + 1)]
    await query.message.answer(_("Which level (1 is a beginner, 5 a master)?"), reply_markup=keyboard(buttons))


@router.callback_query(MANAGERS, Invite.level, InviteCb.filter(), F.message)
async def invite_level(query: CallbackQuery, callback_data: InviteCb, state: FSMContext) -> None:
    await query.answer()
    if not callback_data.value.isdigit() or not MIN_LEVEL <= int(callback_data.value) <= MAX_LEVEL:
        return
    await state.update_data(level=int(callback_data.value))
    await _ask_expiry(query.message, state)


def _invitation(person: Person, data: dict, expires_in: str) -> str:
    issued = invitations.invitation_create(
        created_by=person.account_id,
        role=data["role"],
        expires_in=expires_in,
        specialization=data.get("specialization", ""),
        level=data.get("level"),
        may_invite_managers=person.role == Role.ADMIN,
    )
    return issued.code


@router.callback_query(MANAGERS, Invite.expiry, InviteCb.filter(F.value.in_(set(EXPIRY_LABELS))), F.message)
async def invite_expiry(query: CallbackQuery, callback_data: InviteCb, state: FSMContext, person: Person, bot: Bot):
    await query.answer()
    data = await state.get_data()
    await state.clear()  # before creating: a double tap makes one invitation
    code = await call(_invitation, person, data, callback_data.value)
    me = await bot.get_me()
    link = f"https://t.me/{me.username}?start=inv_{code}"
    role = str(Role(data["role"]).label)
    if data.get("specialization"):
        role = _("{role} — {trade}, level {level}").format(
            role=role, trade=SpecializationKey(data["specialization"]).label, level=data.get("level") or MIN_LEVEL
        )
    text = _(
        "✉️ Invitation for: {role}\nValid for: {expiry}, once.\n\nCode: <code>{code}</code>\nLink: {link}\n\n"
        "Send the link to the person, or read them the code to type after /start."
    ).format(role=render.esc(role), expiry=EXPIRY_LABELS[callback_data.value], code=code, link=render.esc(link))
    await query.message.answer(text)


# --- apartment links and verifications: one at a time, with their documents ---------------------------------------


@dataclass(frozen=True)
class Review:
    """One item waiting for moderation: its text, its documents, and where it is in the queue."""

    item_id: int
    text: str
    documents: tuple[media_public.FileContent | None, ...]
    position: int
    total: int


def _documents(media_ids) -> tuple[media_public.FileContent | None, ...]:
    # None stands for a document that cannot be shown (deleted, failed the scan, too large)
    return tuple(media_public.file_content(media_id=media_id) for media_id in list(media_ids)[:MAX_DOCUMENTS_SHOWN])


def link_item(position: int) -> Review | None:
    """The pending apartment link at ``position`` (oldest first; past the end wraps round), or None when none wait."""
    queued = users_selectors.apartment_link_pending_at(position=position)
    if queued is None:
        return None
    link, position, total = queued.item, queued.position, queued.total
    who = f"{link.first_name} {link.last_name}".strip() or f"#{link.account_id}"
    relation = users_public.label(field="relation", value=link.relation, language=get_language() or "ru")
    lines = [
        "<b>" + _("🏠 Apartment link {position} of {total}").format(position=position + 1, total=total) + "</b>",
        _("Who: {who}").format(who=render.esc(who)) + (f", {render.esc(link.phone)}" if link.phone else ""),
        _("Apartment: {address}, apt. {number}").format(
            address=render.esc(link.building_address), number=render.esc(link.apartment_number)
        ),
        _("Relation: {relation}").format(relation=relation),
        _("Asked: {when}").format(when=render.when(link.created_at)),
    ]
    if not link.document_media_id:
        lines.append(_("No identity document was attached."))
    documents = _documents([link.document_media_id] if link.document_media_id else [])
    return Review(item_id=link.link_id, text="\n".join(lines), documents=documents, position=position, total=total)


def verification_item(position: int) -> Review | None:
    """The pending verification application at ``position`` (oldest first, wrapping round), or None."""
    queued = users_selectors.verification_pending_at(position=position)
    if queued is None:
        return None
    application, position, total = queued.item, queued.position, queued.total
    language = get_language() or "ru"
    trade = users_public.label(field="specialization", value=application.specialization, language=language)
    lines = [
        "<b>" + _("🪪 Verification {position} of {total}").format(position=position + 1, total=total) + "</b>",
        _("Who: {who}").format(who=render.esc(_name(application.account_id))),
        _("Trade: {trade}").format(trade=trade),
        _("Sent: {when}").format(when=render.when(application.submitted_at)),
    ]
    if application.comment:
        lines.append(_("Comment: {comment}").format(comment=render.esc(application.comment)))
    if not application.documents:
        lines.append(_("No documents were attached."))
    documents = _documents(application.documents)
    return Review(
        item_id=application.application_id, text="\n".join(lines), documents=documents, position=position, total=total
    )


async def _send_review(message: Message, review: Review, buttons: list[list[InlineKeyboardButton]]) -> None:
    """Send the documents (as photos where Telegram shows them so), then the item with its buttons."""
    count = len(review.documents)
    for index, document in enumerate(review.documents, start=1):
        caption = _("Document {index} of {count}").format(index=index, count=count)
        if document is None:
            await message.answer(caption + ": " + _("cannot be shown (deleted, not checked yet or too large)."))
        elif document.content_type in PHOTO_TYPES:
            await message.answer_photo(BufferedInputFile(document.data, filename=document.name), caption=caption)
        else:
            await message.answer_document(BufferedInputFile(document.data, filename=document.name), caption=caption)
    await message.answer(review.text, reply_markup=keyboard(*buttons))


async def _send_link(message: Message, position: int) -> None:
    review = await call(link_item, position)
    if review is None:
        await message.answer(_("No apartment links are waiting. 👍"))
        return
    buttons = [
        [
            button(_("✅ Approve"), LinkCb(action="approve", link=review.item_id)),
            button(_("❌ Reject"), LinkCb(action="reject", link=review.item_id)),
        ]
    ]
    if review.total > 1:
        buttons.append([button(_("➡️ Next"), PageCb(name="mgr_links", page=review.position + 1))])
    await _send_review(message, review, buttons)


async def _send_verification(message: Message, position: int) -> None:
    review = await call(verification_item, position)
    if review is None:
        await message.answer(_("No verification applications are waiting. 👍"))
        return
    buttons = [
        [
            button(_("✅ Approve"), VerifyCb(action="approve", application=review.item_id)),
            button(_("❌ Reject"), VerifyCb(action="reject", application=review.item_id)),
        ]
    ]
    if review.total > 1:
        buttons.append([button(_("➡️ Next"), PageCb(name="mgr_verifications", page=review.position + 1))])
    await _send_review(message, review, buttons)


@router.message(MANAGERS, MenuButton("mgr_apartments"))
async def apartment_links(message: Message, state: FSMContext) -> None:
    await state.clear()
    await _send_link(message, 0)


@router.message(MANAGERS, MenuButton("mgr_verifications"))
async def verifications(message: Message, state: FSMContext) -> None:
    await state.clear()
    await _send_verification(message, 0)


@router.callback_query(MANAGERS, PageCb.filter(F.name.in_({"mgr_links", "mgr_verifications"})), F.message)
async def review_next(query: CallbackQuery, callback_data: PageCb, state: FSMContext) -> None:
    await query.answer()
    await state.clear()
    send = _send_link if callback_data.name == "mgr_links" else _send_verification
    await send(query.message, callback_data.page)


def _approve_link(person: Person, link_id: int) -> str:
    users_services.apartment_link_approve(link_id=link_id, reviewer_id=person.account_id)
    brief = users_public.apartment_link_brief(link_id=link_id)
    return _("Approved: {who}, {address}, apt. {number}.").format(
        who=render.esc(_name(brief.account_id)),
        address=render.esc(brief.building_address),
        number=render.esc(brief.apartment_number),
    )


@router.callback_query(MANAGERS, LinkCb.filter(F.action.in_({"approve", "reject"})), F.message)
async def link_decided(query: CallbackQuery, callback_data: LinkCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    await state.clear()
    if callback_data.action == "reject":
        await state.set_state(Dialog.link_reason)
        await state.set_data({"id": callback_data.link})
        await query.message.answer(_("Why is the link rejected? The resident will read it."))
        return
    try:
        text = await call(_approve_link, person, callback_data.link)
    except ConflictError as exc:  # another manager decided it meanwhile: say so, and go on with the queue
        text = explain(exc)
    await query.message.answer(text)
    await _send_link(query.message, 0)


def _approve_verification(person: Person, application_id: int, level: int) -> str:
    verification.verification_review(
        application_id=application_id, reviewer_id=person.account_id, approve=True, level=level
    )
    application = users_public.verification_brief(application_id=application_id)
    return _("Verified: {who} works as {trade}, level {level}.").format(
        who=render.esc(_name(application.account_id)),
        trade=SpecializationKey(application.specialization).label,
        level=level,
    )


@router.callback_query(MANAGERS, VerifyCb.filter(F.action.in_({"approve", "reject"})), F.message)
async def verification_decided(
    query: CallbackQuery, callback_data: VerifyCb, state: FSMContext, person: Person
) -> None:
    await query.answer()
    await state.clear()
    if callback_data.action == "reject":
        await state.set_state(Dialog.verification_reason)
        await state.set_data({"id": callback_data.application})
        await query.message.answer(_("Why is the application rejected? The person will read it."))
        return
    if not MIN_LEVEL <= callback_data.level <= MAX_LEVEL:
        buttons = [
            button(str(level), VerifyCb(action="approve", application=callback_data.application, level=level))
            for level in range(MIN_LEVEL, MAX_LEVEL + 1)
        ]
        await query.message.answer(_("At which level (1 is a beginner, 5 a master)?"), reply_markup=keyboard(buttons))
        return
    try:
        text = await call(_approve_verification, person, callback_data.application, callback_data.level)
    except ConflictError as exc:  # reviewed by another manager meanwhile
        text = explain(exc)
    await query.message.answer(text)
    await _send_verification(query.message, 0)


# --- anyone else pressing a manager's button ----------------------------------------------------------------------


@router.callback_query(F.data.regexp(r"^mgr[a-z]*:"))
async def not_for_you(query: CallbackQuery, person: Person | None) -> None:
    """A manager's button pressed by someone who is not (now) a manager, or an old one of a finished step."""
    if person is not None and not person.blocked and person.role in {"manager", "admin"}:
        await query.answer(_("This button is no longer active."))
        return
    await query.answer(_("Only managers can do this."), show_alert=True)
