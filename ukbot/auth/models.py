"""Accounts: one person, one id in every app. The identity issue grows this into the full model."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class Account(AbstractUser):
    phone = models.CharField(max_length=32, blank=True, default="")
    telegram_id = models.BigIntegerField(null=True, blank=True, unique=True)

    class Meta(AbstractUser.Meta):
        db_table = 'auth"."account'
        swappable = "AUTH_USER_MODEL"
