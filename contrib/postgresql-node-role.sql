-- The rights of a filter node's database role (issue 18; docs/store.md).
--
-- The store's owner (the role that created the schema: the console's, or
-- an administrator's) keeps every right. A milter node and the scanning
-- CLI (scan, hunt, replay, quarantine) connect as a role with only what a
-- scan writes: they record history, campaigns, members, custody and the
-- quarantine, and append to the audit log; they cannot read or change the
-- console's accounts, rewrite or delete audit records, or change
-- indicator sets, and deletes nothing but quarantine entries. A node taken
-- over by a hostile message therefore cannot make itself a console account,
-- rewrite the audit log or delete custody records. It can still write what a
-- scan writes (a campaign's status, for the automatic malicious mark): a
-- separate role for the workers, without the quarantine, is the next step.
--
-- Run as the store's owner, after the schema exists (the owner's first
-- `portcullis campaigns --db ...` or console start creates it):
--   psql -d portcullis -v role=portcullis_node -f postgresql-node-role.sql
-- Run again after an upgrade that adds tables.

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM :"role";
GRANT USAGE ON SCHEMA public TO :"role";
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO :"role";
GRANT SELECT ON portcullis_schema TO :"role";
-- what a scan writes: rows added and counted up, never deleted (a
-- custody record's original is dropped by an UPDATE after its days)
GRANT SELECT, INSERT, UPDATE ON contact, campaign, campaign_band, member, campaign_value, copy_url, custody
    TO :"role";
-- the console's search row, written by the trigger on custody
GRANT SELECT, INSERT, UPDATE ON message TO :"role";
-- the quarantine kept in the store: the milter's front end writes it and
-- `portcullis quarantine` releases and deletes
GRANT SELECT, INSERT, DELETE ON quarantine TO :"role";
-- the audit log: appended to, never rewritten
GRANT SELECT, INSERT ON audit, audit_rcpt TO :"role";
-- indicator sets: read (the milter matches them); `portcullis ioc` runs as the owner
GRANT SELECT ON ioc_set TO :"role";
-- console_user and qindex: the console's own, no rights
