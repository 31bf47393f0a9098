"""The app config of django.contrib.admin with our site (INSTALLED_APPS names it instead of django.contrib.admin).

It lives apart from ``admin_site`` because app configs are imported before models can be, and the site's login
form imports django-otp's models.
"""

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "ukbot.auth.admin_site.AdminSite"
