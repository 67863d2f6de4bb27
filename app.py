"""WSGI and `flask --app app` entry point."""

from studio import create_app

app = create_app()
