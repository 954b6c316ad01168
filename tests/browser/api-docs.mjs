// Opens the API reference (/api/docs, Swagger UI served by the server itself) in headless Chromium
// with every host but the server unreachable, finds an operation and expands it, and fails if the
// page asked for anything outside the server. Screenshot: --shots/api-docs.png.
//
//   node tests/browser/api-docs.mjs --base http://127.0.0.1:PORT [--shots target/screenshots]

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { launch } from './phone.mjs';

const { values: opts } = parseArgs({
  options: {
    base: { type: 'string' },
    shots: { type: 'string', default: join('target', 'screenshots') },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
  },
});
if (!opts.base) {
  console.error('missing --base; usage: api-docs.mjs --base URL');
  process.exit(2);
}
mkdirSync(opts.shots, { recursive: true });
const origin = new URL(opts.base).origin;

const browser = await launch(opts.chromium);
const outside = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
  context.setDefaultTimeout(30_000);
  // No network but the server: anything else is recorded and refused.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin)) return route.continue();
    outside.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  await page.goto(`${opts.base}/api/docs/`);
  await page.getByText('carclub API').first().waitFor();
  const members = page.locator('.opblock-summary-path[data-path="/api/members"]').first();
  await members.waitFor();
  await members.click();
  await page.getByText('A page of members').first().waitFor();
  await page.screenshot({ path: join(opts.shots, 'api-docs.png'), fullPage: false });
  if (outside.length > 0) {
    throw new Error(`the reference asked for outside resources: ${outside.join(', ')}`);
  }
  console.log('api docs: operation /api/members found and expanded, nothing fetched from outside');
} finally {
  await browser.close();
}
