// What the console's browser tests share: Debian's Chromium with
// JavaScript on, every request outside the console logged and aborted,
// console errors (a CSP violation is one) and page errors kept.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';

export function config() {
  return JSON.parse(readFileSync(process.argv[2], 'utf8'));
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// A context whose every request is watched: the console's own origin goes
// through, anything else is recorded in out.offsite and aborted.
export async function watchedContext(browser, base, out) {
  const context = await browser.newContext({
    javaScriptEnabled: true,
    viewport: { width: 1280, height: 900 },
    serviceWorkers: 'block',
  });
  out.offsite = out.offsite || [];
  out.console = out.console || [];
  out.pageerrors = out.pageerrors || [];
  out.requests = out.requests || [];
  const origin = new URL(base).origin;
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    let o = null;
    try { o = new URL(url).origin; } catch (e) { /* not a URL: refused below */ }
    if (o === origin) {
      out.requests.push(url);
      const h = route.request().headers();
      // Only once a test has recorded that the console refuses its own
      // forms (Origin: null under Referrer-Policy: no-referrer) and chosen
      // to go on: the rest of the journey then still gets checked.
      if (out.fixOrigin && route.request().method() === 'POST' && h.origin === 'null') {
        out.originFixed = (out.originFixed || 0) + 1;
        const all = await route.request().allHeaders();
        const response = await route.fetch({ headers: { ...all, origin }, maxRedirects: 0 });
        return route.fulfill({ response });
      }
      return route.continue();
    }
    out.offsite.push(url);
    return route.abort('blockedbyclient');
  });
  // A CSP violation anywhere (the console or a frame): Chromium reports it
  // on the console; the event is also kept where a script may see it.
  context.on('page', (p) => watchPage(p, out));
  return context;
}

export function watchPage(page, out) {
  page.on('console', (m) => {
    const t = m.text();
    if (m.type() === 'error' || m.type() === 'warning' || /Content Security Policy|Refused to/i.test(t))
      out.console.push({ type: m.type(), text: t, url: page.url() });
  });
  page.on('pageerror', (e) => out.pageerrors.push(String(e && e.stack || e)));
}

export async function shot(page, dir, name, out) {
  const path = `${dir}/${name}.png`;
  await page.screenshot({ path, fullPage: true });
  (out.screens = out.screens || []).push(path);
  // a full-page screenshot leaves the body frames blank: they get one of
  // their own, scrolled into view
  const frame = page.locator('iframe.body').first();
  if (await frame.count()) {
    await frame.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${dir}/${name}-body.png` });
    out.screens.push(`${dir}/${name}-body.png`);
  }
}
