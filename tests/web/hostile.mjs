// Opens every page hostile_test.py lists in Chromium, JavaScript on, and
// checks that nothing from the mail acts or escapes its box.
// usage: node hostile.mjs CONFIG.json; prints one JSON line:
// {visited, fails, offsite, console, pageerrors, screens}
import { config, launch, watchedContext, shot } from './common.mjs';

const cfg = config();
const base = cfg.base;
const out = { visited: 0, fails: [] };
const HIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\u061c\u00ad\u034f]/g;

const browser = await launch();
const context = await watchedContext(browser, base, out);
const u = new URL(base);
await context.addCookies([{ name: 'pc_session', value: cfg.cookie, domain: u.hostname, path: '/',
                            httpOnly: true, secure: true, sameSite: 'Strict' }]);
const page = await context.newPage();
page.setDefaultTimeout(30000);

function name(path) {
  return 'hostile-' + (path.replace(/^\//, '').replace(/[^A-Za-z0-9]+/g, '_').slice(0, 60) || 'overview');
}

async function inspect(frame) {
  // runs in the page's own world; a sandboxed frame may refuse (then it ran nothing either)
  try {
    return await frame.evaluate(() => ({ pwned: typeof window.__pwned !== 'undefined', title: document.title }));
  } catch (e) {
    return { pwned: false, title: null, refused: String(e).slice(0, 100) };
  }
}

try {
  for (const p of cfg.pages) {
    const where = `${p.path.slice(0, 100)}`;
    const fail = (what) => out.fails.push(`${where}: ${what}`);
    let resp;
    try {
      resp = await page.goto(base + p.path, { waitUntil: 'load' });
    } catch (e) {
      fail(`did not load: ${String(e.message || e).split('\n')[0]}`);
      if (/ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE/.test(String(e))) { fail('the console stopped answering'); break; }
      continue;
    }
    out.visited++;
    if (new URL(page.url()).pathname === '/login') { fail('sent to /login: the session is gone'); continue; }
    await page.waitForTimeout(300); // late requests, timers a payload might set
    for (const f of page.frames()) {
      const r = await inspect(f);
      if (r.pwned) fail(`window.__pwned is set in ${f === page.mainFrame() ? 'the page' : 'frame ' + f.url()}`);
      if (r.title && /PWNED/.test(r.title)) fail(`the title was changed: ${r.title}`);
    }
    const title = await page.title();
    if (p.kind === 'page' && !/ · Portcullis$/.test(title)) fail(`the page's title is not the console's: ${title.slice(0, 80)}`);
    if (p.kind === 'page') {
      const m = await page.evaluate(() => {
        const de = document.documentElement;
        const positioned = [];
        for (const el of document.querySelectorAll('body *')) {
          const pos = getComputedStyle(el).position;
          if (pos === 'fixed' || pos === 'absolute' || pos === 'sticky')
            positioned.push(`${el.tagName.toLowerCase()}.${el.className}: ${pos} "${(el.textContent || '').slice(0, 40)}"`);
        }
        const frames = [];
        for (const f of document.querySelectorAll('iframe')) {
          const b = f.getBoundingClientRect();
          const pb = f.parentElement.getBoundingClientRect();
          frames.push({ w: b.width, h: b.height, pw: pb.width, sandbox: f.getAttribute('sandbox') });
        }
        // what sticks out: an element past the window, or content past its element
        let widest = null;
        for (const el of document.querySelectorAll('body *')) {
          const r = el.getBoundingClientRect();
          const spill = getComputedStyle(el).overflowX === 'visible' ? el.scrollWidth - el.clientWidth : 0;
          const right = Math.max(r.right, r.left + el.scrollWidth * (spill > 1 ? 1 : 0));
          if (right > window.innerWidth + 1 && (!widest || right > widest.right))
            widest = { right: Math.round(right), what: `<${el.tagName.toLowerCase()} class="${el.className}">`,
                       text: (el.textContent || '').slice(0, 30) };
        }
        // the text a person sees: the page's and what the form fields hold
        const values = Array.from(document.querySelectorAll('input:not([type=hidden]), textarea'), (i) => i.value);
        return { sw: de.scrollWidth, iw: window.innerWidth, positioned, frames, widest,
                 text: document.body.innerText + '\n' + values.join('\n') };
      });
      if (m.sw > m.iw + 1) fail(`wider than the window: scrollWidth ${m.sw} > ${m.iw} (${JSON.stringify(m.widest)})`);
      if (m.positioned.length) fail(`positioned elements: ${m.positioned.slice(0, 3).join(' | ')}`);
      for (const f of m.frames) {
        if (f.sandbox !== '') fail(`an iframe not sandboxed: ${f.sandbox}`);
        if (Math.abs(f.h - 512) > 2 || f.w > f.pw + 1) fail(`an iframe out of its size: ${JSON.stringify(f)}`);
      }
      const hidden = m.text.replace(/[\n\t\r]/g, '').match(HIDDEN);
      if (hidden) fail(`raw control/bidi/invisible characters shown: ${[...new Set(hidden)].map((c) => 'U+' + c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')).join(' ')}`);
      if (p.bidi && !m.text.includes('\u27e8U+202E\u27e9')) fail('no visible ⟨U+202E⟩ mark where the mail had a bidi override');
    } else {
      // the body frame opened on its own: its policy's sandbox holds even so
      const csp = resp && resp.headers()['content-security-policy'] || '';
      if (!/\bsandbox\b/.test(csp)) fail(`the body frame answered without sandbox in its CSP: ${csp}`);
    }
    await shot(page, cfg.screens, name(p.path), out);
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(out) + '\n');
