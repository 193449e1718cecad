// Renders HTML files in Debian's headless Chromium and reports every request
// the page makes. Every request is logged and aborted: nothing leaves the
// machine. Usage: node render.mjs FILE.html... > requests.json
// Output: {"FILE.html": ["url", ...], ...}
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const result = {};
try {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const files = process.argv.slice(2);
  let next = 0;
  async function worker() {
    const page = await context.newPage();
    let seen = [];
    let last = Date.now();
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (!url.startsWith('data:') && url !== 'about:blank') seen.push(url);
      last = Date.now();
      return route.abort('blockedbyclient');
    });
    while (next < files.length) {
      const file = files[next++];
      seen = [];
      last = Date.now();
      try {
        await page.setContent(readFileSync(file, 'utf8'), { waitUntil: 'load', timeout: 3000 });
      } catch (e) {
        // a page whose every resource is blocked may never report "load"
      }
      // then until no request has come for 300 ms (at most 15 s): on a
      // busy machine a long page keeps requesting after "load"
      const start = Date.now();
      last = Date.now();
      while (Date.now() - last < 300 && Date.now() - start < 15000) await page.waitForTimeout(50);
      result[file] = seen;
      await page.goto('about:blank');
    }
    await page.close();
  }
  await Promise.all(Array.from({ length: Number(process.env.RENDER_JOBS || 6) }, worker));
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result));
