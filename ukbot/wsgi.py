import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from ukbot.core.env import exit_on_config_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ukbot.settings")
exit_on_config_error(lambda: settings.INSTALLED_APPS)
application = get_wsgi_application()
