"""The web console (layer 5): server-rendered pages over the guard; never the store."""

from casevault.web.app import CONSOLE, console_app, mount_console

__all__ = ["CONSOLE", "console_app", "mount_console"]
