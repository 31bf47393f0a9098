"""Verification: the executor applies for a specialization with photos of their documents (at least one; Done comes
with the first), or adds documents to the application waiting for review, and sees where it stands."""

from __future__ import annotations

from enum import StrEnum

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import albums, hints, render
from bot.errors import explain
from bot.handlers.executor.common import trade_label
from bot.i18n import _, __, n_
from bot.menus import MenuButton
from bot.person import Person
from bot.sync import call
from ukbot.core.errors import AppError
from ukbot.users import selectors as users_selectors
from ukbot.users.selectors import VerificationView
from ukbot.users.services import verification
from ukbot.users.specializations import SpecializationKey

router = Router(name=__name__)


MAX_DOCUMENTS = verification.MAX_DOCUMENTS


class VerifyAction(StrEnum):
    APPLY = "apply"  # for the specialization in ``value``
    ADD = "add"  # documents to the pending application whose id is in ``value``
    DONE = "done"  # the documents are sent


class VerifyCb(CallbackData, prefix="ver"):
    action: VerifyAction
    value: str = ""


class VerifyForm(StatesGroup):
    documents = State()  # none yet: no button (an application needs a document at least)
    more_documents = State()  # one or more: Done


DOCUMENT_STEP = StateFilter(VerifyForm.documents, VerifyForm.more_documents)

hints.register(VerifyForm.documents, __("Send a photo of a document. /cancel to stop."))
hints.register(VerifyForm.more_documents, __("Send a photo of a document, or press Done. /cancel to stop."))


def documents_added(count: int) -> str:
    """The answer to an album of documents, ``count`` of them taken so far."""
    return n_(
        "📄 {count} document added. Send more, or press Done.",
        "📄 {count} documents added. Send more, or press Done.",
        count,
    ).format(count=count)


def application_text(application: VerificationView | None) -> str:
    """How the application reads for its author."""
    if application is None:
        return _("You have not applied for verification yet.")
    trade = trade_label(application.specialization)
    if application.status == "pending":
        return _("🕓 Your application ({trade}) is waiting for review. Documents: {count}.").format(
            trade=trade, count=len(application.documents)
        )
    if application.status == "approved":
        return _("✅ Your application ({trade}) was approved.").format(trade=trade)
    return _("❌ Your application ({trade}) was rejected: {reason}").format(
        trade=trade, reason=render.esc(application.reason)
    )


def verification_submit(account_id: int, trade: str, application_id: int | None, documents: list[str]) -> str:
    """Apply, or add the documents to the pending application; return the application's status text."""
    if application_id is None:
        verification.verification_apply(account_id=account_id, specialization=trade, documents=documents)
    else:
        verification.verification_add_documents(
            application_id=application_id, account_id=account_id, documents=documents
        )
    return application_text(users_selectors.verification_latest(account_id=account_id))


def _trade_rows() -> list[list[InlineKeyboardButton]]:
    buttons = [
        InlineKeyboardButton(
            text=str(key.label), callback_data=VerifyCb(action=VerifyAction.APPLY, value=key.value).pack()
        )
        for key in SpecializationKey
    ]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


@router.message(MenuButton("verification"))
async def verification_screen(message: Message, person: Person) -> None:
    application = await call(users_selectors.verification_latest, account_id=person.account_id)
    text = await call(application_text, application)
    if application is not None and application.status == "pending":
        add = VerifyCb(action=VerifyAction.ADD, value=str(application.application_id)).pack()
        rows = [[InlineKeyboardButton(text=_("➕ Add documents"), callback_data=add)]]
    else:
        text += "\n\n" + _("Choose the specialization to apply for:")
        rows = _trade_rows()
    await message.answer(text, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


@router.callback_query(VerifyCb.filter(F.action.in_({VerifyAction.APPLY, VerifyAction.ADD})), F.message)
async def verification_start(query: CallbackQuery, callback_data: VerifyCb, state: FSMContext) -> None:
    await query.answer()
    if callback_data.action == VerifyAction.APPLY:
        data = {"trade": callback_data.value, "application": None, "documents": []}
    else:
        data = {"trade": "", "application": int(callback_data.value), "documents": []}
    await state.set_state(VerifyForm.documents)
    await state.set_data(data)
    text = _("Send photos of your documents (ID, certificates), one or more.")
    await albums.ask_photos(query.message, state, text, skip=None)  # Done comes with the first document


@router.message(DOCUMENT_STEP, F.photo | F.document)
async def verification_document(message: Message, state: FSMContext, person: Person, bot: Bot) -> None:
    count = await albums.take_photo(
        message,
        bot,
        state,
        owner_id=person.account_id,
        key="documents",
        limit=MAX_DOCUMENTS,
    )
    if not count:
        return
    await state.set_state(VerifyForm.more_documents)
    single = _("Document {count} received. Send more or press Done.").format(count=count)
    done = VerifyCb(action=VerifyAction.DONE)
    await albums.counted(message, bot, state, count=count, done=done, single=single, added=documents_added)


@router.callback_query(DOCUMENT_STEP, VerifyCb.filter(F.action == VerifyAction.DONE), F.message)
async def verification_done(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    await query.answer()
    data = await state.get_data()
    if not data["documents"]:
        await query.message.answer(_("Send at least one photo of a document first."))
        return
    await state.clear()  # before the call: a second tap on Done finds the dialog over
    try:
        text = await call(verification_submit, person.account_id, data["trade"], data["application"], data["documents"])
    except AppError as exc:
        text = explain(exc)
    await query.message.answer(text)
