/*
 * html_parsers.c - benchmark and cross-check MyHTML (libmodest), gumbo and
 * libxml2's HTML parser on mail HTML bodies.
 *
 *   html_parsers bench [-r REPS] [-o OUTDIR] LIST.tsv [myhtml|gumbo|libxml2 ...]
 *       LIST.tsv: file<TAB>bytes<TAB>charset<TAB>source (header line skipped),
 *       as written by extract_html.py. Each parser runs in its own forked
 *       process (clean peak-RSS numbers, crash isolation). Writes
 *       OUTDIR/counts_<parser>.tsv and prints a summary + disagreement stats.
 *   html_parsers snip PARSER FILE...   per-file counts and the img src / a href
 *       values the parser produced (for the tricky-snippet table)
 *   html_parsers dump PARSER FILE      indented element tree (debugging)
 *
 * Counted per document (whole tree, template contents included):
 *   elems      element nodes (any namespace, implied html/head/body included)
 *   img_src    HTML-namespace <img> with a src attribute
 *   img_remote of those, src (HTML-whitespace trimmed) starting with
 *              http://, https:// or // (case-insensitive)
 *   a_href     HTML-namespace <a> with an href attribute
 *   style      elements carrying a style attribute
 * When an element has duplicate attributes the first one is used (HTML5 rule);
 * the walker does this itself, so the result does not depend on whether the
 * parser dropped the duplicates.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <myhtml/api.h>
#include <myencoding/encoding.h>
#include <gumbo.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/parser.h>

typedef struct {
    long elems, img_src, img_remote, a_href, style;
} counts_t;

typedef struct {
    char *path;
    char *charset; /* declared MIME charset, "" if none */
    unsigned char *data;
    size_t len;
} doc_t;

/* snippet mode: collect values */
static int g_collect;
static FILE *g_out;

static void print_val(const char *tag, const char *v, size_t n)
{
    fprintf(g_out, " %s=\"", tag);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
            fprintf(g_out, "\\x%02x", c);
        else
            fputc(c, g_out);
    }
    fputc('"', g_out);
}

static int is_html_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static int is_remote(const char *s, size_t n)
{
    while (n && is_html_ws((unsigned char)*s)) { s++; n--; }
    while (n && is_html_ws((unsigned char)s[n - 1])) n--;
    if (n >= 2 && s[0] == '/' && s[1] == '/') return 1;
    if (n >= 7 && strncasecmp(s, "http://", 7) == 0) return 1;
    if (n >= 8 && strncasecmp(s, "https://", 8) == 0) return 1;
    return 0;
}

/* called once per element with the (first) attribute values found */
static void count_element(counts_t *c, int is_img, int is_a,
                          const char *src, size_t srclen,
                          const char *href, size_t hreflen, int has_style)
{
    c->elems++;
    if (has_style) c->style++;
    if (is_img && src) {
        c->img_src++;
        if (is_remote(src, srclen)) c->img_remote++;
        if (g_collect) print_val("img", src, srclen);
    }
    if (is_a && href) {
        c->a_href++;
        if (g_collect) print_val("href", href, hreflen);
    }
}

/* ------------------------------------------------------------------ */
/* charset label handling                                              */

/* WHATWG: us-ascii / iso-8859-1 / latin1 labels all mean windows-1252. */
static int label_is_1252(const char *cs)
{
    static const char *l[] = {"us-ascii", "ascii", "iso-8859-1", "iso8859-1",
                              "latin1", "l1", "windows-1252", "cp1252",
                              "ansi_x3.4-1968", "iso-ir-100", "x-cp1252", NULL};
    for (int i = 0; l[i]; i++)
        if (strcasecmp(cs, l[i]) == 0) return 1;
    return 0;
}

static myencoding_t myhtml_enc_for(const doc_t *d)
{
    myencoding_t e = MyENCODING_UTF_8;
    if (d->charset[0] &&
        myencoding_by_name(d->charset, strlen(d->charset), &e))
        return e;
    /* no / unknown MIME charset: do what a browser does, prescan <meta> */
    e = myencoding_prescan_stream_to_determine_encoding((const char *)d->data,
                                                        d->len);
    if (e == MyENCODING_NOT_DETERMINED) e = MyENCODING_UTF_8;
    return e;
}

static const char *libxml2_enc_for(const doc_t *d)
{
    if (!d->charset[0]) return NULL; /* libxml2 sniffs <meta> itself */
    /* libxml2's built-in ISO-8859-1 decoder never fails; its ASCII one
     * aborts on 8-bit bytes and iconv's CP1252 fails on 0x81/0x8d/..., which
     * truncates the document. Latin-1 gives identical markup structure. */
    if (label_is_1252(d->charset)) return "ISO-8859-1";
    if (strcasecmp(d->charset, "utf8") == 0) return "UTF-8";
    return d->charset;
}

/* ------------------------------------------------------------------ */
/* MyHTML                                                              */

static myhtml_t *g_myhtml;
static myhtml_tree_t *g_mytree;

static void myhtml_setup(void)
{
    g_myhtml = myhtml_create();
    /* SINGLE: no worker threads at all; thread_count/queue_size ignored */
    if (myhtml_init(g_myhtml, MyHTML_OPTIONS_PARSE_MODE_SINGLE, 1, 0) !=
        MyHTML_STATUS_OK) {
        fprintf(stderr, "myhtml_init failed\n");
        exit(1);
    }
    g_mytree = myhtml_tree_create();
    if (myhtml_tree_init(g_mytree, g_myhtml) != MyHTML_STATUS_OK) {
        fprintf(stderr, "myhtml_tree_init failed\n");
        exit(1);
    }
}

static void myhtml_teardown(void)
{
    myhtml_tree_destroy(g_mytree);
    myhtml_destroy(g_myhtml);
}

static void myhtml_walk(myhtml_tree_node_t *root, counts_t *c, int dump)
{
    myhtml_tree_node_t *n = myhtml_node_child(root);
    int depth = 0;
    while (n) {
        myhtml_tag_id_t t = myhtml_node_tag_id(n);
        if (t != MyHTML_TAG__TEXT && t != MyHTML_TAG__COMMENT &&
            t != MyHTML_TAG__DOCTYPE && t != MyHTML_TAG__UNDEF &&
            t != MyHTML_TAG__END_OF_FILE) {
            int html = myhtml_node_namespace(n) == MyHTML_NAMESPACE_HTML;
            int is_img = html && t == MyHTML_TAG_IMG;
            int is_a = html && t == MyHTML_TAG_A;
            const char *src = NULL, *href = NULL;
            size_t srclen = 0, hreflen = 0;
            int style = 0;
            for (myhtml_tree_attr_t *a = myhtml_node_attribute_first(n); a;
                 a = myhtml_attribute_next(a)) {
                size_t kl;
                const char *k = myhtml_attribute_key(a, &kl);
                if (!k) continue;
                if (kl == 5 && memcmp(k, "style", 5) == 0) style = 1;
                else if (is_img && !src && kl == 3 && memcmp(k, "src", 3) == 0) {
                    src = myhtml_attribute_value(a, &srclen);
                    if (!src) src = "";
                } else if (is_a && !href && kl == 4 && memcmp(k, "href", 4) == 0) {
                    href = myhtml_attribute_value(a, &hreflen);
                    if (!href) href = "";
                }
            }
            if (dump) {
                size_t nl;
                const char *name = myhtml_tag_name_by_id(
                    myhtml_node_tree(n), t, &nl);
                fprintf(g_out, "%*s<%.*s>%s", depth * 2, "", (int)nl,
                        name ? name : "?", html ? "" : " [foreign ns]");
                for (myhtml_tree_attr_t *a = myhtml_node_attribute_first(n);
                     a; a = myhtml_attribute_next(a)) {
                    size_t kl, vl;
                    const char *k = myhtml_attribute_key(a, &kl);
                    const char *v = myhtml_attribute_value(a, &vl);
                    fprintf(g_out, " %.*s", (int)kl, k ? k : "");
                    print_val("", v ? v : "", v ? vl : 0);
                }
                fputc('\n', g_out);
            }
            count_element(c, is_img, is_a, src, srclen, href, hreflen, style);
        }
        /* iterative pre-order DFS */
        myhtml_tree_node_t *ch = myhtml_node_child(n);
        if (ch) { n = ch; depth++; continue; }
        while (n && n != root && !myhtml_node_next(n)) {
            n = myhtml_node_parent(n);
            depth--;
        }
        if (!n || n == root) break;
        n = myhtml_node_next(n);
    }
}

static int myhtml_run(const doc_t *d, counts_t *c, int dump)
{
    /* myhtml_parse() cleans a tree whose previous parse has ended, so an
     * explicit myhtml_tree_clean() is not needed; it is cheap and makes the
     * reuse explicit. */
    myencoding_t enc = myhtml_enc_for(d);
    myhtml_tree_clean(g_mytree);
    mystatus_t st = myhtml_parse(g_mytree, enc, (const char *)d->data, d->len);
    if (st == MyHTML_STATUS_OK)
        myhtml_walk(myhtml_tree_get_document(g_mytree), c, dump);
    /* PITFALL (libmodest 0.0~git20210803): after a UTF-16LE/BE parse the
     * next UTF-16 parse on the same (cleaned) tree segfaults in
     * myhtml_tokenizer_chunk_with_stream_buffer. Replace the tree after any
     * UTF-16 document. (A filter should rather transcode to UTF-8 itself and
     * always pass MyENCODING_UTF_8.) */
    if (enc == MyENCODING_UTF_16LE || enc == MyENCODING_UTF_16BE) {
        myhtml_tree_destroy(g_mytree);
        g_mytree = myhtml_tree_create();
        if (myhtml_tree_init(g_mytree, g_myhtml) != MyHTML_STATUS_OK) exit(1);
    }
    return st == MyHTML_STATUS_OK ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* gumbo                                                               */

static GumboOptions g_gopts;

static void gumbo_setup(void)
{
    g_gopts = kGumboDefaultOptions;
    g_gopts.max_errors = 0; /* don't build the parse-error list: faster */
}

static void gumbo_walk(GumboNode *root, counts_t *c, int dump)
{
    /* explicit stack of (node, next child index) */
    size_t cap = 256, sp = 0;
    struct fr { GumboNode *n; unsigned i; } *st = malloc(cap * sizeof *st);
    st[sp++] = (struct fr){root, 0};
    while (sp) {
        struct fr *f = &st[sp - 1];
        GumboNode *n = f->n;
        GumboVector *kids = (n->type == GUMBO_NODE_DOCUMENT)
                                ? &n->v.document.children
                                : &n->v.element.children;
        if (f->i >= kids->length) { sp--; continue; }
        GumboNode *k = kids->data[f->i++];
        if (k->type != GUMBO_NODE_ELEMENT && k->type != GUMBO_NODE_TEMPLATE)
            continue;
        GumboElement *e = &k->v.element;
        int html = e->tag_namespace == GUMBO_NAMESPACE_HTML;
        int is_img = html && e->tag == GUMBO_TAG_IMG;
        int is_a = html && e->tag == GUMBO_TAG_A;
        const char *src = NULL, *href = NULL;
        int style = 0;
        for (unsigned i = 0; i < e->attributes.length; i++) {
            GumboAttribute *a = e->attributes.data[i];
            if (strcmp(a->name, "style") == 0) style = 1;
            else if (is_img && !src && strcmp(a->name, "src") == 0) src = a->value;
            else if (is_a && !href && strcmp(a->name, "href") == 0) href = a->value;
        }
        if (dump) {
            const char *nm = gumbo_normalized_tagname(e->tag);
            GumboStringPiece p = e->original_tag;
            if (e->tag == GUMBO_TAG_UNKNOWN) gumbo_tag_from_original_text(&p);
            fprintf(g_out, "%*s<%.*s>%s", (int)(sp - 1) * 2, "",
                    (int)(e->tag == GUMBO_TAG_UNKNOWN ? p.length : strlen(nm)),
                    e->tag == GUMBO_TAG_UNKNOWN ? p.data : nm,
                    html ? "" : " [foreign ns]");
            for (unsigned i = 0; i < e->attributes.length; i++) {
                GumboAttribute *a = e->attributes.data[i];
                fprintf(g_out, " %s", a->name);
                print_val("", a->value, strlen(a->value));
            }
            fputc('\n', g_out);
        }
        count_element(c, is_img, is_a, src, src ? strlen(src) : 0, href,
                      href ? strlen(href) : 0, style);
        if (sp == cap) {
            cap *= 2;
            st = realloc(st, cap * sizeof *st);
        }
        st[sp++] = (struct fr){k, 0};
    }
    free(st);
}

static int gumbo_run(const doc_t *d, counts_t *c, int dump)
{
    /* gumbo only accepts UTF-8; other charsets are parsed as (invalid)
     * UTF-8, which does not change the markup structure for ASCII-compatible
     * charsets. No reuse possible: every parse allocates a new output. */
    GumboOutput *out = gumbo_parse_with_options(&g_gopts, (const char *)d->data,
                                                d->len);
    if (!out) return -1;
    gumbo_walk(out->document, c, dump);
    gumbo_destroy_output(&g_gopts, out);
    return 0;
}

/* ------------------------------------------------------------------ */
/* libxml2                                                             */

static htmlParserCtxtPtr g_xctx;
static const int XOPTS = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                         HTML_PARSE_NOWARNING | HTML_PARSE_NONET;

static void xml_silent(void *ctx, const char *msg, ...)
{
    (void)ctx; (void)msg;
}

static void libxml2_setup(void)
{
    xmlInitParser();
    xmlSetGenericErrorFunc(NULL, xml_silent);
    g_xctx = htmlNewParserCtxt();
    if (!g_xctx) {
        fprintf(stderr, "htmlNewParserCtxt failed\n");
        exit(1);
    }
}

static void libxml2_teardown(void)
{
    htmlFreeParserCtxt(g_xctx);
    xmlCleanupParser();
}

/* value of an attribute; *tmp set if it had to be allocated */
static const char *xattr_val(xmlAttrPtr a, xmlChar **tmp)
{
    xmlNodePtr ch = a->children;
    if (!ch) return "";
    if (!ch->next && ch->type == XML_TEXT_NODE && ch->content)
        return (const char *)ch->content;
    *tmp = xmlNodeListGetString(a->doc, ch, 1);
    return *tmp ? (const char *)*tmp : "";
}

static void libxml2_walk(xmlNodePtr root, counts_t *c, int dump)
{
    xmlNodePtr n = root->children;
    int depth = 0;
    while (n) {
        if (n->type == XML_ELEMENT_NODE) {
            const char *nm = (const char *)n->name;
            int is_img = strcmp(nm, "img") == 0;
            int is_a = nm[0] == 'a' && nm[1] == 0;
            const char *src = NULL, *href = NULL;
            xmlChar *t1 = NULL, *t2 = NULL;
            int style = 0;
            for (xmlAttrPtr a = n->properties; a; a = a->next) {
                const char *k = (const char *)a->name;
                if (strcmp(k, "style") == 0) style = 1;
                else if (is_img && !src && strcmp(k, "src") == 0) src = xattr_val(a, &t1);
                else if (is_a && !href && strcmp(k, "href") == 0) href = xattr_val(a, &t2);
            }
            if (dump) {
                fprintf(g_out, "%*s<%s>", depth * 2, "", nm);
                for (xmlAttrPtr a = n->properties; a; a = a->next) {
                    xmlChar *t = NULL;
                    const char *v = xattr_val(a, &t);
                    fprintf(g_out, " %s", (const char *)a->name);
                    print_val("", v, strlen(v));
                    xmlFree(t);
                }
                fputc('\n', g_out);
            }
            count_element(c, is_img, is_a, src, src ? strlen(src) : 0, href,
                          href ? strlen(href) : 0, style);
            if (t1) xmlFree(t1);
            if (t2) xmlFree(t2);
            if (n->children) { n = n->children; depth++; continue; }
        }
        while (n && n != root && !n->next) { n = n->parent; depth--; }
        if (!n || n == root) break;
        n = n->next;
    }
}

static int libxml2_run(const doc_t *d, counts_t *c, int dump)
{
    htmlDocPtr doc = htmlCtxtReadMemory(g_xctx, (const char *)d->data,
                                        (int)d->len, NULL, libxml2_enc_for(d),
                                        XOPTS);
    if (!doc) return -1;
    libxml2_walk((xmlNodePtr)doc, c, dump);
    xmlFreeDoc(doc);
    return 0;
}

/* ------------------------------------------------------------------ */

typedef struct {
    const char *name;
    void (*setup)(void);
    void (*teardown)(void);
    int (*run)(const doc_t *, counts_t *, int);
} parser_t;

static void noop(void) {}

static const parser_t PARSERS[] = {
    {"myhtml", myhtml_setup, myhtml_teardown, myhtml_run},
    {"gumbo", gumbo_setup, noop, gumbo_run},
    {"libxml2", libxml2_setup, libxml2_teardown, libxml2_run},
};
#define NPARSERS (sizeof PARSERS / sizeof PARSERS[0])

static const parser_t *find_parser(const char *n)
{
    for (size_t i = 0; i < NPARSERS; i++)
        if (strcmp(PARSERS[i].name, n) == 0) return &PARSERS[i];
    fprintf(stderr, "unknown parser %s\n", n);
    exit(2);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    struct stat sb;
    fstat(fileno(f), &sb);
    unsigned char *b = malloc((size_t)sb.st_size + 1);
    size_t n = fread(b, 1, (size_t)sb.st_size, f);
    fclose(f);
    b[n] = 0;
    *len = n;
    return b;
}

static doc_t *load_list(const char *list, size_t *ndocs, size_t *bytes)
{
    FILE *f = fopen(list, "r");
    if (!f) { perror(list); exit(1); }
    char *line = NULL;
    size_t cap = 0, n = 0, alloc = 1024;
    ssize_t r;
    doc_t *docs = malloc(alloc * sizeof *docs);
    *bytes = 0;
    while ((r = getline(&line, &cap, f)) > 0) {
        while (r && (line[r - 1] == '\n' || line[r - 1] == '\r')) line[--r] = 0;
        if (!r || strncmp(line, "file\t", 5) == 0) continue;
        char *path = strtok(line, "\t");
        strtok(NULL, "\t");
        char *cs = strtok(NULL, "\t");
        if (!path) continue;
        if (n == alloc) { alloc *= 2; docs = realloc(docs, alloc * sizeof *docs); }
        docs[n].path = strdup(path);
        docs[n].charset = strdup(cs ? cs : "");
        docs[n].data = slurp(path, &docs[n].len);
        *bytes += docs[n].len;
        n++;
    }
    free(line);
    fclose(f);
    *ndocs = n;
    return docs;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long maxrss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* child process: benchmark one parser, write counts + a summary line */
static void bench_child(const parser_t *p, const char *list, int reps,
                        const char *outdir, int sumfd)
{
    size_t nd, bytes;
    doc_t *docs = load_list(list, &nd, &bytes);
    long rss0 = maxrss_kb();
    counts_t *cnt = calloc(nd, sizeof *cnt);
    counts_t *cnt2 = calloc(nd, sizeof *cnt2);
    int *fail = calloc(nd, sizeof *fail);
    double best = 1e99, first = 0;
    long rss_after_first = 0;
    double tmax = 0;
    size_t imax = 0;
    int mismatch = 0;

    double t_setup = cpu_now();
    p->setup();
    t_setup = cpu_now() - t_setup;
    for (int r = 0; r < reps; r++) {
        counts_t *cc = r == 0 ? cnt : cnt2;
        if (r) memset(cnt2, 0, nd * sizeof *cnt2);
        double t0 = cpu_now();
        for (size_t i = 0; i < nd; i++) {
            double td = r == 0 ? cpu_now() : 0;
            if (p->run(&docs[i], &cc[i], 0) != 0) fail[i] = 1;
            if (r == 0) {
                td = cpu_now() - td;
                if (td > tmax) { tmax = td; imax = i; }
            }
        }
        double t = cpu_now() - t0;
        if (r == 0) { first = t; rss_after_first = maxrss_kb(); }
        if (t < best) best = t;
        if (r && memcmp(cnt, cnt2, nd * sizeof *cnt) != 0) mismatch = 1;
    }
    long rss1 = maxrss_kb();
    p->teardown();

    char fn[4096];
    snprintf(fn, sizeof fn, "%s/counts_%s.tsv", outdir, p->name);
    FILE *o = fopen(fn, "w");
    if (!o) { perror(fn); exit(1); }
    fprintf(o, "file\tbytes\telems\timg_src\timg_remote\ta_href\tstyle\tfail\n");
    counts_t tot = {0, 0, 0, 0, 0};
    int nfail = 0;
    for (size_t i = 0; i < nd; i++) {
        fprintf(o, "%s\t%zu\t%ld\t%ld\t%ld\t%ld\t%ld\t%d\n", docs[i].path,
                docs[i].len, cnt[i].elems, cnt[i].img_src, cnt[i].img_remote,
                cnt[i].a_href, cnt[i].style, fail[i]);
        tot.elems += cnt[i].elems; tot.img_src += cnt[i].img_src;
        tot.img_remote += cnt[i].img_remote; tot.a_href += cnt[i].a_href;
        tot.style += cnt[i].style; nfail += fail[i];
    }
    fclose(o);
    char buf[1024];
    int len = snprintf(buf, sizeof buf,
        "%s\t%zu\t%zu\t%.3f\t%.3f\t%.1f\t%.1f\t%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%d\t%d\t%.4f\t%.2f\t%zu\n",
        p->name, nd, bytes, best, first, best / nd * 1e6, bytes / best / 1e6,
        rss0, rss_after_first, rss1, tot.elems, tot.img_src, tot.img_remote,
        tot.a_href, tot.style, (long)reps, nfail, mismatch, t_setup, tmax * 1e3, docs[imax].len);
    if (write(sumfd, buf, (size_t)len) != len) exit(1);
    exit(0);
}

typedef struct {
    char name[32];
    size_t nd, bytes;
    double best, first, us, mbs, tsetup, tmax_ms;
    size_t maxdoc_len;
    long rss0, rss_first, rss1, e, is, ir, ah, st, reps;
    int nfail, mismatch, ok;
} summary_t;

static counts_t *read_counts(const char *outdir, const char *name, size_t nd)
{
    char fn[4096];
    snprintf(fn, sizeof fn, "%s/counts_%s.tsv", outdir, name);
    FILE *f = fopen(fn, "r");
    if (!f) return NULL;
    counts_t *c = calloc(nd, sizeof *c);
    char line[8192];
    size_t i = 0;
    if (!fgets(line, sizeof line, f)) { fclose(f); return c; }
    while (i < nd && fgets(line, sizeof line, f)) {
        char *t = strchr(line, '\t');
        size_t b;
        if (t && sscanf(t + 1, "%zu\t%ld\t%ld\t%ld\t%ld\t%ld", &b, &c[i].elems,
                        &c[i].img_src, &c[i].img_remote, &c[i].a_href,
                        &c[i].style) == 6)
            i++;
    }
    fclose(f);
    return c;
}

static int cmd_bench(int argc, char **argv)
{
    int reps = 3;
    const char *outdir = "/tmp/html_parsers_out";
    int i = 0;
    while (i < argc && argv[i][0] == '-') {
        if (!strcmp(argv[i], "-r") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-o") && i + 1 < argc) outdir = argv[++i];
        else { fprintf(stderr, "bad option %s\n", argv[i]); return 2; }
        i++;
    }
    if (i >= argc) { fprintf(stderr, "need LIST.tsv\n"); return 2; }
    const char *list = argv[i++];
    if (reps < 1) reps = 1;
    mkdir(outdir, 0755);

    const parser_t *sel[NPARSERS];
    size_t ns = 0;
    if (i >= argc) for (size_t k = 0; k < NPARSERS; k++) sel[ns++] = &PARSERS[k];
    else for (; i < argc && ns < NPARSERS; i++) sel[ns++] = find_parser(argv[i]);

    summary_t sum[NPARSERS];
    memset(sum, 0, sizeof sum);
    for (size_t k = 0; k < ns; k++) {
        int pfd[2];
        if (pipe(pfd)) { perror("pipe"); return 1; }
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            close(pfd[0]);
            bench_child(sel[k], list, reps, outdir, pfd[1]);
        }
        close(pfd[1]);
        char buf[1024];
        ssize_t n = read(pfd[0], buf, sizeof buf - 1);
        close(pfd[0]);
        int wst;
        waitpid(pid, &wst, 0);
        summary_t *s = &sum[k];
        snprintf(s->name, sizeof s->name, "%s", sel[k]->name);
        if (n <= 0 || !WIFEXITED(wst) || WEXITSTATUS(wst) != 0) {
            fprintf(stderr, "%s: child failed (status %d)\n", sel[k]->name, wst);
            continue;
        }
        buf[n] = 0;
        char nm[64];
        if (sscanf(buf, "%63s\t%zu\t%zu\t%lf\t%lf\t%lf\t%lf\t%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%d\t%d\t%lf\t%lf\t%zu",
                   nm, &s->nd, &s->bytes, &s->best, &s->first, &s->us, &s->mbs,
                   &s->rss0, &s->rss_first, &s->rss1, &s->e, &s->is, &s->ir,
                   &s->ah, &s->st, &s->reps, &s->nfail, &s->mismatch,
                   &s->tsetup, &s->tmax_ms, &s->maxdoc_len) == 21)
            s->ok = 1;
    }

    size_t ok0 = 0;
    while (ok0 + 1 < ns && !sum[ok0].ok) ok0++;
    printf("## Speed and memory (%zu documents, %.1f MB, best of %d passes, parse + full tree walk)\n\n",
           sum[ok0].nd, sum[ok0].bytes / 1e6, reps);
    printf("| parser | CPU s (best pass) | CPU s (1st pass) | us/doc | MB/s | peak RSS MB | RSS over loaded corpus MB | RSS growth pass1->end MB | slowest doc ms (its KB) | parse failures | passes identical |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t k = 0; k < ns; k++) {
        summary_t *s = &sum[k];
        if (!s->ok) { printf("| %s | FAILED |||||||||\n", s->name); continue; }
        printf("| %s | %.3f | %.3f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f (%zu) | %d | %s |\n",
               s->name, s->best, s->first, s->us, s->mbs, s->rss1 / 1024.0,
               (s->rss1 - s->rss0) / 1024.0, (s->rss1 - s->rss_first) / 1024.0,
               s->tmax_ms, s->maxdoc_len / 1024,
               s->nfail, s->mismatch ? "NO" : "yes");
    }
    printf("\n## Totals over all documents\n\n");
    printf("| parser | elements | img[src] | remote img | a[href] | elements with style |\n");
    printf("|---|---|---|---|---|---|\n");
    for (size_t k = 0; k < ns; k++) {
        summary_t *s = &sum[k];
        if (s->ok)
            printf("| %s | %ld | %ld | %ld | %ld | %ld |\n", s->name, s->e,
                   s->is, s->ir, s->ah, s->st);
    }

    /* pairwise disagreements */
    size_t nd = sum[ok0].nd;
    counts_t *cs[NPARSERS];
    for (size_t k = 0; k < ns; k++) cs[k] = sum[k].ok ? read_counts(outdir, sum[k].name, nd) : NULL;
    printf("\n## Documents where two parsers disagree (of %zu)\n\n", nd);
    printf("| pair | elements | img[src] | remote img | a[href] | style |\n|---|---|---|---|---|---|\n");
    for (size_t a = 0; a < ns; a++)
        for (size_t b = a + 1; b < ns; b++) {
            if (!cs[a] || !cs[b]) continue;
            long de = 0, di = 0, dr = 0, dh = 0, ds = 0;
            for (size_t j = 0; j < nd; j++) {
                de += cs[a][j].elems != cs[b][j].elems;
                di += cs[a][j].img_src != cs[b][j].img_src;
                dr += cs[a][j].img_remote != cs[b][j].img_remote;
                dh += cs[a][j].a_href != cs[b][j].a_href;
                ds += cs[a][j].style != cs[b][j].style;
            }
            printf("| %s vs %s | %ld | %ld | %ld | %ld | %ld |\n", sum[a].name,
                   sum[b].name, de, di, dr, dh, ds);
        }
    for (size_t k = 0; k < ns; k++) free(cs[k]);
    return 0;
}

static int cmd_snip(int argc, char **argv, int dump)
{
    if (argc < 2) { fprintf(stderr, "usage: snip|dump PARSER FILE...\n"); return 2; }
    const parser_t *p = find_parser(argv[0]);
    g_out = stdout;
    g_collect = !dump;
    p->setup();
    for (int i = 1; i < argc; i++) {
        doc_t d = {argv[i], "", NULL, 0};
        d.data = slurp(argv[i], &d.len);
        counts_t c = {0, 0, 0, 0, 0};
        if (!dump) {
            const char *b = strrchr(argv[i], '/');
            printf("%s\t%s\t", b ? b + 1 : argv[i], p->name);
        }
        int r = p->run(&d, &c, dump);
        if (!dump)
            printf("\telems=%ld img_src=%ld img_remote=%ld a_href=%ld style=%ld%s\n",
                   c.elems, c.img_src, c.img_remote, c.a_href, c.style,
                   r ? " PARSE-FAILED" : "");
        free(d.data);
    }
    p->teardown();
    return 0;
}

int main(int argc, char **argv)
{
    g_out = stdout;
    if (argc >= 2 && !strcmp(argv[1], "bench")) return cmd_bench(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[1], "snip")) return cmd_snip(argc - 2, argv + 2, 0);
    if (argc >= 2 && !strcmp(argv[1], "dump")) return cmd_snip(argc - 2, argv + 2, 1);
    fprintf(stderr,
            "usage: %s bench [-r REPS] [-o OUTDIR] LIST.tsv [parser...]\n"
            "       %s snip PARSER FILE...\n"
            "       %s dump PARSER FILE\n", argv[0], argv[0], argv[0]);
    return 2;
}
