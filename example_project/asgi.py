"""The example project as an ASGI application: ``uvicorn example_project.asgi:application``.

django-ekyc's views are synchronous; under an ASGI server Django runs them in a thread, and the suite runs its
live-server and browser tests under uvicorn too (``EKYC_TEST_SERVER=uvicorn``). Static files are not served here:
in production the proxy or WhiteNoise serves them (``manage.py collectstatic``); the demo serves them with
``runserver``.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
application = get_asgi_application()
