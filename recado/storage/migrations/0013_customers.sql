-- Issue 12: customers. Since 2026 Meta names a WhatsApp user by a business-scoped user id
-- (BSUID) and may leave the phone out, so everything once keyed on the phone-derived wa_id
-- belongs to a customer (docs/reference.md §7, rules/identity.py, storage/customers.py).

-- One row per person the studio talks to. A merged customer keeps its row, ids cleared,
-- merged_into naming the customer it joined.
CREATE TABLE customers (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    bsuid         TEXT UNIQUE,              -- exactly as Meta sent it (never normalised)
    phone         TEXT UNIQUE,              -- E.164
    wa_id         TEXT,                     -- Meta's digits, when they differ from the phone's
    username      TEXT,
    profile_name  TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    merged_into   INTEGER REFERENCES customers(id),
    CHECK (bsuid IS NOT NULL OR phone IS NOT NULL OR wa_id IS NOT NULL
           OR merged_into IS NOT NULL)
);

-- Every id a customer has had: current ones (until NULL, one owner each) and old ones.
CREATE TABLE customer_aliases (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id  INTEGER NOT NULL REFERENCES customers(id),
    kind         TEXT NOT NULL,             -- bsuid | phone | wa_id
    value        TEXT NOT NULL,
    since        TEXT NOT NULL,
    until        TEXT
);
CREATE UNIQUE INDEX customer_aliases_current ON customer_aliases(kind, value) WHERE until IS NULL;
-- In the order a lookup takes them (storage/customers._found): current first, then the
-- most recently retired.
CREATE INDEX customer_aliases_value ON customer_aliases(kind, value, until IS NOT NULL,
    until DESC, id DESC);
CREATE INDEX customer_aliases_customer ON customer_aliases(customer_id);

-- Kept webhook records (history threads, address-book sync) and the customers they name.
CREATE TABLE record_customers (
    record_id    INTEGER NOT NULL REFERENCES webhook_records(id),
    customer_id  INTEGER NOT NULL REFERENCES customers(id),
    PRIMARY KEY (record_id, customer_id)
);
CREATE INDEX record_customers_customer ON record_customers(customer_id);

-- The rows already stored: every wa_id and phone becomes a customer with a phone.
-- Working table, dropped at the end: one row per phone, with Meta's wa_id for it when a send
-- answer named other digits (a send redirected to the test recipient does not count: its
-- attempt went to another number).
CREATE TABLE migration_0013_phones (
    phone  TEXT PRIMARY KEY,
    wa_id  TEXT
);
INSERT OR IGNORE INTO migration_0013_phones(phone, wa_id)
    SELECT m.to_number, MIN(m.wa_id) FROM messages m
    WHERE m.to_number IS NOT NULL AND m.wa_id IS NOT NULL AND m.to_number != '+' || m.wa_id
      AND EXISTS (SELECT 1 FROM message_attempts a WHERE a.message_id = m.id
                  AND a.to_number = m.to_number AND a.outcome = 'sent')
    GROUP BY m.to_number;

CREATE TABLE migration_0013_wa_ids (wa_id TEXT PRIMARY KEY);
INSERT OR IGNORE INTO migration_0013_wa_ids(wa_id)
    SELECT wa_id FROM inbound_messages
    UNION SELECT wa_id FROM echo_messages
    UNION SELECT wa_id FROM conversations
    UNION SELECT wa_id FROM messages
    UNION SELECT wa_id FROM webhook_records
    UNION SELECT wa_id FROM contingency_replies
    UNION SELECT CAST(json_extract(t.value, '$.id') AS TEXT)
          FROM webhook_records r, json_each(r.data_json, '$.threads') t
          WHERE r.kind = 'history' AND json_valid(r.data_json) AND t.type = 'object';
DELETE FROM migration_0013_wa_ids WHERE wa_id IS NULL OR wa_id = ''
    OR wa_id IN (SELECT wa_id FROM migration_0013_phones WHERE wa_id IS NOT NULL);

INSERT OR IGNORE INTO migration_0013_phones(phone)
    SELECT phone FROM appointments
    UNION SELECT to_number FROM messages WHERE to_number IS NOT NULL
    UNION SELECT '+' || wa_id FROM migration_0013_wa_ids
          WHERE wa_id NOT GLOB '*[^0-9]*' AND wa_id NOT GLOB '0*'
            AND length(wa_id) BETWEEN 8 AND 15;

INSERT INTO customers(phone, wa_id, profile_name, created_at, updated_at)
    SELECT p.phone, p.wa_id,
           COALESCE((SELECT c.profile_name FROM conversations c WHERE c.wa_id = p.wa_id),
                    (SELECT c.profile_name FROM conversations c
                     WHERE c.wa_id = substr(p.phone, 2))),
           strftime('%Y-%m-%dT%H:%M:%fZ','now'), strftime('%Y-%m-%dT%H:%M:%fZ','now')
    FROM migration_0013_phones p ORDER BY p.phone;
-- A wa_id that spells no phone is kept as Meta's name for the person all the same.
INSERT INTO customers(wa_id, created_at, updated_at)
    SELECT w.wa_id, strftime('%Y-%m-%dT%H:%M:%fZ','now'), strftime('%Y-%m-%dT%H:%M:%fZ','now')
    FROM migration_0013_wa_ids w
    WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.phone = '+' || w.wa_id)
    ORDER BY w.wa_id;

INSERT INTO customer_aliases(customer_id, kind, value, since)
    SELECT id, 'phone', phone, created_at FROM customers WHERE phone IS NOT NULL;
INSERT INTO customer_aliases(customer_id, kind, value, since)
    SELECT id, 'wa_id', wa_id, created_at FROM customers WHERE wa_id IS NOT NULL;

-- wa_id → customer, for the rows below.
CREATE TABLE migration_0013_owner (wa_id TEXT PRIMARY KEY, customer_id INTEGER NOT NULL);
INSERT OR IGNORE INTO migration_0013_owner SELECT wa_id, id FROM customers
    WHERE wa_id IS NOT NULL ORDER BY id;
INSERT OR IGNORE INTO migration_0013_owner SELECT substr(phone, 2), id FROM customers
    WHERE phone IS NOT NULL ORDER BY id;

-- The ledger, one row per customer (two wa_ids of one person add up).
CREATE TABLE conversations_0013 (
    customer_id        INTEGER PRIMARY KEY REFERENCES customers(id),
    last_inbound_at    INTEGER,           -- newest inbound message's own timestamp
    last_inbound_wamid TEXT,
    last_outbound_at   INTEGER,
    last_echo_at       INTEGER,
    inbound_count      INTEGER NOT NULL DEFAULT 0,
    outbound_count     INTEGER NOT NULL DEFAULT 0,
    echo_count         INTEGER NOT NULL DEFAULT 0,
    updated_at         TEXT NOT NULL
);
INSERT INTO conversations_0013
    SELECT o.customer_id, MAX(c.last_inbound_at),
           (SELECT c2.last_inbound_wamid FROM conversations c2
            JOIN migration_0013_owner o2 ON o2.wa_id = c2.wa_id
            WHERE o2.customer_id = o.customer_id
            ORDER BY c2.last_inbound_at IS NULL, c2.last_inbound_at DESC LIMIT 1),
           MAX(c.last_outbound_at), MAX(c.last_echo_at), SUM(c.inbound_count),
           SUM(c.outbound_count), SUM(c.echo_count), MAX(c.updated_at)
    FROM conversations c JOIN migration_0013_owner o ON o.wa_id = c.wa_id
    GROUP BY o.customer_id;
DROP TABLE conversations;
ALTER TABLE conversations_0013 RENAME TO conversations;
-- The conversations index, newest activity first (the expression and the condition of
-- storage/conversation_index, as 0012_pages_at_scale made it for the wa_id ledger).
CREATE INDEX conversations_last_at ON conversations(
    MAX(COALESCE(last_inbound_at, 0), COALESCE(last_outbound_at, 0), COALESCE(last_echo_at, 0))
    DESC, customer_id) WHERE customer_id > 0;

-- Inbound messages: from (wa_id) may be absent now; from_user_id is kept as user_id.
CREATE TABLE inbound_messages_0013 (
    wamid           TEXT PRIMARY KEY,
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    wa_id           TEXT,                 -- from, when Meta included it
    user_id         TEXT,                 -- from_user_id (BSUID), when Meta included it
    profile_name    TEXT,
    username        TEXT,
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
    handled_as      TEXT,
    original_wamid  TEXT                  -- an edit's or a revoke's message (0010_pricing_and_edits)
);
INSERT INTO inbound_messages_0013(wamid, customer_id, wa_id, profile_name, ts, type,
        context_id, reply_payload, reply_title, text_body, content_json, errors_json,
        phone_number_id, inbox_id, received_at, handled_at, handled_as, original_wamid)
    SELECT i.wamid, o.customer_id, i.wa_id, i.profile_name, i.ts, i.type, i.context_id,
           i.reply_payload, i.reply_title, i.text_body, i.content_json, i.errors_json,
           i.phone_number_id, i.inbox_id, i.received_at, i.handled_at, i.handled_as,
           i.original_wamid
    FROM inbound_messages i JOIN migration_0013_owner o ON o.wa_id = i.wa_id;
DROP TABLE inbound_messages;
ALTER TABLE inbound_messages_0013 RENAME TO inbound_messages;
CREATE INDEX inbound_messages_customer ON inbound_messages(customer_id, ts);
CREATE INDEX inbound_messages_unhandled ON inbound_messages(received_at) WHERE handled_at IS NULL;
CREATE INDEX inbound_messages_original ON inbound_messages(original_wamid, ts)
    WHERE original_wamid IS NOT NULL;
-- As 0012_pages_at_scale made them: retention's, by body and by age.
CREATE INDEX inbound_messages_inbox ON inbound_messages(inbox_id);
CREATE INDEX inbound_messages_received ON inbound_messages(received_at);

-- Echoes of the studio's app: to (wa_id) may be absent now; to_user_id is kept as user_id.
CREATE TABLE echo_messages_0013 (
    wamid         TEXT PRIMARY KEY,
    customer_id   INTEGER NOT NULL REFERENCES customers(id),
    wa_id         TEXT,
    user_id       TEXT,
    ts            INTEGER NOT NULL,
    type          TEXT NOT NULL,
    text_body     TEXT,
    content_json  TEXT NOT NULL,
    inbox_id      INTEGER NOT NULL REFERENCES webhook_inbox(id),
    received_at   TEXT NOT NULL
);
INSERT INTO echo_messages_0013(wamid, customer_id, wa_id, ts, type, text_body, content_json,
        inbox_id, received_at)
    SELECT e.wamid, o.customer_id, e.wa_id, e.ts, e.type, e.text_body, e.content_json,
           e.inbox_id, e.received_at
    FROM echo_messages e JOIN migration_0013_owner o ON o.wa_id = e.wa_id;
DROP TABLE echo_messages;
ALTER TABLE echo_messages_0013 RENAME TO echo_messages;
CREATE INDEX echo_messages_customer ON echo_messages(customer_id, ts);
CREATE INDEX echo_messages_inbox ON echo_messages(inbox_id);
CREATE INDEX echo_messages_received ON echo_messages(received_at);

-- Messages and appointments name their customer; to_number stays the phone they were
-- planned for (NULL for a customer known by a BSUID alone).
ALTER TABLE messages ADD COLUMN customer_id INTEGER REFERENCES customers(id);
UPDATE messages SET customer_id = COALESCE(
    (SELECT id FROM customers c WHERE c.phone = messages.to_number),
    (SELECT customer_id FROM migration_0013_owner o WHERE o.wa_id = messages.wa_id));
-- A customer's messages, newest first (the conversation's timeline reads its LIMIT here).
CREATE INDEX messages_customer ON messages(customer_id, created_at, id);

ALTER TABLE appointments ADD COLUMN customer_id INTEGER REFERENCES customers(id);
UPDATE appointments SET customer_id = (SELECT id FROM customers c WHERE c.phone = appointments.phone);
CREATE INDEX appointments_customer ON appointments(customer_id);

-- Statuses may name the BSUID a send reached.
ALTER TABLE message_statuses ADD COLUMN recipient_user_id TEXT;

-- Contingency replies (0011_incidents) go once per incident to a customer, not to a number.
CREATE TABLE contingency_replies_0013 (
    incident_id    INTEGER NOT NULL REFERENCES incidents(id),
    customer_id    INTEGER NOT NULL REFERENCES customers(id),
    wa_id          TEXT,                  -- the number the client wrote from, when known
    message_id     TEXT NOT NULL REFERENCES messages(id),
    inbound_wamid  TEXT NOT NULL,
    planned_at     TEXT NOT NULL,
    PRIMARY KEY (incident_id, customer_id)
);
INSERT OR IGNORE INTO contingency_replies_0013
    SELECT r.incident_id, o.customer_id, r.wa_id, r.message_id, r.inbound_wamid, r.planned_at
    FROM contingency_replies r JOIN migration_0013_owner o ON o.wa_id = r.wa_id
    ORDER BY r.planned_at;
DROP TABLE contingency_replies;
ALTER TABLE contingency_replies_0013 RENAME TO contingency_replies;
-- Retention deletes a reply's record with its message (storage/retention).
CREATE INDEX contingency_replies_message ON contingency_replies(message_id);

INSERT OR IGNORE INTO record_customers(record_id, customer_id)
    SELECT r.id, o.customer_id FROM webhook_records r
    JOIN migration_0013_owner o ON o.wa_id = r.wa_id;
INSERT OR IGNORE INTO record_customers(record_id, customer_id)
    SELECT r.id, o.customer_id
    FROM webhook_records r, json_each(r.data_json, '$.threads') t
    JOIN migration_0013_owner o ON o.wa_id = CAST(json_extract(t.value, '$.id') AS TEXT)
    WHERE r.kind = 'history' AND json_valid(r.data_json) AND t.type = 'object';

DROP TABLE migration_0013_owner;
DROP TABLE migration_0013_wa_ids;
DROP TABLE migration_0013_phones;
