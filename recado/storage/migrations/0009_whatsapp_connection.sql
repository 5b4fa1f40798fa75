-- Issue 13: connecting WhatsApp through Embedded Signup, secrets at rest, token health.

-- Data keys (recado.token_crypto), each wrapped by the master key whose id is beside it.
-- Exactly one is current: new ciphertexts are made under it.
CREATE TABLE crypto_keys (
    id          TEXT PRIMARY KEY,
    master_id   TEXT NOT NULL,
    wrapped     BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    is_current  INTEGER NOT NULL DEFAULT 0 CHECK (is_current IN (0, 1))
);
CREATE UNIQUE INDEX crypto_keys_one_current ON crypto_keys(is_current) WHERE is_current = 1;

-- One-time states handed to the signup page, bound to the operator's page session. Only
-- hashes are kept: the state itself lives in the page until the callback spends it.
CREATE TABLE signup_states (
    state_hash     TEXT PRIMARY KEY,
    session_hash   TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    used_at        TEXT,
    used_for       TEXT,                              -- callback | cancel
    connection_id  INTEGER,
    alerted_at     TEXT                               -- expired unused: alerted once
);
CREATE INDEX signup_states_open ON signup_states(expires_at) WHERE used_at IS NULL;

-- The studio's WhatsApp connection(s): the newest one is the one in force. Tokens and the
-- PIN only as ciphertexts, each with the id of its data key.
CREATE TABLE whatsapp_connections (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    status                  TEXT NOT NULL
                            CHECK (status IN ('connecting', 'active', 'disconnected', 'error')),
    waba_id                 TEXT,
    phone_number_id         TEXT,
    display_phone_number    TEXT,
    business_name           TEXT,
    coexistence             INTEGER NOT NULL DEFAULT 0,
    token_ct                BLOB,
    token_key_id            TEXT REFERENCES crypto_keys(id),
    pin_ct                  BLOB,
    pin_key_id              TEXT REFERENCES crypto_keys(id),
    pin_source              TEXT,                     -- generated | file | kept
    token_valid             INTEGER,
    token_expires_at        TEXT,                     -- NULL: never (debug_token said 0)
    data_access_expires_at  TEXT,
    token_checked_at        TEXT,
    quality_rating          TEXT,
    messaging_limit         TEXT,
    quality_event           TEXT,
    quality_at              TEXT,
    reason_code             TEXT,                     -- why it is in its status
    reason_pt               TEXT,
    reason_en               TEXT,
    error_step              TEXT,
    meta_event_time         INTEGER,                  -- newest account_update applied
    started_at              TEXT NOT NULL,            -- the signup's state was issued
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL,
    connected_at            TEXT,
    disconnected_at         TEXT,
    CHECK ((token_ct IS NULL) = (token_key_id IS NULL)),
    CHECK ((pin_ct IS NULL) = (pin_key_id IS NULL))
);
CREATE INDEX whatsapp_connections_waba ON whatsapp_connections(waba_id);

-- Every step of a connection's life, in order: the signup's Graph calls, health checks,
-- Meta's account updates, the operator's disconnect. Kept when the connection ends.
CREATE TABLE whatsapp_connection_steps (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id  INTEGER NOT NULL REFERENCES whatsapp_connections(id),
    at             TEXT NOT NULL,
    step           TEXT NOT NULL,
    outcome        TEXT NOT NULL,                     -- ok | failed | skipped | retry | info
    http_status    INTEGER,
    code           INTEGER,
    subcode        INTEGER,
    detail         TEXT NOT NULL DEFAULT '',         -- Meta's words, or ours in English
    detail_pt      TEXT                               -- ours in pt-BR, when they are ours
);
CREATE INDEX whatsapp_connection_steps_conn ON whatsapp_connection_steps(connection_id, id);

-- Coexistence: the two one-time syncs Meta allows within 24 h of onboarding.
CREATE TABLE whatsapp_smb_syncs (
    connection_id  INTEGER NOT NULL REFERENCES whatsapp_connections(id),
    sync_type      TEXT NOT NULL,                     -- smb_app_state_sync | history
    status         TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    next_at        TEXT,
    requested_at   TEXT,
    request_id     TEXT,
    last_code      INTEGER,
    last_detail    TEXT,
    deadline_at    TEXT NOT NULL,
    alerted_at     TEXT,
    PRIMARY KEY (connection_id, sync_type)
);

-- Product analytics of the connection flow, kept locally (CONTRACT §9).
CREATE TABLE product_events (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    at               TEXT NOT NULL,
    name             TEXT NOT NULL,
    connection_id    INTEGER,
    properties_json  TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX product_events_name_at ON product_events(name, at);
