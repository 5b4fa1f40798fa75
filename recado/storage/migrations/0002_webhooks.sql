-- Meta webhooks: the durable inbox, rejects, and the rows processing makes of them.

-- Raw bodies exactly as received, committed before the 200. Processing state lives here too:
-- processed_at is set in the same transaction that applies the body's rows.
CREATE TABLE webhook_inbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at   TEXT NOT NULL,
    body          BLOB NOT NULL,
    body_sha256   TEXT NOT NULL,
    signature_ok  INTEGER,             -- 1 checked and valid, NULL no app secret configured
    fields        TEXT NOT NULL DEFAULT '',
    remote_ip     TEXT NOT NULL DEFAULT '',
    processed_at  TEXT,
    error         TEXT,
    failed_at     TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhook_inbox_pending ON webhook_inbox(id) WHERE processed_at IS NULL;
CREATE INDEX webhook_inbox_received ON webhook_inbox(received_at);

-- Bodies that were signed correctly (or unsigned where allowed) but are not a WhatsApp
-- envelope: kept for inspection, never processed.
CREATE TABLE webhook_rejects (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at  TEXT NOT NULL,
    reason       TEXT NOT NULL,
    detail       TEXT NOT NULL,
    body         BLOB NOT NULL,
    remote_ip    TEXT NOT NULL DEFAULT ''
);

-- Inbound messages from clients, once per wamid.
CREATE TABLE inbound_messages (
    wamid           TEXT PRIMARY KEY,
    wa_id           TEXT NOT NULL,
    profile_name    TEXT,
    ts              INTEGER NOT NULL,     -- Meta's timestamp (unix seconds), not arrival
    type            TEXT NOT NULL,
    context_id      TEXT,
    reply_payload   TEXT,
    reply_title     TEXT,
    text_body       TEXT,
    content_json    TEXT NOT NULL,
    errors_json     TEXT,
    phone_number_id TEXT,
    inbox_id        INTEGER NOT NULL REFERENCES webhook_inbox(id),
    received_at     TEXT NOT NULL,
    handled_at      TEXT,                 -- set once automatic replies have decided
    handled_as      TEXT
);
CREATE INDEX inbound_messages_wa_id ON inbound_messages(wa_id, ts);
CREATE INDEX inbound_messages_unhandled ON inbound_messages(received_at) WHERE handled_at IS NULL;

-- Outbound messages (jobs). Issue "messaging" fills most columns; statuses need the table now.
CREATE TABLE messages (
    id              TEXT PRIMARY KEY,     -- job id, echoed in biz_opaque_callback_data
    kind            TEXT NOT NULL,
    appointment_id  TEXT,
    starts_at       TEXT,
    wa_id           TEXT,
    to_number       TEXT,
    state           TEXT NOT NULL,
    wamid           TEXT UNIQUE,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    state_ts        INTEGER               -- Meta timestamp of the status now in force
);
CREATE INDEX messages_state ON messages(state);

-- Every status webhook, once per (wamid, status); applied says whether it moved the state.
CREATE TABLE message_statuses (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
    wamid                    TEXT NOT NULL,
    status                   TEXT NOT NULL,
    ts                       INTEGER NOT NULL,
    recipient_id             TEXT,
    callback_data            TEXT,
    conversation_id          TEXT,
    conversation_expires_at  INTEGER,
    conversation_origin      TEXT,
    pricing_json             TEXT,
    errors_json              TEXT,
    message_id               TEXT REFERENCES messages(id),
    outcome                  TEXT NOT NULL,   -- applied | ignored | pending (message unknown yet)
    ignored_reason           TEXT,
    inbox_id                 INTEGER NOT NULL REFERENCES webhook_inbox(id),
    received_at              TEXT NOT NULL,
    UNIQUE (wamid, status)
);
CREATE INDEX message_statuses_pending ON message_statuses(wamid) WHERE outcome = 'pending';
CREATE INDEX message_statuses_callback ON message_statuses(callback_data)
    WHERE outcome = 'pending' AND callback_data IS NOT NULL;

-- Messages the studio sent from the WhatsApp Business app on the same number (coexistence).
CREATE TABLE echo_messages (
    wamid         TEXT PRIMARY KEY,
    wa_id         TEXT NOT NULL,
    ts            INTEGER NOT NULL,
    type          TEXT NOT NULL,
    text_body     TEXT,
    content_json  TEXT NOT NULL,
    inbox_id      INTEGER NOT NULL REFERENCES webhook_inbox(id),
    received_at   TEXT NOT NULL
);
CREATE INDEX echo_messages_wa_id ON echo_messages(wa_id, ts);

-- Everything else a webhook can carry (history, address-book sync, template status, account
-- and unknown fields, value-level errors, malformed items), verbatim.
CREATE TABLE webhook_records (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    inbox_id     INTEGER NOT NULL REFERENCES webhook_inbox(id),
    seq          INTEGER NOT NULL,        -- position of the item in its body
    kind         TEXT NOT NULL,           -- history | state_sync | template_status | other | value_errors | bad_item
    field        TEXT NOT NULL,
    wa_id        TEXT,
    summary      TEXT NOT NULL DEFAULT '',
    data_json    TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    UNIQUE (inbox_id, seq)
);
CREATE INDEX webhook_records_kind ON webhook_records(kind, id);
CREATE INDEX webhook_records_wa_id ON webhook_records(wa_id) WHERE wa_id IS NOT NULL;

-- The conversation ledger per client (docs/reference.md §7): it decides the 24h window.
CREATE TABLE conversations (
    wa_id              TEXT PRIMARY KEY,
    profile_name       TEXT,
    last_inbound_at    INTEGER,           -- newest inbound message's own timestamp
    last_inbound_wamid TEXT,
    last_outbound_at   INTEGER,
    last_echo_at       INTEGER,
    inbound_count      INTEGER NOT NULL DEFAULT 0,
    outbound_count     INTEGER NOT NULL DEFAULT 0,
    echo_count         INTEGER NOT NULL DEFAULT 0,
    updated_at         TEXT NOT NULL
);
