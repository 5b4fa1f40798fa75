"""recado: a studio's WhatsApp automation and integration daemon."""

import sys

# The one place the version is written; pyproject.toml reads it from here (setuptools'
# dynamic version), so asking the installed metadata at start-up is not needed: that import
# (importlib.metadata, with email and zipfile) was a tenth of the daemon's start-up.
__version__ = "0.1.0"

# httpx imports its command-line tool on import when click, rich and pygments are present
# (they are, beside the test extras), which took a quarter of the daemon's start-up; recado
# never runs that tool. A None in sys.modules makes that optional import fail at once, as
# it does where they are not installed (httpx then offers `pip install httpx[cli]`).
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
