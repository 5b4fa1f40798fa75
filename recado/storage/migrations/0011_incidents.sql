-- Incidents as the WhatsApp incident SOP runs them (CONTRACT §8): opened by the incident
-- monitor's trigger rules or by hand, with a timeline that collects itself, SLA clocks, the
-- contingency reply and a post-mortem; and the alerts' event outbox.

CREATE TABLE incidents (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    cause                 TEXT NOT NULL,   -- manual | auth_broken | graph_unstable | ...
    severity              TEXT NOT NULL,   -- sev1 | sev2
    priority              TEXT NOT NULL,   -- P1 | P2 | P3 | P4
    state                 TEXT NOT NULL,   -- open | mitigated | resolved
    title                 TEXT NOT NULL,
    description           TEXT NOT NULL DEFAULT '',
    opened_by             TEXT NOT NULL,   -- monitor | operator
    started_at            TEXT NOT NULL,   -- when the fault began, as far as known
    opened_at             TEXT NOT NULL,   -- when it was detected or opened by hand
    responded_at          TEXT,            -- the first thing a person did on it
    mitigated_at          TEXT,
    resolved_at           TEXT,
    last_update_at        TEXT NOT NULL,   -- the opening counts as the first update
    next_update_due       TEXT,
    updates               INTEGER NOT NULL DEFAULT 0,
    cause_active          INTEGER NOT NULL DEFAULT 0,  -- its trigger fires now (automatic)
    cause_last_active_at  TEXT,
    contingency_on        INTEGER NOT NULL DEFAULT 0,
    public_note           TEXT,            -- what /status shows while it is not resolved
    public_note_at        TEXT,
    root_cause            TEXT,
    corrective_actions    TEXT,
    forced_reason         TEXT,            -- resolved without 30 min of normal flow, why
    counts_at             TEXT,            -- the last sends/webhooks count on the timeline
    updated_at            TEXT NOT NULL
);
-- One open incident per cause: a second trigger of the same cause joins it.
CREATE UNIQUE INDEX incidents_open_cause ON incidents(cause)
    WHERE state != 'resolved' AND cause != 'manual';
CREATE INDEX incidents_state ON incidents(state, id);

-- What happened, in order: triggers, alerts, actions, updates, clocks, counts. ``ref`` keeps
-- an entry that must happen once (an alert's opening, a missed clock) from being added twice.
CREATE TABLE incident_timeline (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id   INTEGER NOT NULL REFERENCES incidents(id),
    at            TEXT NOT NULL,
    kind          TEXT NOT NULL,
    text_pt       TEXT NOT NULL,
    text_en       TEXT NOT NULL,
    source_ip     TEXT NOT NULL DEFAULT '',
    detail_json   TEXT NOT NULL DEFAULT '{}',
    ref           TEXT
);
CREATE INDEX incident_timeline_incident ON incident_timeline(incident_id, id);
CREATE UNIQUE INDEX incident_timeline_ref ON incident_timeline(incident_id, ref)
    WHERE ref IS NOT NULL;

-- One contingency reply per (incident, client), planned from the client's message.
CREATE TABLE contingency_replies (
    incident_id    INTEGER NOT NULL REFERENCES incidents(id),
    wa_id          TEXT NOT NULL,
    message_id     TEXT NOT NULL REFERENCES messages(id),
    inbound_wamid  TEXT NOT NULL,
    planned_at     TEXT NOT NULL,
    PRIMARY KEY (incident_id, wa_id)
);

-- Generated from the timeline at the resolution; due per priority.
CREATE TABLE postmortems (
    incident_id      INTEGER PRIMARY KEY REFERENCES incidents(id),
    created_at       TEXT NOT NULL,
    due_at           TEXT,
    summary_json     TEXT NOT NULL,
    lessons_learned  TEXT,
    completed_at     TEXT
);

-- The alerts' outbox: 0 nothing emitted yet, 1 alert.opened emitted, 2 alert.resolved too,
-- 3 set aside (emitting raised; events_error says why). Alerts from before this version are
-- history, not news: marked as emitted.
ALTER TABLE alerts ADD COLUMN events_emitted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN events_error TEXT;
UPDATE alerts SET events_emitted = CASE WHEN resolved_at IS NULL THEN 1 ELSE 2 END;
CREATE INDEX alerts_outbox ON alerts(id)
    WHERE events_emitted = 0 OR (events_emitted = 1 AND resolved_at IS NOT NULL);

-- The trigger rules read the send attempts of the last minutes.
CREATE INDEX message_attempts_finished ON message_attempts(finished_at);
