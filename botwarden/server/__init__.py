"""The HTTP API: an application factory and the HTTPS server that runs it."""

from botwarden.server.app import create_app
from botwarden.server.run import serve

__all__ = ["create_app", "serve"]
