/*
 * NAME
 *   gmime_tree - what GMime really built: parts, depth and header fields (tests only)
 * SYNOPSIS
 *   gmime_tree t = gmime_tree_of(bytes, n);   // parses with GMime, no limit
 * DESCRIPTION
 *   The measure src/parse/mimescan.c is checked against (tests/unit/
 *   test_mimescan.c, fuzz/fuzz_mimescan.c): parts and depth counted as
 *   parse/mime.c's walk counts them (the top body part is 1 at depth 0; a
 *   multipart's children and a message/rfc822's body one deeper), and the
 *   header fields of every object.
 */
#ifndef PC_TEST_GMIME_TREE_H
#define PC_TEST_GMIME_TREE_H

#include <gmime/gmime.h>
#include <stddef.h>

typedef struct gmime_tree {
	size_t parts, depth, headers;
	int ok; /* GMime built a message */
} gmime_tree;

static void gmime_tree_walk(GMimeObject *o, size_t depth, gmime_tree *t)
{
	t->parts++;
	if (depth > t->depth)
		t->depth = depth;
	GMimeHeaderList *hl = g_mime_object_get_header_list(o);
	t->headers += hl ? (size_t)g_mime_header_list_get_count(hl) : 0;
	if (GMIME_IS_MULTIPART(o)) {
		int n = g_mime_multipart_get_count(GMIME_MULTIPART(o));
		for (int i = 0; i < n; i++)
			gmime_tree_walk(g_mime_multipart_get_part(GMIME_MULTIPART(o), i), depth + 1, t);
	} else if (GMIME_IS_MESSAGE_PART(o)) {
		GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
		if (m) {
			GMimeHeaderList *ml = g_mime_object_get_header_list(GMIME_OBJECT(m));
			t->headers += ml ? (size_t)g_mime_header_list_get_count(ml) : 0;
			GMimeObject *body = g_mime_message_get_mime_part(m);
			if (body)
				gmime_tree_walk(body, depth + 1, t);
		}
	}
}

static gmime_tree gmime_tree_of(const char *bytes, size_t n)
{
	gmime_tree t = {0, 0, 0, 0};
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(bytes, n);
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	g_mime_parser_set_format(p, GMIME_FORMAT_MESSAGE);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
	if (m) {
		t.ok = 1;
		GMimeHeaderList *ml = g_mime_object_get_header_list(GMIME_OBJECT(m));
		t.headers += ml ? (size_t)g_mime_header_list_get_count(ml) : 0;
		GMimeObject *body = g_mime_message_get_mime_part(m);
		if (body)
			gmime_tree_walk(body, 0, &t);
		g_object_unref(m);
	}
	g_object_unref(p);
	g_object_unref(s);
	return t;
}

#endif
