"""Where connect5's config file and data folder are, as strings, importing nothing.

What ``daemon.paths`` resolves into ``Path`` objects, worked out without pathlib
or dataclasses: asking the running daemon (``daemon.control``) needs the control
socket's path before anything else is loaded. The rules are ``daemon.paths``'s.
"""

from __future__ import annotations

import os

CONTROL_SOCKET = "control.sock"  # in the data folder: how commands reach the running daemon

# The spec's defaults, under $HOME, of the two folders connect5 uses.
XDG_DEFAULTS = {
    "XDG_CONFIG_HOME": (".config",),
    "XDG_DATA_HOME": (".local", "share"),
}


def locate(home: str | None = None, config: str | None = None) -> tuple[str, str]:
    """(config file, data folder): ``home`` wins over CONNECT5_HOME over XDG."""
    home = home or os.environ.get("CONNECT5_HOME")
    config_file = absolute(config) if config else ""
    if home:
        base = absolute(home)
        return config_file or os.path.join(base, "config.toml"), base
    config_file = config_file or os.path.join(xdg_home("XDG_CONFIG_HOME"), "connect5", "config.toml")
    return config_file, os.path.join(xdg_home("XDG_DATA_HOME"), "connect5")


def control_socket(data_dir: str) -> str:
    """The control socket in ``locate``'s data folder."""
    return os.path.join(data_dir, CONTROL_SOCKET)


def absolute(path: str) -> str:
    """``path`` with ``~`` expanded, made absolute from the working folder, ``..`` and ``.`` tidied away.

    Tidied as text (as a shell's ``cd`` does), so the paths a command or the
    daemon keeps never depend on the working folder staying where it was. The
    working folder is asked for only for a relative path: it may have been
    deleted, which is said in one line (``FileNotFoundError`` naming ``path``).
    """
    path = os.path.expanduser(path)
    if not os.path.isabs(path):
        try:
            path = os.path.join(os.getcwd(), path)
        except FileNotFoundError:
            raise FileNotFoundError(2, "the folder this command runs in was deleted; give it as an absolute path",
                                    path) from None
    return os.path.normpath(path)


def xdg_home(variable: str) -> str:
    """``$variable`` (one of XDG_DEFAULTS) when it is an absolute path, else the spec's default."""
    default = os.path.join(os.path.expanduser("~"), *XDG_DEFAULTS[variable])  # a KeyError for a misspelt name
    return xdg_value(variable) or default


def xdg_value(variable: str) -> str:
    """``$variable`` when it is set to an absolute path, else ""."""
    value = os.environ.get(variable, "")
    return value if os.path.isabs(value) else ""
