"""``GET /appointments/<id>``: an appointment as its events left it, with its messages."""

from __future__ import annotations

from quart import Quart, Response

from recado.http.errors import json_error
from recado.http.views import respond
from recado.runtime.context import Daemon
from recado.storage.appointments import AppointmentDetail, appointment_detail


async def appointment_data(daemon: Daemon, appointment_id: str) -> AppointmentDetail | None:
    return await daemon.storage.read(appointment_detail, appointment_id)


def install_appointment_pages(app: Quart, daemon: Daemon) -> None:
    @app.get("/appointments/<appointment_id>")
    async def appointment(appointment_id: str) -> Response:
        appointment_id = appointment_id.removesuffix(".json")
        detail = await appointment_data(daemon, appointment_id)
        if detail is None:
            return json_error(404, "not_found", f'no appointment "{appointment_id}"')
        return await respond("appointment.html", detail)
