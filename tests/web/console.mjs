// The analyst's journey through the console (driven by console_test.py,
// which built the world and checks the disk and the store afterwards).
// usage: node console.mjs CONFIG.json; prints one JSON line:
// {finished, steps, fails, offsite, console, pageerrors, screens, job}
import { config, launch, watchedContext, shot } from './common.mjs';

const cfg = config();
const base = cfg.base;
const out = { finished: false, steps: [], fails: [] };
const screens = (name) => shot(page, cfg.screens, `console-${name}`, out);
const check = (cond, what) => { if (!cond) out.fails.push(`${out.steps[out.steps.length - 1] || ''}: ${what}`); return cond; };
const path = () => new URL(page.url()).pathname;
const text = async (sel) => ((await page.locator(sel).first().textContent({ timeout: 10000 })) || '').trim();

async function step(name, fn) {
  if (out.serverGone) return;
  out.steps.push(name);
  try {
    await fn();
  } catch (e) {
    const msg = String(e && e.message || e);
    out.fails.push(`${name}: ${msg.split('\n').slice(0, 6).join(' | ')}`);
    if (/ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ECONNREFUSED/.test(msg)) {
      out.serverGone = true;
      out.fails.push(`${name}: the console stopped answering; the journey ends here`);
    }
  }
}

const browser = await launch();
const context = await watchedContext(browser, base, out);
const page = await context.newPage();
page.setDefaultTimeout(30000);

try {
  await step('a page without a session sends to /login', async () => {
    await page.goto(`${base}/campaigns`);
    check(path() === '/login', `ended at ${page.url()}`);
    await screens('login');
  });

  await step('log in', async () => {
    await page.fill('input[name=user]', cfg.user);
    await page.fill('input[name=password]', cfg.password);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    if (path() !== '/') {
      const why = await page.locator('.error').first().textContent().catch(() => '?');
      check(false, `the login form was refused: ${why} (the browser sent Origin: null, as it must under ` +
                   'Referrer-Policy: no-referrer); going on with the Origin header set to the console\'s');
      out.fixOrigin = true;
      await page.goto(`${base}/login`);
      await page.fill('input[name=user]', cfg.user);
      await page.fill('input[name=password]', cfg.password);
      await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
      if (path() !== '/') {
        check(false, 'cannot log in even so: the journey ends here');
        out.serverGone = true;
        return;
      }
    }
    check((await text('header .who')).includes(cfg.user), 'the header names the user');
    const cookies = await context.cookies();
    const s = cookies.find((c) => c.name === 'pc_session');
    check(s && s.httpOnly && s.secure && s.sameSite === 'Strict', `session cookie ${JSON.stringify(s)}`);
  });

  await step('overview: the plot is there', async () => {
    check(path() === '/', `at ${page.url()}`);
    const svg = page.locator('main svg').first();
    check(await svg.isVisible(), 'no visible plot');
    const box = await svg.boundingBox();
    check(box && box.width > 300 && box.height > 80, `plot box ${JSON.stringify(box)}`);
    check(await page.locator('main svg rect').count() > 0, 'the plot has no bars');
    await screens('overview');
  });

  await step('campaigns list', async () => {
    await Promise.all([page.waitForURL(`${base}/campaigns`), page.click('header nav a[href="/campaigns"]')]);
    const row = page.locator(`tr:has(a[href="/campaigns/${cfg.malicious}"])`);
    check(await row.count() === 1, 'campaign 1 is listed once');
    check((await row.first().textContent()).includes('malicious'), 'campaign 1 shows as malicious');
    check(await page.locator(`a[href="/campaigns/${cfg.benign}"]`).count() > 0, 'the newsletter campaign is listed');
    await screens('campaigns');
  });

  let messageHref = null;
  await step('the malicious campaign', async () => {
    await Promise.all([page.waitForURL(`${base}/campaigns/${cfg.malicious}`),
                       page.locator(`a[href="/campaigns/${cfg.malicious}"]`).first().click()]);
    check((await text('h1')).startsWith(`Campaign ${cfg.malicious}`), 'the heading names the campaign');
    const kv = await text('dl.kv');
    check(kv.includes('malicious'), 'status malicious');
    check(/7 to 7 recipients/.test(kv), `copies line: ${kv.slice(0, 300)}`);
    check(kv.includes('found'), 'the per-recipient token is found');
    const main = await text('main');
    check(main.includes('dai1yledger.example'), 'the lookalike sender is shown');
    const links = page.locator('a[href^="/messages/"]');
    check(await links.count() === 7, `member message links: ${await links.count()}`);
    messageHref = await links.first().getAttribute('href');
    check(await page.locator('main svg').count() >= 2, 'timeline and organisation plots');
    await screens('campaign');
  });

  await step("a member's message: findings with evidence", async () => {
    await Promise.all([page.waitForURL(`${base}${messageHref}`), page.locator(`a[href="${messageHref}"]`).first().click()]);
    const findings = page.locator('h2:text("Findings") + table tbody tr');
    check(await findings.count() >= 2, `findings rows: ${await findings.count()}`);
    const ft = await page.locator('h2:text("Findings") + table').textContent();
    check(/impersonation|lookalike/.test(ft), 'an impersonation finding');
    check(/tracker/.test(ft), 'a tracker finding');
    const ev = page.locator('dl.ev');
    check(await ev.count() > 0 && await ev.first().isVisible(), 'evidence is shown');
    check((await ev.allTextContents()).join(' ').includes('dai1yledger.example'), 'the evidence names the lookalike');
    check((await text('main')).includes('Authentication'), 'the authentication table');
    // the inert body frames (empty until web-msgview lands, but present and sandboxed)
    const frames = page.locator('iframe.body');
    check(await frames.count() === 2, `body frames: ${await frames.count()}`);
    for (const f of await frames.all())
      check((await f.getAttribute('sandbox')) === '', 'the body frame is sandboxed with no permissions');
    // what the message page must show from the bytes (web/msgview.c; the
    // placeholder msgview_tmp.c shows none of it yet)
    const section = async (h) => page.locator(`h2:text-is("${h}") + table tbody tr`).count();
    check(await section('Headers') >= 10, `header rows: ${await section('Headers')} (needs web-msgview)`);
    const headers = await page.locator('h2:text-is("Headers") + table').textContent();
    check(/Subject/i.test(headers) && headers.includes('committee vote'), 'the Subject header is shown (needs web-msgview)');
    check(await section('Received chain') >= 1, `Received rows: ${await section('Received chain')} (needs web-msgview)`);
    check(await section('MIME tree') >= 3, `MIME rows: ${await section('MIME tree')} (needs web-msgview)`);
    const original = page.frames().find((f) => f.url().includes('/body?v=original'));
    const rewritten = page.frames().find((f) => f.url().includes('/body?v=rewritten'));
    check(original && rewritten, 'both body frames loaded');
    if (original) {
      const t = await original.locator('body').innerText();
      check(t.includes('Hannah Reyes'), `the original body is shown (needs web-msgview): "${t.slice(0, 80)}"`);
    }
    if (rewritten) {
      const t = await rewritten.locator('body').innerText();
      check(t.includes('Hannah Reyes'), `the rewritten body is shown (needs web-msgview): "${t.slice(0, 80)}"`);
    }
    await screens('message');
  });

  await step('the quarantine', async () => {
    await Promise.all([page.waitForURL(`${base}/quarantine`), page.click('header nav a[href="/quarantine"]')]);
    const row = page.locator(`tr:has(a[href="/quarantine/${cfg.fp_qid}"])`);
    check(await row.count() === 1, 'the false positive is listed');
    check((await row.first().textContent()).includes('tomatoes'), 'its subject is shown');
    await screens('quarantine');
  });

  await step('the quarantined false positive', async () => {
    await Promise.all([page.waitForURL(`${base}/quarantine/${cfg.fp_qid}`),
                       page.locator(`a[href="/quarantine/${cfg.fp_qid}"]`).first().click()]);
    check((await text('h1')).startsWith('Quarantined:'), 'the heading');
    check((await text('dl.kv')).includes('news@gardening.example.com'), 'the sender');
    await screens('quarantine-entry');
  });

  await step('release it, with a reason', async () => {
    const form = page.locator(`form[action="/quarantine/${cfg.fp_qid}/release"]`);
    await form.locator('input[name=reason]').fill(cfg.release_reason);
    await form.locator('input[name=to]').fill(cfg.fp_rcpt);
    await Promise.all([page.waitForURL(`${base}/quarantine`), form.locator('button[type=submit]').click()]);
    const flash = await text('.flash');
    check(/Released to 1 recipient/.test(flash), `flash: ${flash}`);
    check(await page.locator(`a[href="/quarantine/${cfg.fp_qid}"]`).count() === 0, 'the entry left the list');
  });

  await step('mark the newsletter campaign benign, with a reason', async () => {
    await Promise.all([page.waitForURL(`${base}/campaigns`), page.click('header nav a[href="/campaigns"]')]);
    await Promise.all([page.waitForURL(`${base}/campaigns/${cfg.benign}`),
                       page.locator(`a[href="/campaigns/${cfg.benign}"]`).first().click()]);
    const form = page.locator(`form[action="/campaigns/${cfg.benign}/mark"]`);
    await form.locator('select[name=status]').selectOption('benign');
    await form.locator('input[name=reason]').fill(cfg.mark_reason);
    await Promise.all([page.waitForURL(`${base}/campaigns/${cfg.benign}`), form.locator('button[type=submit]').click()]);
    const flash = await text('.flash');
    check(flash.includes(`Campaign ${cfg.benign} marked benign`), `flash: ${flash}`);
    check((await text('dl.kv dd')).startsWith('benign (by an analyst)'), 'the status shows benign by an analyst');
    check((await text('main')).includes(cfg.mark_reason), "the reason is on the campaign's page");
  });

  await step('purge the delivered copies: the job page refreshes itself until done', async () => {
    await page.goto(`${base}/campaigns/${cfg.malicious}`);
    const form = page.locator(`form[action="/campaigns/${cfg.malicious}/purge"]`);
    await Promise.all([page.waitForURL(/\/jobs\/\d+$/), form.locator('button[type=submit]').click()]);
    out.job = path();
    const first = await text('#job-state');
    out.job_first_state = first;
    const refresh = page.locator('meta[http-equiv=refresh]');
    if (first === 'running') {
      check(await refresh.count() === 1, 'a running job page asks again by itself');
      await screens('job-running');
    }
    // no reload from here: the page must get to "done" by itself
    let loads = 0;
    page.on('load', () => loads++);
    const t0 = Date.now();
    let state = first;
    while (state === 'running' && Date.now() - t0 < 300000) {
      await page.waitForTimeout(500);
      try { state = await text('#job-state'); } catch (e) { /* between two loads */ }
    }
    out.job_reloads = loads;
    check(state === 'done', `job state ${state} after ${Math.round((Date.now() - t0) / 1000)} s`);
    if (first === 'running') check(loads > 0, 'the page reloaded itself');
    else out.notes = (out.notes || []).concat(['the purge was done before its page first showed: self-refresh not seen']);
    check(await refresh.count() === 0, 'a finished job page stops reloading');
    const kv = await text('dl.kv');
    out.job_text = kv;
    const num = (label) => { const m = kv.match(new RegExp(label + '\\s*(\\d+)')); return m ? Number(m[1]) : -1; };
    check(num('Moved to quarantine') === 1, `moved to quarantine: ${num('Moved to quarantine')}`);
    check(num('Copies found') === 1, `copies found: ${num('Copies found')}`);
    const log = await text('pre');
    check(log.includes('1 purged') && !log.includes('\u27e8U+000A\u27e9'),
      `the job's output keeps its lines (its own newlines are not shown as marks): ${log.slice(-120)}`);
    check(num('Messages read') === cfg.maildir_count,
      `"Messages read" says ${num('Messages read')}, the mail store holds ${cfg.maildir_count}`);
    await screens('job');
  });

  await step('the purged copy is in the quarantine', async () => {
    await Promise.all([page.waitForURL(`${base}/quarantine`), page.click('header nav a[href="/quarantine"]')]);
    const rows = page.locator(`tr:has(a[href="/campaigns/${cfg.malicious}"])`);
    check(await rows.count() === 1, `quarantine rows of campaign ${cfg.malicious}: ${await rows.count()}`);
    check((await rows.first().textContent()).includes('committee vote'), 'its subject');
    await screens('quarantine-after-purge');
  });

  await step('search', async () => {
    await Promise.all([page.waitForURL(`${base}/search`), page.click('header nav a[href="/search"]')]);
    await page.fill('form.filters input[name=subject]', 'tomatoes');
    await Promise.all([page.waitForURL(/\/search\?/), page.click('form.filters button[type=submit]')]);
    const rows = page.locator('main table tbody tr:has(a[href^="/messages/"])');
    check(await rows.count() === 5, `newsletter copies found: ${await rows.count()}`);
    await screens('search');
  });

  await step('upload an indicator set', async () => {
    await Promise.all([page.waitForURL(`${base}/ioc`), page.click('header nav a[href="/ioc"]')]);
    const form = page.locator('form[action="/ioc"]');
    await form.locator('input[name=name]').fill(cfg.ioc_name);
    await form.locator('input[name=file]').setInputFiles(cfg.ioc_file);
    await Promise.all([page.waitForURL(`${base}/ioc`), form.locator('button[type=submit]').click()]);
    const flash = await text('.flash');
    check(flash.includes(`Set ${cfg.ioc_name}: 2 indicators`), `flash: ${flash}`);
    check((await text('main table')).includes(cfg.ioc_name), 'the set is listed');
    await screens('indicators');
  });

  await step('the audit page shows every action', async () => {
    await Promise.all([page.waitForURL(`${base}/audit`), page.click('header nav a[href="/audit"]')]);
    const rows = await page.locator('#audit tbody tr').evaluateAll((trs) =>
      trs.map((tr) => Array.from(tr.cells).map((td) => td.textContent)));
    out.audit_rows = rows.length;
    const has = (action, ...words) => rows.some((r) => r[2] === action && words.every((w) => r.join(' ').includes(w)));
    check(has('login', 'admin (console, 127.0.0.1)'), 'login');
    check(has('release', cfg.fp_qid), 'the release');
    check(has('release', cfg.release_reason), 'the release with its reason');
    check(has('mark', cfg.mark_reason, 'benign'), 'the mark with its reason');
    check(has('purge-start', String(cfg.malicious)), 'the purge started');
    check(has('purge', '1700000000.M1P1'), "hunt's purge of the copy");
    check(has('purge-end', 'moved to quarantine'), 'the purge ended');
    check(has('ioc-add', cfg.ioc_name), 'the indicator set');
    await screens('audit');
  });

  await step('accounts: add a viewer, its password shown once', async () => {
    await Promise.all([page.waitForURL(`${base}/users`), page.click('header nav a[href="/users"]')]);
    check((await text('main table')).includes('admin'), 'the admin account is listed');
    const form = page.locator('form[action="/users"]');
    await form.locator('input[name=name]').fill(cfg.new_user);
    await form.locator('select[name=role]').selectOption('viewer');
    await Promise.all([page.waitForURL(`${base}/users`), form.locator('button[type=submit]').click()]);
    const flash = await text('.flash');
    const m = flash.match(/shown once: (\S+)/);
    check(m, `flash: ${flash}`);
    out.new_password = m && m[1];
    check((await text('main table')).includes(cfg.new_user), 'the new account is listed');
    await screens('accounts');
    await page.goto(`${base}/users`);
    check(await page.locator('.flash').count() === 0, 'the password is not shown again');
  });

  await step('log out: a page then sends to /login', async () => {
    await Promise.all([page.waitForURL(`${base}/login`), page.click('header form[action="/logout"] button')]);
    await page.goto(`${base}/campaigns/${cfg.malicious}`);
    check(path() === '/login', `after logout, ended at ${page.url()}`);
    const r = await page.request.get(`${base}/api/v1/campaigns`);
    check(r.status() === 401, `the API after logout: ${r.status()}`);
  });
  out.finished = true;
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(out) + '\n');
