-- Issue 13: the WABA's message templates as Meta defines them, and each sync that read them.

-- One row per template name and language: as the last successful sync read it, with status,
-- quality and category updated at once by template webhooks. A row a webhook created (no
-- sync has read it yet) has no structure (parameter_format NULL): it is checked for status
-- alone.
CREATE TABLE wa_templates (
    name              TEXT NOT NULL,
    language          TEXT NOT NULL,
    template_id       TEXT,
    status            TEXT NOT NULL,
    category          TEXT,
    quality           TEXT,
    parameter_format  TEXT,            -- POSITIONAL | NAMED | NULL (structure unknown)
    body_params_json  TEXT,            -- the body's placeholders, in order (JSON list)
    header_format     TEXT,
    header_params     INTEGER NOT NULL DEFAULT 0,
    buttons_json      TEXT,            -- the buttons' types, in order (JSON list)
    components_json   TEXT,            -- as Meta listed them (bounded)
    status_reason     TEXT,            -- the webhook's reason (PAUSED, REJECTED …)
    status_event      TEXT,            -- the last webhook event (FLAGGED keeps APPROVED)
    status_at         TEXT NOT NULL,   -- when status was last set, by a sync or a webhook
    status_source     TEXT NOT NULL,   -- sync | webhook
    synced_at         TEXT,            -- the last sync that listed it
    PRIMARY KEY (name, language)
);

-- Every sync attempt, successful or not (the newest 200 are kept).
CREATE TABLE wa_template_syncs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    trigger      TEXT NOT NULL,        -- start | hourly | operator
    waba_id      TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT NOT NULL,
    outcome      TEXT NOT NULL,        -- ok | failed
    templates    INTEGER NOT NULL DEFAULT 0,
    set_aside    INTEGER NOT NULL DEFAULT 0,
    error_code   TEXT,
    error_pt     TEXT,
    error_en     TEXT
);
