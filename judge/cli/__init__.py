"""The `judge` command line: one small module per command group; each parses, calls one library
function and renders. Errors are rendered once, in `main`."""

from .app import app
from .main import main

__all__ = ["app", "main"]
