-- Free-form replies carry their text; button taps link to the reply they caused.
ALTER TABLE messages ADD COLUMN text_body TEXT;
ALTER TABLE messages ADD COLUMN inbound_wamid TEXT;
CREATE UNIQUE INDEX messages_one_reply ON messages(inbound_wamid) WHERE inbound_wamid IS NOT NULL;
