/*
 * NAME
 *   sanitize_policy - what each element and attribute of a mail's HTML becomes (see sanitize.h)
 * DESCRIPTION
 *   The lists sanitize.h describes, in one place: the elements we write
 *   and how an HTML parser treats each of them (pc_sanitize_els), what
 *   every element of the attacker's tree becomes (pc_sanitize_classify),
 *   and the attributes we write with the values each may hold.
 */
#include "web/sanitize_impl.h"

#include <string.h>
#include <strings.h>

#define BLK (F_CLOSES_P | F_SPECIAL)
const pc_sanitize_el pc_sanitize_els[O_COUNT] = {
    [O_DIV] = {"div", F_CLOSES_P},
    [O_P] = {"p", F_CLOSES_P},
    [O_BLOCKQUOTE] = {"blockquote", BLK},
    [O_PRE] = {"pre", BLK},
    [O_CENTER] = {"center", BLK},
    [O_H1] = {"h1", BLK | F_HEADING},
    [O_H2] = {"h2", BLK | F_HEADING},
    [O_H3] = {"h3", BLK | F_HEADING},
    [O_H4] = {"h4", BLK | F_HEADING},
    [O_H5] = {"h5", BLK | F_HEADING},
    [O_H6] = {"h6", BLK | F_HEADING},
    [O_UL] = {"ul", BLK},
    [O_OL] = {"ol", BLK},
    [O_LI] = {"li", BLK},
    [O_DL] = {"dl", BLK},
    [O_DT] = {"dt", BLK},
    [O_DD] = {"dd", BLK},
    [O_HR] = {"hr", BLK | F_VOID},
    [O_BR] = {"br", F_SPECIAL | F_VOID},
    [O_WBR] = {"wbr", F_VOID},
    [O_TABLE] = {"table", BLK | F_BSCOPE | F_TABLE},
    [O_CAPTION] = {"caption", F_SPECIAL | F_BSCOPE | F_CELLS},
    [O_THEAD] = {"thead", F_SPECIAL | F_TABLE | F_CELLS},
    [O_TBODY] = {"tbody", F_SPECIAL | F_TABLE | F_CELLS},
    [O_TFOOT] = {"tfoot", F_SPECIAL | F_TABLE | F_CELLS},
    [O_TR] = {"tr", F_SPECIAL | F_TABLE | F_CELLS},
    [O_TD] = {"td", F_SPECIAL | F_BSCOPE | F_CELLS},
    [O_TH] = {"th", F_SPECIAL | F_BSCOPE | F_CELLS},
    [O_SPAN] = {"span", 0},
    [O_FONT] = {"font", 0},
    [O_B] = {"b", 0},
    [O_I] = {"i", 0},
    [O_U] = {"u", 0},
    [O_S] = {"s", 0},
    [O_STRIKE] = {"strike", 0},
    [O_EM] = {"em", 0},
    [O_STRONG] = {"strong", 0},
    [O_SMALL] = {"small", 0},
    [O_BIG] = {"big", 0},
    [O_SUB] = {"sub", 0},
    [O_SUP] = {"sup", 0},
    [O_TT] = {"tt", 0},
    [O_CODE] = {"code", 0},
    [O_KBD] = {"kbd", 0},
    [O_SAMP] = {"samp", 0},
    [O_VAR] = {"var", 0},
    [O_CITE] = {"cite", 0},
    [O_DFN] = {"dfn", 0},
    [O_ABBR] = {"abbr", 0},
    [O_ACRONYM] = {"acronym", 0},
    [O_Q] = {"q", 0},
    [O_MARK] = {"mark", 0},
    [O_INS] = {"ins", 0},
    [O_DEL] = {"del", 0},
};

action pc_sanitize_classify(myhtml_tree_node_t *node, myhtml_tag_id_t id, int *kind, const char **what)
{
	*what = NULL;
	myhtml_namespace_t ns = myhtml_node_namespace(node);
	if (ns != MyHTML_NAMESPACE_HTML) {
		*what = ns == MyHTML_NAMESPACE_SVG ? "svg" : ns == MyHTML_NAMESPACE_MATHML ? "math" : "element";
		return A_REMOVED;
	}
	static const struct {
		myhtml_tag_id_t id;
		int kind;
	} same[] = {
	    {MyHTML_TAG_DIV, O_DIV},
	    {MyHTML_TAG_P, O_P},
	    {MyHTML_TAG_BLOCKQUOTE, O_BLOCKQUOTE},
	    {MyHTML_TAG_PRE, O_PRE},
	    {MyHTML_TAG_CENTER, O_CENTER},
	    {MyHTML_TAG_H1, O_H1},
	    {MyHTML_TAG_H2, O_H2},
	    {MyHTML_TAG_H3, O_H3},
	    {MyHTML_TAG_H4, O_H4},
	    {MyHTML_TAG_H5, O_H5},
	    {MyHTML_TAG_H6, O_H6},
	    {MyHTML_TAG_UL, O_UL},
	    {MyHTML_TAG_OL, O_OL},
	    {MyHTML_TAG_LI, O_LI},
	    {MyHTML_TAG_DL, O_DL},
	    {MyHTML_TAG_DT, O_DT},
	    {MyHTML_TAG_DD, O_DD},
	    {MyHTML_TAG_HR, O_HR},
	    {MyHTML_TAG_BR, O_BR},
	    {MyHTML_TAG_WBR, O_WBR},
	    {MyHTML_TAG_TABLE, O_TABLE},
	    {MyHTML_TAG_CAPTION, O_CAPTION},
	    {MyHTML_TAG_THEAD, O_THEAD},
	    {MyHTML_TAG_TBODY, O_TBODY},
	    {MyHTML_TAG_TFOOT, O_TFOOT},
	    {MyHTML_TAG_TR, O_TR},
	    {MyHTML_TAG_TD, O_TD},
	    {MyHTML_TAG_TH, O_TH},
	    {MyHTML_TAG_SPAN, O_SPAN},
	    {MyHTML_TAG_FONT, O_FONT},
	    {MyHTML_TAG_B, O_B},
	    {MyHTML_TAG_I, O_I},
	    {MyHTML_TAG_U, O_U},
	    {MyHTML_TAG_S, O_S},
	    {MyHTML_TAG_STRIKE, O_STRIKE},
	    {MyHTML_TAG_EM, O_EM},
	    {MyHTML_TAG_STRONG, O_STRONG},
	    {MyHTML_TAG_SMALL, O_SMALL},
	    {MyHTML_TAG_BIG, O_BIG},
	    {MyHTML_TAG_SUB, O_SUB},
	    {MyHTML_TAG_SUP, O_SUP},
	    {MyHTML_TAG_TT, O_TT},
	    {MyHTML_TAG_CODE, O_CODE},
	    {MyHTML_TAG_KBD, O_KBD},
	    {MyHTML_TAG_SAMP, O_SAMP},
	    {MyHTML_TAG_VAR, O_VAR},
	    {MyHTML_TAG_CITE, O_CITE},
	    {MyHTML_TAG_DFN, O_DFN},
	    {MyHTML_TAG_ABBR, O_ABBR},
	    {MyHTML_TAG_ACRONYM, O_ACRONYM},
	    {MyHTML_TAG_Q, O_Q},
	    {MyHTML_TAG_MARK, O_MARK},
	    {MyHTML_TAG_INS, O_INS},
	    {MyHTML_TAG_DEL, O_DEL},
	    /* written as another of ours */
	    {MyHTML_TAG_ARTICLE, O_DIV},
	    {MyHTML_TAG_ASIDE, O_DIV},
	    {MyHTML_TAG_SECTION, O_DIV},
	    {MyHTML_TAG_HEADER, O_DIV},
	    {MyHTML_TAG_FOOTER, O_DIV},
	    {MyHTML_TAG_NAV, O_DIV},
	    {MyHTML_TAG_MAIN, O_DIV},
	    {MyHTML_TAG_FIGURE, O_DIV},
	    {MyHTML_TAG_FIGCAPTION, O_DIV},
	    {MyHTML_TAG_HGROUP, O_DIV},
	    {MyHTML_TAG_ADDRESS, O_DIV},
	    {MyHTML_TAG_DETAILS, O_DIV},
	    {MyHTML_TAG_SUMMARY, O_DIV},
	    {MyHTML_TAG_DIALOG, O_DIV},
	    {MyHTML_TAG_FIELDSET, O_DIV},
	    {MyHTML_TAG_LEGEND, O_DIV},
	    {MyHTML_TAG_MENU, O_UL},
	    {MyHTML_TAG_DIR, O_UL},
	    {MyHTML_TAG_LISTING, O_PRE},
	    {MyHTML_TAG_XMP, O_PRE},
	    {MyHTML_TAG_PLAINTEXT, O_PRE},
	    {MyHTML_TAG_NOBR, O_SPAN},
	    {MyHTML_TAG_BDI, O_SPAN},
	    {MyHTML_TAG_TIME, O_SPAN},
	    {MyHTML_TAG_LABEL, O_SPAN},
	    {MyHTML_TAG_RUBY, O_SPAN},
	    {MyHTML_TAG_RB, O_SPAN},
	    {MyHTML_TAG_RT, O_SPAN},
	    {MyHTML_TAG_RP, O_SPAN},
	    {MyHTML_TAG_RTC, O_SPAN},
	    {MyHTML_TAG_BLINK, O_SPAN},
	};
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
		if (same[i].id == id) {
			*kind = same[i].kind;
			return A_KEEP;
		}
	switch (id) {
	case MyHTML_TAG_A:
		*kind = O_SPAN;
		return myhtml_attribute_by_key(node, "href", 4) ? A_LINK : A_INSIDE;
	case MyHTML_TAG_IMG:
	case MyHTML_TAG_IMAGE:
		return A_IMG;
	case MyHTML_TAG_INPUT:
		return A_INPUT;
	case MyHTML_TAG_BODY:
	case MyHTML_TAG_HTML:
		return A_INSIDE;
	case MyHTML_TAG_STYLE:
		return A_STYLE;
	case MyHTML_TAG_SCRIPT:
	case MyHTML_TAG_NOSCRIPT:
	case MyHTML_TAG_TEMPLATE:
	case MyHTML_TAG_TITLE:
	case MyHTML_TAG_META:
	case MyHTML_TAG_LINK:
	case MyHTML_TAG_BASE:
	case MyHTML_TAG_BASEFONT:
	case MyHTML_TAG_BGSOUND:
	case MyHTML_TAG_HEAD:
	case MyHTML_TAG_PARAM:
	case MyHTML_TAG_SOURCE:
	case MyHTML_TAG_TRACK:
	case MyHTML_TAG_AREA:
	case MyHTML_TAG_OPTION:
	case MyHTML_TAG_OPTGROUP:
	case MyHTML_TAG_DATALIST:
	case MyHTML_TAG_NOEMBED:
	case MyHTML_TAG_NOFRAMES:
	case MyHTML_TAG_COLGROUP:
	case MyHTML_TAG_COL:
	case MyHTML_TAG_COMMAND:
	case MyHTML_TAG_MENUITEM:
	case MyHTML_TAG_KEYGEN:
	case MyHTML_TAG_ISINDEX:
		return A_DROP;
	case MyHTML_TAG_IFRAME:
	case MyHTML_TAG_FRAME:
	case MyHTML_TAG_FRAMESET:
	case MyHTML_TAG_OBJECT:
	case MyHTML_TAG_EMBED:
	case MyHTML_TAG_APPLET:
	case MyHTML_TAG_VIDEO:
	case MyHTML_TAG_AUDIO:
	case MyHTML_TAG_CANVAS:
	case MyHTML_TAG_TEXTAREA:
	case MyHTML_TAG_SELECT:
	case MyHTML_TAG_METER:
	case MyHTML_TAG_PROGRESS: {
		static const struct {
			myhtml_tag_id_t id;
			const char *name;
		} names[] = {
		    {MyHTML_TAG_IFRAME, "iframe"},     {MyHTML_TAG_FRAME, "frame"},   {MyHTML_TAG_FRAMESET, "frameset"},
		    {MyHTML_TAG_OBJECT, "object"},     {MyHTML_TAG_EMBED, "embed"},   {MyHTML_TAG_APPLET, "applet"},
		    {MyHTML_TAG_VIDEO, "video"},       {MyHTML_TAG_AUDIO, "audio"},   {MyHTML_TAG_CANVAS, "canvas"},
		    {MyHTML_TAG_TEXTAREA, "textarea"}, {MyHTML_TAG_SELECT, "select"}, {MyHTML_TAG_METER, "meter"},
		    {MyHTML_TAG_PROGRESS, "progress"}};
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			if (names[i].id == id)
				*what = names[i].name;
		return A_REMOVED;
	}
	default:
		return A_UNWRAP; /* form, button, marquee, bdo, map, unknown and made-up elements */
	}
}

const pc_sanitize_attr pc_sanitize_attrs[PC_SANITIZE_NATTRS] = {
    {"align", V_WORD},      {"valign", V_WORD},   {"width", V_LEN},     {"height", V_LEN}, {"colspan", V_INT},
    {"rowspan", V_INT},     {"bgcolor", V_COLOR}, {"color", V_COLOR},   {"border", V_INT}, {"cellpadding", V_INT},
    {"cellspacing", V_INT}, {"dir", V_DIR},       {"face", V_FACE},     {"size", V_SIZE},  {"nowrap", V_BOOL},
    {"noshade", V_BOOL},    {"start", V_INT},     {"type", V_LISTTYPE}, {"clear", V_WORD}, {"style", V_STYLE},
};

static bool all_in(const char *v, size_t n, const char *set, bool alnum)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		bool an = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!c || (!(alnum && an) && !strchr(set, c)))
			return false;
	}
	return true;
}

static bool digits(const char *v, size_t n, size_t max)
{
	return n && n <= max && all_in(v, n, "0123456789", false);
}

/* Whether v[0, n) (trimmed) is a value the attribute may hold. */
bool pc_sanitize_value_ok(vkind k, const char *v, size_t n)
{
	switch (k) {
	case V_WORD:
		return n && n <= 16 && all_in(v, n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", false);
	case V_LEN:
		if (n > 2 && !strncasecmp(v + n - 2, "px", 2))
			n -= 2;
		else if (n && v[n - 1] == '%')
			n--;
		return digits(v, n, 6);
	case V_INT:
		return digits(v, n, 5);
	case V_COLOR:
		return n && n <= 32 && all_in(v, n, "#", true);
	case V_FACE:
		return n && n <= 128 && all_in(v, n, " ,-_", true);
	case V_DIR:
		return (n == 3 && (!strncasecmp(v, "ltr", 3) || !strncasecmp(v, "rtl", 3))) ||
		       (n == 4 && !strncasecmp(v, "auto", 4));
	case V_BOOL:
		return true;
	case V_SIZE:
		return n && n <= 4 && all_in(v, n, "+-0123456789", false);
	case V_LISTTYPE:
		return n && n <= 8 && all_in(v, n, "", true);
	case V_STYLE:
		return true; /* judged by pc_sanitize_style */
	}
	return false;
}
