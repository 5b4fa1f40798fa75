"""recado: a studio's WhatsApp automation and integration daemon."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("recado")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
