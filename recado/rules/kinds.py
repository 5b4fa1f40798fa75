"""The kinds of message and the types of event, each list defined once; code that names a
kind or a type imports it from here."""

from __future__ import annotations

# Messages planned from an appointment (template messages, but for the cancellation notice).
APPOINTMENT_CREATED = "appointment_created"  # the booking notice
APPOINTMENT_REMINDER = "appointment_reminder"
APPOINTMENT_CANCELED = "appointment_canceled"  # the cancellation notice (free-form text)
# Free-form answers to what the client wrote.
BUTTON_REPLY = "button_reply"
CONTINGENCY_REPLY = "contingency_reply"
OPERATOR_REPLY = "operator_reply"  # an operator answering a client from the conversation

TEMPLATE_KINDS = (APPOINTMENT_CREATED, APPOINTMENT_REMINDER)
# Sent as text, so only inside the 24 h window (rules/window.py).
FREE_FORM_KINDS = (APPOINTMENT_CANCELED, BUTTON_REPLY, CONTINGENCY_REPLY, OPERATOR_REPLY)
# The kinds recado plans itself; a flow action's message is of its template's name.
MESSAGE_KINDS = (*TEMPLATE_KINDS, *FREE_FORM_KINDS)

# Events: those that move an appointment, those a button tap emits, and free-form ones.
APPOINTMENT_CREATED_EVENT = "appointment.created"
APPOINTMENT_RESCHEDULED_EVENT = "appointment.rescheduled"
APPOINTMENT_CANCELED_EVENT = "appointment.canceled"
RESCHEDULE_REQUESTED_EVENT = "appointment.reschedule_requested"
HANDOFF_REQUESTED_EVENT = "handoff.requested"
APPOINTMENT_TYPES = (
    APPOINTMENT_CREATED_EVENT,
    APPOINTMENT_RESCHEDULED_EVENT,
    APPOINTMENT_CANCELED_EVENT,
)
BUTTON_TYPES = (RESCHEDULE_REQUESTED_EVENT, HANDOFF_REQUESTED_EVENT)
# What WhatsApp tells the studio's systems (rules/inbound_events.py).
MESSAGE_RECEIVED_EVENT = "whatsapp.message.received"
MESSAGE_FAILED_EVENT = "whatsapp.message.failed"
WHATSAPP_TYPES = (MESSAGE_RECEIVED_EVENT, MESSAGE_FAILED_EVENT)
FREE_FORM_TYPES = (
    "lead.created",
    "client.registered",
    "service.completed",
    "payment.received",
    "feedback.received",
)
# Raised by the daemon itself (alerts and incidents), for flows only.
ALERT_TYPES = ("alert.opened", "alert.resolved")
INCIDENT_TYPES = (
    "incident.opened",
    "incident.update_due",
    "incident.updated",
    "incident.resolved",
    "incident.escalated",
)
# Emitted by recado itself, never accepted from the events API; flows may name them.
INTERNAL_TYPES = (*BUTTON_TYPES, *WHATSAPP_TYPES, *ALERT_TYPES, *INCIDENT_TYPES)
EVENT_TYPES = (
    *APPOINTMENT_TYPES,
    *BUTTON_TYPES,
    *WHATSAPP_TYPES,
    *FREE_FORM_TYPES,
    *ALERT_TYPES,
    *INCIDENT_TYPES,
)
