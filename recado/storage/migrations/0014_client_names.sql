-- Issue 15: the messages list filtered by the client's name. A receptionist types part of a
-- name as she hears it ("joao silva" for "João da Silva", "AVILA" for "Maria Ávila"), so the
-- search folds case and accents (FTS5's unicode61 tokenizer with remove_diacritics, which
-- COLLATE NOCASE does not: it folds ASCII only) and matches the start of any word.

-- Every name a customer has been known by: the bookings' names for them and their WhatsApp
-- profile names. Kept by the triggers below, one row per customer and name (a hundred
-- bookings of one client are one row), so a lookup finds clients, not bookings.
CREATE TABLE client_names (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id  INTEGER NOT NULL REFERENCES customers(id),
    name         TEXT NOT NULL,
    UNIQUE (customer_id, name)
);

-- The words of those names; prefixes of 2 and 3 letters have their own index (a name is
-- typed a few letters at a time).
CREATE VIRTUAL TABLE client_names_fts USING fts5(
    name, content = 'client_names', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);

CREATE TRIGGER client_names_index AFTER INSERT ON client_names BEGIN
    INSERT INTO client_names_fts(rowid, name) VALUES (NEW.id, NEW.name);
END;

CREATE TRIGGER client_names_unindex AFTER DELETE ON client_names BEGIN
    INSERT INTO client_names_fts(client_names_fts, rowid, name)
    VALUES ('delete', OLD.id, OLD.name);
END;

CREATE TRIGGER client_names_from_booking AFTER INSERT ON appointments
WHEN NEW.customer_id IS NOT NULL AND trim(NEW.client_name) != '' BEGIN
    INSERT INTO client_names(customer_id, name) VALUES (NEW.customer_id, NEW.client_name)
    ON CONFLICT(customer_id, name) DO NOTHING;
END;

CREATE TRIGGER client_names_from_booking_change AFTER UPDATE OF client_name, customer_id
ON appointments
WHEN NEW.customer_id IS NOT NULL AND trim(NEW.client_name) != '' BEGIN
    INSERT INTO client_names(customer_id, name) VALUES (NEW.customer_id, NEW.client_name)
    ON CONFLICT(customer_id, name) DO NOTHING;
END;

CREATE TRIGGER client_names_from_profile AFTER INSERT ON customers
WHEN trim(NEW.profile_name) != '' BEGIN
    INSERT INTO client_names(customer_id, name) VALUES (NEW.id, NEW.profile_name)
    ON CONFLICT(customer_id, name) DO NOTHING;
END;

CREATE TRIGGER client_names_from_profile_change AFTER UPDATE OF profile_name ON customers
WHEN trim(NEW.profile_name) != '' BEGIN
    INSERT INTO client_names(customer_id, name) VALUES (NEW.id, NEW.profile_name)
    ON CONFLICT(customer_id, name) DO NOTHING;
END;

-- A merged customer's names go with it to the customer it joined (storage/customers._merge
-- moves its messages there too); the merged row is left out of every lookup.
CREATE TRIGGER client_names_on_merge AFTER UPDATE OF merged_into ON customers
WHEN NEW.merged_into IS NOT NULL BEGIN
    INSERT INTO client_names(customer_id, name)
    SELECT NEW.merged_into, name FROM client_names WHERE customer_id = NEW.id
    ON CONFLICT(customer_id, name) DO NOTHING;
END;

-- The names already stored.
INSERT INTO client_names(customer_id, name)
    SELECT id, profile_name FROM customers WHERE trim(profile_name) != ''
    UNION SELECT customer_id, client_name FROM appointments
    WHERE customer_id IS NOT NULL AND trim(client_name) != '';
