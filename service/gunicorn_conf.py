"""gunicorn configuration file for Tolk: ``gunicorn -c python:service.gunicorn_conf``.

One place for the serving model (``service.serving.gunicorn_options``), so
``tolk serve`` and the Docker image run the same worker class and timeouts.
Command-line options and ``GUNICORN_CMD_ARGS`` still win over these.
"""

from service.serving import gunicorn_options

globals().update(gunicorn_options())
