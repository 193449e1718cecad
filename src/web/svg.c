/*
 * NAME
 *   svg - the console's plots, drawn here as SVG (no script, no request)
 * DESCRIPTION
 *   Stacked bars over time (messages per verdict, copies per hour) and
 *   horizontal bars of labelled counts (recipients by organisation, top
 *   tracker hosts). Colours and sizes are presentation attributes, so the
 *   console's Content-Security-Policy (style-src 'self') holds; labels
 *   from mail go through pc_h. The evidence report (evidence/report.c)
 *   has its own plots, shaped by the printed page; these are shaped by the
 *   console's width.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "web/internal.h"

static double nice(double max)
{
	if (max <= 5)
		return 1;
	double p = pow(10, floor(log10(max / 5)));
	double m = max / 5 / p;
	return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static void num(GString *o, double v)
{
	g_string_append_printf(o, "%.1f", v);
}

void pc_svg_bars(GString *o, const char *title, time_t t0, long step, size_t n, const pc_series *s, size_t ns)
{
	const double W = 900, H = 240, L = 52, R = 12, T = 28, B = 40;
	const double pw = W - L - R, ph = H - T - B, base = T + ph;
	double max = 0, total = 0;
	for (size_t i = 0; i < n; i++) {
		double sum = 0;
		for (size_t k = 0; k < ns; k++)
			sum += s[k].y[i];
		total += sum;
		if (sum > max)
			max = sum;
	}
	double st = nice(max), top = max > 0 ? ceil(max / st) * st : 1;
	g_string_append(o, "<svg viewBox=\"0 0 900 240\" role=\"img\" aria-label=\"");
	pc_h(o, title);
	g_string_append(o, "\" xmlns=\"http://www.w3.org/2000/svg\"><text x=\"52\" y=\"18\" font-size=\"13\" "
	                   "font-weight=\"600\" fill=\"#1d2125\">");
	pc_h(o, title);
	g_string_append_printf(o, " (%.0f in all)</text>", total);
	for (double v = 0; v <= top + 1e-9; v += st) {
		double y = base - v * ph / top;
		g_string_append(o, "<line x1=\"52\" x2=\"888\" y1=\"");
		num(o, y);
		g_string_append(o, "\" y2=\"");
		num(o, y);
		g_string_append(o, "\" stroke=\"#e3e6e8\"/><text x=\"46\" y=\"");
		num(o, y + 4);
		g_string_append_printf(o, "\" font-size=\"11\" text-anchor=\"end\" fill=\"#5b6670\">%.0f</text>", v);
	}
	double bw = n ? pw / (double)n : pw;
	for (size_t i = 0; i < n; i++) {
		double y = base;
		for (size_t k = 0; k < ns; k++) {
			double v = s[k].y[i];
			if (v <= 0)
				continue;
			double h = v * ph / top;
			y -= h;
			g_string_append(o, "<rect x=\"");
			num(o, L + bw * (double)i + (bw > 4 ? bw * 0.1 : 0));
			g_string_append(o, "\" y=\"");
			num(o, y);
			g_string_append(o, "\" width=\"");
			num(o, bw > 4 ? bw * 0.8 : bw);
			g_string_append(o, "\" height=\"");
			num(o, h);
			g_string_append_printf(o, "\" fill=\"%s\"><title>", s[k].color);
			pc_h(o, s[k].name);
			g_string_append_printf(o, ": %.0f</title></rect>", v);
		}
	}
	g_string_append(o, "<line x1=\"52\" x2=\"888\" y1=\"");
	num(o, base);
	g_string_append(o, "\" y2=\"");
	num(o, base);
	g_string_append(o, "\" stroke=\"#5b6670\"/>");
	/* at most 8 time labels */
	size_t every = n > 8 ? (n + 7) / 8 : 1;
	for (size_t i = 0; i < n; i += every) {
		time_t t = t0 + (time_t)i * step;
		struct tm tm;
		char buf[32];
		gmtime_r(&t, &tm);
		strftime(buf, sizeof buf, step >= 86400 ? "%b %d" : step >= 3600 ? "%b %d %H:00" : "%b %d %H:%M", &tm);
		g_string_append(o, "<text x=\"");
		num(o, L + bw * (double)i + bw / 2);
		g_string_append(o, "\" y=\"");
		num(o, base + 16);
		g_string_append_printf(o, "\" font-size=\"11\" text-anchor=\"middle\" fill=\"#5b6670\">%s</text>", buf);
	}
	/* legend */
	double x = W - R - 110.0 * (double)ns;
	for (size_t k = 0; k < ns; k++, x += 110) {
		g_string_append(o, "<rect x=\"");
		num(o, x);
		g_string_append_printf(o, "\" y=\"8\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"", s[k].color);
		num(o, x + 14);
		g_string_append(o, "\" y=\"17\" font-size=\"11\" fill=\"#1d2125\">");
		pc_h(o, s[k].name);
		g_string_append(o, "</text>");
	}
	g_string_append(
	    o, "<text x=\"470\" y=\"236\" font-size=\"11\" text-anchor=\"middle\" fill=\"#5b6670\">UTC</text>");
	g_string_append(o, "</svg>");
}

void pc_svg_hbars(GString *o, const char *title, const char *const *labels, const long *v, size_t n)
{
	const double W = 600, L = 230, R = 50, row = 20, T = 28;
	double H = T + row * (double)(n ? n : 1) + 8;
	long max = 1;
	for (size_t i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	g_string_append(o, "<svg viewBox=\"0 0 600 ");
	num(o, H);
	g_string_append(o, "\" role=\"img\" aria-label=\"");
	pc_h(o, title);
	g_string_append(o, "\" xmlns=\"http://www.w3.org/2000/svg\"><text x=\"8\" y=\"18\" font-size=\"13\" "
	                   "font-weight=\"600\" fill=\"#1d2125\">");
	pc_h(o, title);
	g_string_append(o, "</text>");
	if (!n)
		g_string_append(o, "<text x=\"8\" y=\"44\" font-size=\"12\" fill=\"#5b6670\">nothing yet</text>");
	for (size_t i = 0; i < n; i++) {
		double y = T + row * (double)i;
		double w = (W - L - R) * (double)v[i] / (double)max;
		g_string_append(o, "<text x=\"");
		num(o, L - 6);
		g_string_append(o, "\" y=\"");
		num(o, y + 14);
		g_string_append(o, "\" font-size=\"12\" text-anchor=\"end\" fill=\"#1d2125\">");
		pc_hn(o, labels[i], 34);
		g_string_append(o, "<title>");
		pc_h(o, labels[i]);
		g_string_append(o, "</title></text><rect x=\"");
		num(o, L);
		g_string_append(o, "\" y=\"");
		num(o, y + 3);
		g_string_append(o, "\" width=\"");
		num(o, w > 1 ? w : 1);
		g_string_append(o, "\" height=\"14\" fill=\"#1f4e79\"/><text x=\"");
		num(o, L + (w > 1 ? w : 1) + 4);
		g_string_append(o, "\" y=\"");
		num(o, y + 14);
		g_string_append_printf(o, "\" font-size=\"12\" fill=\"#1d2125\">%ld</text>", v[i]);
	}
	g_string_append(o, "</svg>");
}
