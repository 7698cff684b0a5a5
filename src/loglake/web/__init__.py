"""The web application: `create_app(settings)` with the JSON API and the page areas."""

from loglake.web.app import create_app

__all__ = ["create_app"]
