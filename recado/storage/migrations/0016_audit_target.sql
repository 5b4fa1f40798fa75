-- Issue 16: a message's page reads the operator actions on it (retry, discard) since it was
-- made. Through the time index that range is every audit row since then, a year of them
-- for an old message; by target it is the few rows that name the message.
CREATE INDEX audit_log_target ON audit_log(target, at);
