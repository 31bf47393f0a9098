"""Moderation, one item at a time with its documents: residents' apartment links and executors' verification
applications, approved (a verification at a level) or rejected with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, Message
from django.utils.translation import get_language

from bot import render
from bot.callbacks import ListName, PageCb
from bot.errors import explain
from bot.handlers.manager.common import Dialog, name_of
from bot.i18n import _
from bot.keyboards import button, keyboard
from bot.menus import MenuButton
from bot.person import Person
from bot.sync import call
from ukbot.core.errors import ConflictError
from ukbot.media import public as media_public
from ukbot.users import public as users_public
from ukbot.users import selectors as users_selectors
from ukbot.users import services as users_services
from ukbot.users.services import verification
from ukbot.users.specializations import MAX_LEVEL, MIN_LEVEL, SpecializationKey

router = Router(name=__name__)


MAX_DOCUMENTS_SHOWN = 5
PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})  # what sendPhoto takes; other files go as documents


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"  # asks for the reason


class LinkCb(CallbackData, prefix="mgrlink"):
    action: Decision
    link: int


class VerifyCb(CallbackData, prefix="mgrver"):
    """A decision on a verification application; approving at level 0 asks for the level first."""

    action: Decision
    application: int
    level: int = 0


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
    queued = users_selectors.apartment_link_pending_at(position=position, language=get_language())
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
        _("Who: {who}").format(who=render.esc(name_of(application.account_id))),
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


async def send_link(message: Message, position: int) -> None:
    review = await call(link_item, position)
    if review is None:
        await message.answer(_("No apartment links are waiting. 👍"))
        return
    buttons = [
        [
            button(_("✅ Approve"), LinkCb(action=Decision.APPROVE, link=review.item_id)),
            button(_("❌ Reject"), LinkCb(action=Decision.REJECT, link=review.item_id)),
        ]
    ]
    if review.total > 1:
        buttons.append([button(_("➡️ Next"), PageCb(name=ListName.MGR_LINKS, page=review.position + 1))])
    await _send_review(message, review, buttons)


async def send_verification(message: Message, position: int) -> None:
    review = await call(verification_item, position)
    if review is None:
        await message.answer(_("No verification applications are waiting. 👍"))
        return
    buttons = [
        [
            button(_("✅ Approve"), VerifyCb(action=Decision.APPROVE, application=review.item_id)),
            button(_("❌ Reject"), VerifyCb(action=Decision.REJECT, application=review.item_id)),
        ]
    ]
    if review.total > 1:
        buttons.append([button(_("➡️ Next"), PageCb(name=ListName.MGR_VERIFICATIONS, page=review.position + 1))])
    await _send_review(message, review, buttons)


@router.message(MenuButton("mgr_apartments"))
async def apartment_links(message: Message, state: FSMContext) -> None:
    await state.clear()
    await send_link(message, 0)


@router.message(MenuButton("mgr_verifications"))
async def verifications(message: Message, state: FSMContext) -> None:
    await state.clear()
    await send_verification(message, 0)


@router.callback_query(PageCb.filter(F.name.in_({ListName.MGR_LINKS, ListName.MGR_VERIFICATIONS})), F.message)
async def review_next(query: CallbackQuery, callback_data: PageCb, state: FSMContext) -> None:
    await query.answer()
    await state.clear()
    send = send_link if callback_data.name == ListName.MGR_LINKS else send_verification
    await send(query.message, callback_data.page)


def _approve_link(person: Person, link_id: int) -> str:
    users_services.apartment_link_approve(link_id=link_id, reviewer_id=person.account_id)
    brief = users_public.apartment_link_brief(link_id=link_id, language=get_language())
    return _("Approved: {who}, {address}, apt. {number}.").format(
        who=render.esc(name_of(brief.account_id)),
        address=render.esc(brief.building_address),
        number=render.esc(brief.apartment_number),
    )


@router.callback_query(LinkCb.filter(F.action.in_({Decision.APPROVE, Decision.REJECT})), F.message)
async def link_decided(query: CallbackQuery, callback_data: LinkCb, state: FSMContext, person: Person) -> None:
    await query.answer()
    await state.clear()
    if callback_data.action == Decision.REJECT:
        await state.set_state(Dialog.link_reason)
        await state.set_data({"id": callback_data.link})
        await query.message.answer(_("Why is the link rejected? The resident will read it."))
        return
    try:
        text = await call(_approve_link, person, callback_data.link)
    except ConflictError as exc:  # another manager decided it meanwhile: say so, and go on with the queue
        text = explain(exc)
    await query.message.answer(text)
    await send_link(query.message, 0)


def _approve_verification(person: Person, application_id: int, level: int) -> str:
    verification.verification_review(
        application_id=application_id, reviewer_id=person.account_id, approve=True, level=level
    )
    application = users_public.verification_brief(application_id=application_id)
    return _("Verified: {who} works as {trade}, level {level}.").format(
        who=render.esc(name_of(application.account_id)),
        trade=SpecializationKey(application.specialization).label,
        level=level,
    )


@router.callback_query(VerifyCb.filter(F.action.in_({Decision.APPROVE, Decision.REJECT})), F.message)
async def verification_decided(
    query: CallbackQuery, callback_data: VerifyCb, state: FSMContext, person: Person
) -> None:
    await query.answer()
    await state.clear()
    if callback_data.action == Decision.REJECT:
        await state.set_state(Dialog.verification_reason)
        await state.set_data({"id": callback_data.application})
        await query.message.answer(_("Why is the application rejected? The person will read it."))
        return
    if not MIN_LEVEL <= callback_data.level <= MAX_LEVEL:
        buttons = [
            button(str(level), VerifyCb(action=Decision.APPROVE, application=callback_data.application, level=level))
            for level in range(MIN_LEVEL, MAX_LEVEL + 1)
        ]
        await query.message.answer(_("At which level (1 is a beginner, 5 a master)?"), reply_markup=keyboard(buttons))
        return
    try:
        text = await call(_approve_verification, person, callback_data.application, callback_data.level)
    except ConflictError as exc:  # reviewed by another manager meanwhile
        text = explain(exc)
    await query.message.answer(text)
    await send_verification(query.message, 0)
