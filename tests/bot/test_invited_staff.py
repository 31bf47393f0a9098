"""Staff who come by an invitation link (``/start inv_<code>``), through the real bot and the fake Bot API: they
are told the role they are invited into before they give their phone, and a code that cannot be used is said at
that moment, not after the phone and the consent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import person
from ukbot.auth import public as auth_public
from ukbot.users import selectors
from ukbot.users.models import Invitation
from ukbot.users.services import invitations

pytestmark = pytest.mark.django_db(transaction=True)

LANGUAGES = ["🇷🇺 Русский", "🇺🇿 Oʻzbekcha", "🇬🇧 English"]
KIND = "Are you a resident or a member of staff?"
PHONE = "Please share your phone number with the button below."


def _invitation(role: str = "executor", specialization: str = "plumber") -> invitations.IssuedInvitation:
    if role != "executor":
        specialization = ""
    return invitations.invitation_create(
        created_by=person("manager"),
        role=role,
        expires_in="24h",
        specialization=specialization,
        level=4 if specialization else None,
    )


def test_an_invited_executor_hears_the_role_and_trade_before_the_phone_and_joins(bot):
    issued = _invitation()
    bek = bot.person(7301, "Bek", language_code="en")
    bot_says = bek.send(f"/start {issued.start_parameter}")
    assert bot_says[-1].buttons == LANGUAGES

    told, ask = bek.tap("English")
    assert told.text == "You are invited to join as Executor (Plumber)."
    assert ask.text == PHONE and ask.markup["keyboard"][0][0]["request_contact"] is True
    issued.invitation.refresh_from_db()
    assert issued.invitation.used_at is None  # told, not used: nothing is granted before the consent

    bek.contact("+998935550031")
    [name] = bek.tap("Agree")
    assert name.text == "Please type your first and last name, e.g. Aziz Karimov."
    [welcome] = bek.send("Bek Usmonov")
    assert welcome.text == "Welcome, Bek! You work as: Executor."
    account = auth_public.account_by_telegram(telegram_id=7301)
    assert selectors.profile_roles(account_id=account.id) == ["executor"]
    assert selectors.profile_specializations(account_id=account.id) == {"plumber": 4}


def test_the_role_is_told_in_the_chosen_language(bot):
    issued = _invitation(role="inspector")
    aziz = bot.person(7302, "Aziz", language_code="en")
    aziz.send(f"/start {issued.start_parameter}")
    told, _ask = aziz.tap("Русский")
    assert told.text == "Вас пригласили в роли: Обходчик."

    issued = _invitation()
    olim = bot.person(7303, "Olim", language_code="ru")
    olim.send(f"/start {issued.start_parameter}")
    told, _ask = olim.tap("Oʻzbekcha")
    assert told.text == "Siz quyidagi rolga taklif qilindingiz: Ijrochi (Santexnik)."


@pytest.mark.parametrize(
    ("spoil", "refusal"),
    [
        ("altered", "This invitation code is not valid. Check it and try again."),
        ("used", "This invitation was already used or withdrawn."),
        ("withdrawn", "This invitation was already used or withdrawn."),
        ("expired", "This invitation has expired. Ask for a new one."),
    ],
)
def test_a_link_that_cannot_be_used_is_said_after_the_language_not_after_the_phone(bot, spoil, refusal):
    issued = _invitation(role="inspector")
    parameter = issued.start_parameter
    if spoil == "altered":
        parameter = parameter[:-1] + ("2" if parameter[-1] != "2" else "3")
    elif spoil == "used":
        invitations.invitation_accept(code=issued.code, account_id=person())
    elif spoil == "withdrawn":
        invitations.invitation_revoke(invitation_id=issued.invitation.pk)
    else:  # time moves along past the expiry
        Invitation.objects.filter(pk=issued.invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    ira = bot.person(7304, "Ira", language_code="en")
    ira.send(f"/start {parameter}")

    told, kind = ira.tap("English")

    assert told.text == refusal
    assert (kind.text, len(kind.buttons)) == (KIND, 2)  # on as anyone without a link: resident, or staff with a code
    [hint] = ira.contact("+998935550041")
    assert hint.text == "Please choose with the buttons above: resident or staff."
    assert auth_public.account_by_telegram(telegram_id=7304) is None


def test_after_a_bad_link_staff_can_still_join_with_a_typed_code(bot):
    good = _invitation(role="inspector")
    ira = bot.person(7305, "Ira", language_code="en")
    ira.send("/start inv_NOT-A-CODE")
    told, _kind = ira.tap("English")
    assert told.text == "This invitation code is not valid. Check it and try again."
    [ask] = ira.tap("staff")
    assert ask.text == PHONE
    ira.contact("+998935550051")
    [ask_code] = ira.tap("Agree")
    assert ask_code.text == "Please type the invitation code you got from your manager."
    ira.send(good.code)
    [welcome] = ira.send("Ira Petrova")
    assert welcome.text == "Welcome, Ira! You work as: Inspector."


def test_a_newcomer_whose_language_is_known_is_told_the_role_right_away(bot):
    issued = _invitation()
    lola = bot.person(7306, "Lola", language_code="ru")
    lola.send("/start")
    lola.tap("English")  # chosen at an earlier /start, before the link came

    welcome, told, ask = lola.send(f"/start {issued.start_parameter}")

    assert welcome.text == "Welcome! I am the bot of your housing management company."
    assert told.text == "You are invited to join as Executor (Plumber)."
    assert ask.text == PHONE
    assert not any(reply.buttons == LANGUAGES for reply in (welcome, told, ask))


def test_a_newcomer_whose_language_is_known_hears_a_bad_link_right_away(bot):
    lola = bot.person(7307, "Lola", language_code="ru")
    lola.send("/start")
    lola.tap("English")

    _welcome, told, kind = lola.send("/start inv_NOT-A-CODE")

    assert told.text == "This invitation code is not valid. Check it and try again."
    assert kind.text == KIND
