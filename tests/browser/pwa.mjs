// The installable app's service worker in headless Chromium against the real server serving a copy
// of the built app (--dist, the directory the server was started with --web):
//   - it precaches every page and the device's wasm, so the apps open with no network;
//   - its navigation fallback never answers the API: /api stays the server's, and with no network
//     an /api navigation fails instead of showing a page;
//   - a new version waits for the person: the back office shows a prompt and keeps a half-filled
//     form until "update now", which then reloads into the new version.
// Screenshots go to --shots as pwa-*.png.
//
//   node tests/browser/pwa.mjs --base http://127.0.0.1:PORT --dist DIR [--shots target/screenshots]

import { appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { launch, desktop, freshShots, watch, stepper, shotBoth } from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    base: { type: 'string' },
    dist: { type: 'string' },
    shots: { type: 'string', default: join('target', 'screenshots') },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    headed: { type: 'boolean', default: false },
  },
});
for (const need of ['base', 'dist']) {
  if (!opts[need]) {
    console.error(`missing --${need}; usage: pwa.mjs --base URL --dist DIR`);
    process.exit(2);
  }
}
const TIMEOUT = 30_000;
freshShots(opts.shots, 'pwa');

const browser = await launch(opts.chromium, opts.headed);
const context = await desktop(browser, TIMEOUT, { serviceWorkers: 'allow' });
let page = await context.newPage();
const errors = watch(page);
const step = stepper({ shots: opts.shots, prefix: 'pwa', page: () => page, browser });

await step('the start page installs the service worker, which then controls the page', async () => {
  await page.goto(`${opts.base}/`);
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await page.reload();
  await page.waitForFunction(() => !!navigator.serviceWorker.controller);
  await page.locator('#go-field').waitFor();
  await page.screenshot({ path: join(opts.shots, 'pwa-start.png'), fullPage: true });
});

await step('the precache holds every page and the wasm', async () => {
  const urls = await page.evaluate(async () => {
    const all = [];
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const request of await cache.keys()) all.push(new URL(request.url).pathname);
    }
    return all;
  });
  for (const pageUrl of ['/index.html', '/field/index.html', '/member/index.html', '/office/index.html']) {
    if (!urls.includes(pageUrl)) throw new Error(`${pageUrl} is not precached: ${urls.join(', ')}`);
  }
  const wasm = urls.filter((u) => u.endsWith('.wasm'));
  if (wasm.length !== 1) throw new Error(`expected the device's wasm in the precache, found ${JSON.stringify(wasm)}`);
  console.log(`  precached ${urls.length} files, wasm ${wasm[0]}`);
});

await step('an /api navigation is answered by the server, not by the cache', async () => {
  const res = await page.goto(`${opts.base}/api/no-such-thing`);
  if (res.status() !== 404) throw new Error(`status ${res.status()}`);
  const type = res.headers()['content-type'] ?? '';
  if (!type.includes('json')) throw new Error(`content-type ${type}: the service worker answered`);
  const ok = await page.goto(`${opts.base}/api/openapi.json`);
  if (!(ok.headers()['content-type'] ?? '').includes('json')) throw new Error('openapi.json came back as a page');
});

await step('with no network every app opens from the cache', async () => {
  await page.goto(`${opts.base}/`);
  await page.waitForFunction(() => !!navigator.serviceWorker.controller);
  await context.setOffline(true);
  await page.goto(`${opts.base}/office/`);
  await page.locator('[data-test=sign-in]').waitFor();
  await page.screenshot({ path: join(opts.shots, 'pwa-office-offline.png'), fullPage: true });
  for (const app of ['field', 'member']) {
    await page.goto(`${opts.base}/${app}/`);
    await page.locator('#app *').first().waitFor();
  }
  await page.goto(`${opts.base}/a/page/never/built`);
  await page.locator('#go-office').waitFor();
});

await step('with no network an /api navigation fails instead of showing a page', async () => {
  let failed = false;
  try {
    const res = await page.goto(`${opts.base}/api/members`);
    const type = res?.headers()['content-type'] ?? '';
    if (type.includes('html')) throw new Error('the service worker answered /api/members with a page');
    failed = !res || res.status() >= 400;
  } catch (err) {
    if (String(err).includes('answered')) throw err;
    failed = true;
  }
  if (!failed) throw new Error('/api/members answered with no network');
  await context.setOffline(false);
});

await step('a new version waits behind a prompt and keeps the half-filled form', async () => {
  await page.goto(`${opts.base}/office/#/login`);
  await page.waitForFunction(() => !!navigator.serviceWorker.controller);
  const before = await page.evaluate(() => navigator.serviceWorker.controller.scriptURL);
  await page.locator('input[data-test=username]').fill('half-typed');
  // A new build: the service worker's bytes change (and, as a build would, its precompressed
  // copies go with the old bytes, so the server sends the new file).
  appendFileSync(join(opts.dist, 'sw.js'), `\n// a new version ${Date.now()}\n`);
  for (const copy of ['sw.js.br', 'sw.js.gz']) rmSync(join(opts.dist, copy), { force: true });
  await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.update()));
  await page.locator('[data-test=update-now]').waitFor();
  const kept = await page.locator('input[data-test=username]').inputValue();
  if (kept !== 'half-typed') throw new Error(`the form lost what was typed: ${JSON.stringify(kept)}`);
  await shotBoth(page, opts.shots, 'pwa-update-prompt');
  const navigated = page.waitForNavigation();
  await page.locator('[data-test=update-now]').click();
  await navigated;
  await page.waitForFunction(() => !!navigator.serviceWorker.controller);
  const waiting = await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => !!r.waiting));
  if (waiting) throw new Error('the new version is still waiting after "update now"');
  console.log(`  updated from ${before}`);
});

await browser.close();
if (errors.length) {
  console.log(`uncaught page errors:\n  ${errors.join('\n  ')}`);
  process.exit(1);
}
console.log('pwa: all steps passed');
