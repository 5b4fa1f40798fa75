-- Issue 12 (WhatsApp's changes of 2025-2026): per-message pricing kept on the message, and
-- inbound edits and revokes linked to the message they change.

-- From the statuses' "pricing" (billable, category, type, pricing_model); priced_at is
-- Meta's time of the first status that carried it (the day the daily report counts it).
ALTER TABLE messages ADD COLUMN pricing_billable INTEGER;
ALTER TABLE messages ADD COLUMN pricing_category TEXT;
ALTER TABLE messages ADD COLUMN pricing_type TEXT;
ALTER TABLE messages ADD COLUMN pricing_model TEXT;
ALTER TABLE messages ADD COLUMN priced_at TEXT;
CREATE INDEX messages_priced ON messages(priced_at) WHERE pricing_billable = 1;

-- An inbound "edit" or "revoke" names the client's message it changes.
ALTER TABLE inbound_messages ADD COLUMN original_wamid TEXT;
CREATE INDEX inbound_messages_original ON inbound_messages(original_wamid, ts)
    WHERE original_wamid IS NOT NULL;

-- Pricing that arrived before this version, read again from the statuses kept verbatim.
UPDATE messages SET
    pricing_billable = (
        SELECT CASE json_extract(s.pricing_json, '$.billable') WHEN 1 THEN 1 WHEN 0 THEN 0 END
        FROM message_statuses s WHERE s.message_id = messages.id
          AND json_valid(s.pricing_json) AND json_type(s.pricing_json, '$.billable') IN ('true', 'false')
        ORDER BY s.ts DESC, s.id DESC LIMIT 1),
    pricing_category = (
        SELECT json_extract(s.pricing_json, '$.category') FROM message_statuses s
        WHERE s.message_id = messages.id AND json_valid(s.pricing_json)
          AND json_type(s.pricing_json, '$.category') = 'text'
        ORDER BY s.ts DESC, s.id DESC LIMIT 1),
    pricing_type = (
        SELECT json_extract(s.pricing_json, '$.type') FROM message_statuses s
        WHERE s.message_id = messages.id AND json_valid(s.pricing_json)
          AND json_type(s.pricing_json, '$.type') = 'text'
        ORDER BY s.ts DESC, s.id DESC LIMIT 1),
    pricing_model = (
        SELECT json_extract(s.pricing_json, '$.pricing_model') FROM message_statuses s
        WHERE s.message_id = messages.id AND json_valid(s.pricing_json)
          AND json_type(s.pricing_json, '$.pricing_model') = 'text'
        ORDER BY s.ts DESC, s.id DESC LIMIT 1),
    priced_at = (
        SELECT strftime('%Y-%m-%dT%H:%M:%S.000Z', MIN(s.ts), 'unixepoch') FROM message_statuses s
        WHERE s.message_id = messages.id AND json_valid(s.pricing_json)
          AND s.ts BETWEEN 946684800 AND 4102444800
          AND (json_type(s.pricing_json, '$.billable') IN ('true', 'false')
               OR json_type(s.pricing_json, '$.category') = 'text'
               OR json_type(s.pricing_json, '$.type') = 'text'
               OR json_type(s.pricing_json, '$.pricing_model') = 'text'))
WHERE EXISTS (
    SELECT 1 FROM message_statuses s WHERE s.message_id = messages.id
      AND s.pricing_json IS NOT NULL AND json_valid(s.pricing_json));

-- The edits and revokes stored before this version.
UPDATE inbound_messages SET original_wamid = json_extract(content_json, '$.original_message_id')
WHERE type IN ('edit', 'revoke') AND json_valid(content_json)
  AND json_type(content_json, '$.original_message_id') = 'text';

-- A conversation's timeline lists what recado sent the client beside what they wrote.
CREATE INDEX messages_wa_id ON messages(wa_id) WHERE wamid IS NOT NULL;
CREATE INDEX message_statuses_message ON message_statuses(message_id)
    WHERE message_id IS NOT NULL;
