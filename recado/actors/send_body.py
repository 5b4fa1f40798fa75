"""The Graph request body of a due job: its own text, or the template (or cancellation
notice) built from the appointment or the flow action's values (``whatsapp/templates.py``)."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

from recado.clock import parse_iso
from recado.config import Config
from recado.rules.appointment_jobs import CANCELED
from recado.storage.sending import DueJob
from recado.whatsapp.templates import (
    AppointmentView,
    cancellation_text,
    hub_view,
    template_body,
    template_params,
    text_body,
)


def job_body(cfg: Config, job: DueJob, to: str, tz: ZoneInfo) -> dict[str, Any]:
    """Raises on data that cannot make a message (the sender sets the job aside)."""
    if job.text_body:
        return text_body(to, job.text_body, job.id)
    if job.params_json:
        view = hub_view(json.loads(job.params_json), cfg.studio.location_line)
    elif job.starts_at is None:
        raise ValueError("the job has no text, no values and no appointment time")
    else:
        view = AppointmentView(
            job.appointment_id or "",
            job.client_name or "",
            job.service or "",
            parse_iso(job.starts_at),
            job.location or cfg.studio.location_line,
        )
    if job.kind == CANCELED:
        text = cancellation_text(view, tz, cfg.studio.name, job.cancel_reason)
        return text_body(to, text, job.id)
    template = cfg.whatsapp.templates[job.kind]
    params = template_params(view, list(template.body_params), tz, cfg.studio.name)
    return template_body(
        to,
        template.name,
        template.language,
        params,
        list(template.buttons),
        view.appointment_id,
        job.id,
        template.sent_names if template.named else None,
    )
