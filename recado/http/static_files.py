"""Quart's own ``/static/<path:filename>`` route, answering only the files we ship.

Quart looks a requested name up on disk as given; a name longer than the file system allows
raised ENAMETOOLONG there and came back as a 500. The folder's names are read once at start,
so anything else is a plain 404 before the disk is asked. Vendored libraries sit in
``static/vendor/`` (docs/vendored.md), named by their path under the folder.
"""

from __future__ import annotations

from pathlib import Path

from quart import Quart, Response, abort


def install_static_files(app: Quart) -> None:
    if app.static_folder is None or "static" not in app.view_functions:
        return
    folder = Path(app.static_folder)
    shipped = (
        frozenset(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        if folder.is_dir()
        else frozenset()
    )

    async def static(filename: str) -> Response:
        if filename not in shipped:
            abort(404)
        return await app.send_static_file(filename)

    app.view_functions["static"] = static
