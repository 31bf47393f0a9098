"""People (profiles, roles, specializations) and the place tree, in schema ``users``.

The person's id is the `auth` account id, stored as a plain integer (no key into `auth`, decision 0004).
Role grants and specializations point at the profile through that same id (``to_field="account_id"``, column
``account_id``), so every table of this app speaks of a person by the one id every app uses.
"""

from __future__ import annotations

from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    ProhibitNullCharactersValidator,
    RegexValidator,
)
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ukbot.users.roles import Role
from ukbot.users.specializations import MAX_LEVEL, MIN_LEVEL, SpecializationKey

# E.164: a plus, a country code not starting with 0, at most 15 digits in all. Services strip spaces, dashes and
# brackets first, so "+998 (90) 123-45-67" is stored as "+998901234567".
PHONE_PATTERN = r"^\+[1-9][0-9]{6,14}$"
phone_validator = RegexValidator(PHONE_PATTERN, _("Enter a phone number in international format, e.g. +998901234567."))
no_nul = ProhibitNullCharactersValidator()


class Language(models.TextChoices):
    RU = "ru", _("Russian")
    UZ = "uz", _("Uzbek")
    EN = "en", _("English")


class ProfileStatus(models.TextChoices):
    # pending: registered, not yet checked by a manager; approved: checked; blocked: refused any access.
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    BLOCKED = "blocked", _("Blocked")


class Profile(models.Model):
    """A person as `users` knows them: one per account."""

    account_id = models.BigIntegerField(_("account id"), unique=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True, default="", validators=[no_nul])
    last_name = models.CharField(_("last name"), max_length=150, blank=True, default="", validators=[no_nul])
    phone = models.CharField(_("phone"), max_length=16, blank=True, default="", validators=[phone_validator])
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.RU)
    active_role = models.CharField(
        _("active role"),
        max_length=20,
        choices=Role.choices,
        blank=True,
        default="",
        help_text=_("The role the person acts in now; one of their granted roles."),
    )
    avatar_media_id = models.UUIDField(_("avatar media id"), null=True, blank=True)
    # A TextField's max_length binds forms only; the validator makes services check it too.
    bio = models.TextField(
        _("about"), max_length=1000, blank=True, default="", validators=[no_nul, MaxLengthValidator(1000)]
    )
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ProfileStatus.choices, default=ProfileStatus.PENDING)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        db_table = 'users"."profile'
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        ordering = ("account_id",)
        constraints = [
            models.UniqueConstraint(fields=["phone"], condition=~Q(phone=""), name="profile_phone_uniq"),
            models.CheckConstraint(condition=Q(phone="") | Q(phone__regex=PHONE_PATTERN), name="profile_phone_e164"),
            models.CheckConstraint(condition=Q(language__in=Language.values), name="profile_language_valid"),
            models.CheckConstraint(condition=Q(status__in=ProfileStatus.values), name="profile_status_valid"),
            models.CheckConstraint(
                condition=Q(active_role="") | Q(active_role__in=Role.values), name="profile_active_role_valid"
            ),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} (#{self.account_id})" if name else f"#{self.account_id}"


class RoleGrant(models.Model):
    """One role held by one person; who granted it and when."""

    profile = models.ForeignKey(
        Profile,
        on_delete=models.CASCADE,
        to_field="account_id",
        db_column="account_id",
        related_name="role_grants",
        verbose_name=_("person"),
        db_index=False,  # the (account_id, role) unique index serves look-ups by person
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    granted_by = models.BigIntegerField(
        _("granted by"), null=True, blank=True, help_text=_("Account id of who granted it; empty for self sign-up.")
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)

    class Meta:
        db_table = 'users"."role_grant'
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        ordering = ("profile_id", "role")
        constraints = [
            models.UniqueConstraint(fields=["profile", "role"], name="role_grant_account_role_uniq"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="role_grant_role_valid"),
        ]

    def __str__(self) -> str:
        return f"#{self.profile_id}: {self.role}"


class Specialization(models.Model):
    """A trade a person works in, with a skill level from 1 (novice) to 5 (expert)."""

    profile = models.ForeignKey(
        Profile,
        on_delete=models.CASCADE,
        to_field="account_id",
        db_column="account_id",
        related_name="specializations",
        verbose_name=_("person"),
        db_index=False,  # the (account_id, key) unique index serves look-ups by person
    )
    key = models.CharField(_("specialization"), max_length=20, choices=SpecializationKey.choices)
    level = models.PositiveSmallIntegerField(
        _("level"), validators=[MinValueValidator(MIN_LEVEL), MaxValueValidator(MAX_LEVEL)]
    )

    class Meta:
        db_table = 'users"."specialization'
        verbose_name = _("specialization")
        verbose_name_plural = _("specializations")
        ordering = ("profile_id", "key")
        constraints = [
            models.UniqueConstraint(fields=["profile", "key"], name="specialization_account_key_uniq"),
            models.CheckConstraint(condition=Q(key__in=SpecializationKey.values), name="specialization_key_valid"),
            models.CheckConstraint(
                condition=Q(level__gte=MIN_LEVEL, level__lte=MAX_LEVEL), name="specialization_level_range"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.profile_id}: {self.key} ({self.level})"


# --- the place tree: yard → building → entrance → apartment --------------------------------------------------


class Yard(models.Model):
    """A residential complex (ЖК) or courtyard: the top of the place tree."""

    name = models.CharField(_("name"), max_length=200, unique=True, validators=[no_nul])
    address = models.CharField(_("address"), max_length=300, blank=True, default="", validators=[no_nul])

    class Meta:
        db_table = 'users"."yard'
        verbose_name = _("yard")
        verbose_name_plural = _("yards")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    """A building of a yard, with coordinates for routes and distances (both or neither)."""

    yard = models.ForeignKey(
        Yard,
        on_delete=models.PROTECT,
        related_name="buildings",
        verbose_name=_("yard"),
        db_index=False,  # the (yard, address) unique index serves look-ups by yard
    )
    address = models.CharField(
        _("address"), max_length=300, validators=[no_nul], help_text=_("In the company's language.")
    )
    # The address as readers of each language write it; empty reads as `address` (decision 0020). The column of
    # the company's language is not used: `address` is that version.
    address_ru = models.CharField(_("address in Russian"), max_length=300, blank=True, default="", validators=[no_nul])
    address_uz = models.CharField(_("address in Uzbek"), max_length=300, blank=True, default="", validators=[no_nul])
    address_en = models.CharField(_("address in English"), max_length=300, blank=True, default="", validators=[no_nul])
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )

    class Meta:
        db_table = 'users"."building'
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ("yard_id", "address")
        constraints = [
            models.UniqueConstraint(fields=["yard", "address"], name="building_yard_address_uniq"),
            models.CheckConstraint(condition=Q(latitude__gte=-90, latitude__lte=90), name="building_latitude_range"),
            models.CheckConstraint(
                condition=Q(longitude__gte=-180, longitude__lte=180), name="building_longitude_range"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="building_coordinates_both_or_neither",
                violation_error_message=_("Give both latitude and longitude, or neither."),
            ),
        ]

    def __str__(self) -> str:
        return self.address


# The column that holds a building's address in each language (decision 0020).
ADDRESS_FIELDS = {"ru": "address_ru", "uz": "address_uz", "en": "address_en"}


class Entrance(models.Model):
    """An entrance (подъезд) of a building, numbered from 1."""

    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        related_name="entrances",
        verbose_name=_("building"),
        db_index=False,  # the (building, number) unique index serves look-ups by building
    )
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])

    class Meta:
        db_table = 'users"."entrance'
        verbose_name = _("entrance")
        verbose_name_plural = _("entrances")
        ordering = ("building_id", "number")
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="entrance_building_number_uniq"),
            models.CheckConstraint(condition=Q(number__gte=1), name="entrance_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.building}, {_('entrance')} {self.number}"


class Apartment(models.Model):
    """An apartment of an entrance; its number is text because numbers such as "12a" exist."""

    entrance = models.ForeignKey(
        Entrance,
        on_delete=models.PROTECT,
        related_name="apartments",
        verbose_name=_("entrance"),
        db_index=False,  # the (entrance, number) unique index serves look-ups by entrance
    )
    number = models.CharField(_("number"), max_length=10, validators=[no_nul])
    floor = models.SmallIntegerField(
        _("floor"), null=True, blank=True, validators=[MinValueValidator(-5), MaxValueValidator(200)]
    )

    class Meta:
        db_table = 'users"."apartment'
        verbose_name = _("apartment")
        verbose_name_plural = _("apartments")
        ordering = ("entrance_id", "number")
        constraints = [
            models.UniqueConstraint(fields=["entrance", "number"], name="apartment_entrance_number_uniq"),
            models.CheckConstraint(condition=~Q(number=""), name="apartment_number_not_empty"),
            models.CheckConstraint(condition=Q(floor__gte=-5, floor__lte=200), name="apartment_floor_range"),
        ]

    def __str__(self) -> str:
        return f"{self.entrance}, {_('apartment')} {self.number}"


class Invitation(models.Model):
    """A staff invitation: a signed, single-use code naming the role (and trade) it grants, until it expires.

    Only the code's SHA-256 is stored; the code itself is shown once to the manager who made it.
    """

    code_hash = models.CharField(max_length=64, unique=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    specialization = models.CharField(
        _("specialization"), max_length=20, choices=SpecializationKey.choices, blank=True, default=""
    )
    level = models.PositiveSmallIntegerField(
        _("level"), null=True, blank=True, validators=[MinValueValidator(MIN_LEVEL), MaxValueValidator(MAX_LEVEL)]
    )
    note = models.CharField(_("note"), max_length=200, blank=True, default="", validators=[no_nul])
    created_by = models.BigIntegerField(_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_by = models.BigIntegerField(_("used by"), null=True, blank=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        db_table = 'users"."invitation'
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="invitation_role_valid"),
            models.CheckConstraint(
                condition=~Q(role="executor") | ~Q(specialization=""), name="invitation_executor_has_trade"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} #{self.pk}"


class VerificationStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class VerificationApplication(models.Model):
    """An executor's application to be verified, with identity and qualification documents (media ids)."""

    account_id = models.BigIntegerField(_("account id"), db_index=True)
    specialization = models.CharField(_("specialization"), max_length=20, choices=SpecializationKey.choices)
    documents = models.JSONField(_("documents"), default=list, blank=True, help_text=_("Media ids of the documents."))
    comment = models.TextField(_("comment"), max_length=2000, blank=True, default="", validators=[no_nul])
    status = models.CharField(
        _("status"), max_length=10, choices=VerificationStatus.choices, default=VerificationStatus.PENDING
    )
    reason = models.TextField(_("reason"), max_length=2000, blank=True, default="", validators=[no_nul])
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    reviewed_by = models.BigIntegerField(_("reviewed by"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        db_table = 'users"."verification_application'
        verbose_name = _("verification application")
        verbose_name_plural = _("verification applications")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=VerificationStatus.values), name="verification_status_valid"),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reason=""), name="verification_rejection_has_reason"
            ),
            models.UniqueConstraint(
                fields=["account_id"], condition=Q(status="pending"), name="verification_one_pending_per_person"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.account_id} {self.specialization} [{self.status}]"


class Consent(models.Model):
    """Consent to the processing of personal data: who, when, to which version of the text, from where."""

    account_id = models.BigIntegerField(_("account id"), db_index=True)
    text_version = models.CharField(_("text version"), max_length=40)
    given_at = models.DateTimeField(_("given at"), auto_now_add=True)
    channel = models.CharField(_("channel"), max_length=20, default="api")
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        db_table = 'users"."consent'
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"#{self.account_id} v{self.text_version}"


# --- residents' apartments ---------------------------------------------------------------------------------------


class ApartmentRelation(models.TextChoices):
    OWNER = "owner", _("owner")
    TENANT = "tenant", _("tenant")
    FAMILY = "family", _("family member")


class ApartmentLinkStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


# A link that still counts: awaiting review or approved. Rejected links stay as history and block nothing.
LIVE_LINK = Q(status__in=[ApartmentLinkStatus.PENDING, ApartmentLinkStatus.APPROVED])


class ApartmentLink(models.Model):
    """A resident's claim to live in an apartment (as owner, tenant or family), pending until a manager reviews it.

    A person has one live (pending or approved) link per apartment and at most one primary live link; the
    document is an optional identity document (a media id) the manager may look at before deciding.
    """

    profile = models.ForeignKey(
        Profile,
        on_delete=models.CASCADE,
        to_field="account_id",
        db_column="account_id",
        related_name="apartment_links",
        verbose_name=_("person"),
    )
    apartment = models.ForeignKey(
        Apartment, on_delete=models.PROTECT, related_name="links", verbose_name=_("apartment")
    )
    relation = models.CharField(_("relation"), max_length=10, choices=ApartmentRelation.choices)
    is_primary = models.BooleanField(_("primary"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ApartmentLinkStatus.choices, default=ApartmentLinkStatus.PENDING
    )
    reason = models.TextField(
        _("reason"), max_length=2000, blank=True, default="", validators=[no_nul, MaxLengthValidator(2000)]
    )
    document_media_id = models.UUIDField(_("identity document media id"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    reviewed_by = models.BigIntegerField(_("reviewed by"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        db_table = 'users"."apartment_link'
        verbose_name = _("apartment link")
        verbose_name_plural = _("apartment links")
        ordering = ("created_at", "pk")
        indexes = [
            # the moderation queue: pending links, oldest first
            models.Index(fields=["created_at"], condition=Q(status="pending"), name="apartment_link_pending_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(relation__in=ApartmentRelation.values), name="apartment_link_relation_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ApartmentLinkStatus.values), name="apartment_link_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reason=""), name="apartment_link_rejection_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | Q(is_primary=False), name="apartment_link_rejected_not_primary"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", reviewed_at__isnull=True)
                | (~Q(status="pending") & Q(reviewed_at__isnull=False)),
                name="apartment_link_reviewed_when_decided",
            ),
            models.UniqueConstraint(
                fields=["profile", "apartment"], condition=LIVE_LINK, name="apartment_link_one_live_per_apartment"
            ),
            models.UniqueConstraint(
                fields=["profile"], condition=LIVE_LINK & Q(is_primary=True), name="apartment_link_one_primary"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.profile_id} → {self.apartment_id} ({self.relation}, {self.status})"
