/*
 * NAME
 *   sqlite_copies - the URLs of a campaign's copies (SQLite)
 * DESCRIPTION
 *   copy_url (schema 4, ordered since 8) holds one row per (campaign,
 *   URL shape, recipient set): campaign/copies.c compares a new copy's
 *   values with at most `max` rows of its shape, the most recently
 *   stored, the end of a range of the primary key (campaign, skel, ord),
 *   so the cost per message does not grow with the campaign. ord numbers
 *   a shape's rows in the order they were stored (one more than the
 *   range's last, found at the end of the range the copy has just read;
 *   one writer at a time, so never twice). In schema 4..7 the key was
 *   (campaign, skel, rcpt) and the rows were found through an index by
 *   time, one lookup each: 3.5 reads of 33 rows a message, 68 us of the
 *   store's time on the 10k scale set and 131 us at 100k. In schema 8
 *   the key was (campaign, skel, seen, rcpt): mail scanned out of date
 *   order (an archive, the generated scale set) put each row somewhere
 *   inside its range, so every batch rewrote nearly every page of the
 *   table (39% of the pages written at 50,000 messages, each page 3.7
 *   times per 10,000). In a milter the two orders are the same: the time
 *   is the MTA's own Received. seen stays in the row: campaign/copies.c
 *   compares it with the copy's time (a burst). A recipient set seen
 *   again keeps its first row (INSERT OR IGNORE): the rows are one per
 *   recipient, which is what "differs between recipients" needs.
 *   Source and Message-ID are cut as member's are (store/sqlite_campaign.c),
 *   so that a token found later matches a hostile over-long Message-ID.
 *   A token found updates the campaign's values and the earlier members
 *   the caller lists (bounded by its `max`), in the message's transaction.
 */
#include <stdio.h>
#include <string.h>

#include "store/sqlite_impl.h"

enum { X_GET, X_ADD, X_TOKEN, X_COUNTS };

static const char *const sql[] = {
    /* the most recently stored first: a burst is compared with its own
     * copies */
    [X_GET] = "SELECT rcpt, vals, source, message_id, seen FROM copy_url WHERE campaign = ?1 AND skel = ?2"
              " ORDER BY ord DESC LIMIT ?3",
    [X_ADD] = "INSERT OR IGNORE INTO copy_url (campaign, skel, ord, rcpt, vals, source, message_id, seen)"
              " VALUES (?1, ?2, (SELECT coalesce(max(ord), 0) + 1 FROM copy_url WHERE campaign = ?1 AND skel = ?2),"
              " ?3, ?4, ?5, ?6, ?7)",
    [X_TOKEN] = "UPDATE member INDEXED BY sqlite_autoindex_member_1 SET token = ?4"
                " WHERE source = ?2 AND message_id = ?3 AND campaign = ?1 AND token = ''",
    [X_COUNTS] = "UPDATE campaign SET tokened = tokened + ?2, tokens = tokens + ?3 WHERE id = ?1",
};

int pc_sqlite_copies_get(pc_store *st, long long id, uint64_t skel, size_t max, pc_copy_cb cb, void *ctx)
{
	sqlite3_stmt *s = pc_sqlite_prepared(st, X_GET, sql[X_GET]);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)skel);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)max);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		pc_copy_row r = {(uint64_t)sqlite3_column_int64(s, 0),
		                 (time_t)sqlite3_column_int64(s, 4),
		                 sqlite3_column_blob(s, 1),
		                 (size_t)sqlite3_column_bytes(s, 1),
		                 pc_sqlite_col(s, 2),
		                 pc_sqlite_col(s, 3)};
		if (!r.vals)
			r.len = 0;
		if (cb(ctx, &r) != 0)
			break;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : pc_sqlite_fail(st, "copies read");
}

int pc_sqlite_copies_add(pc_store *st, long long id, uint64_t skel, uint64_t rcpt, time_t when, const void *vals,
                         size_t len, const char *source, const char *message_id)
{
	sqlite3_stmt *s = pc_sqlite_prepared(st, X_ADD, sql[X_ADD]);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)skel);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)rcpt);
	sqlite3_bind_blob(s, 4, vals, (int)len, SQLITE_TRANSIENT);
	/* cut as member's are, so that the token found later matches them */
	pc_sqlite_text(s, 5, source, PC_SQLITE_MAX_TEXT);
	pc_sqlite_text(s, 6, message_id, PC_SQLITE_MAX_TEXT);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)when);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : pc_sqlite_fail(st, "copies write");
}

int pc_sqlite_copies_found(pc_store *st, long long id, const char *template_, const pc_copy_token *tokens, size_t n)
{
	bool in_tx;
	sqlite3 *db = pc_sqlite_db(st, &in_tx);
	if (pc_sqlite_add_value(st, id, "template", template_) < 0 ||
	    pc_sqlite_add_value(st, id, "per-recipient-token", template_) < 0)
		return -1;
	long tokened = 0, distinct = 0;
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *s = pc_sqlite_prepared(st, X_TOKEN, sql[X_TOKEN]);
		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_text(s, 2, tokens[i].source, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 3, tokens[i].message_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 4, tokens[i].token, -1, SQLITE_TRANSIENT);
		int rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return pc_sqlite_fail(st, "member write");
		if (sqlite3_changes(db) == 0)
			continue; /* it had a token already, or is not a member */
		tokened++;
		int added = pc_sqlite_add_value(st, id, "token", tokens[i].token);
		if (added < 0)
			return -1;
		distinct += added;
	}
	if (!tokened)
		return 0;
	sqlite3_stmt *u = pc_sqlite_prepared(st, X_COUNTS, sql[X_COUNTS]);
	if (!u)
		return -1;
	sqlite3_bind_int64(u, 1, id);
	sqlite3_bind_int64(u, 2, tokened);
	sqlite3_bind_int64(u, 3, distinct);
	int rc = sqlite3_step(u);
	sqlite3_reset(u);
	return rc == SQLITE_DONE ? 0 : pc_sqlite_fail(st, "campaign write");
}
