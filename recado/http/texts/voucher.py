"""The public voucher page's words (``recado.http.voucher_routes``), for the studio's client,
in pt-BR and English."""

from __future__ import annotations

TEXT_PT: dict[str, str] = {
    "voucher.title": "Comprovante",
    "voucher.heading": "Comprovante de agendamento",
    "voucher.client": "Cliente",
    "voucher.service": "Serviço",
    "voucher.date": "Data",
    "voucher.time": "Horário",
    "voucher.status.scheduled": "Agendado",
    "voucher.status.confirmed": "Confirmado",
    "voucher.status.canceled": "Cancelado",
    "voucher.location": "Local",
}
TEXT_EN: dict[str, str] = {
    "voucher.title": "Voucher",
    "voucher.heading": "Appointment voucher",
    "voucher.client": "Client",
    "voucher.service": "Service",
    "voucher.date": "Date",
    "voucher.time": "Time",
    "voucher.status.scheduled": "Scheduled",
    "voucher.status.confirmed": "Confirmed",
    "voucher.status.canceled": "Canceled",
    "voucher.location": "Location",
}
