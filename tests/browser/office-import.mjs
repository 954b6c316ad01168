// Drives the back office's import screen (Vue, Element Plus) in headless Chromium, desktop size, as
// the administrator: chooses the three files of a DMS export, checks them (the dry run's counts and
// each refused row with its file, line and reason), imports them and follows the job's progress to
// its report, then opens the dashboard. Prints `REFUSED <n>` (rows the check refused) and `IMPORTED
// <customers added>`. Screenshots in zh-CN and English go to --shots as import-*.png.
//
//   node tests/browser/office-import.mjs --base URL --password PW --files docs/examples \
//        [--shots target/screenshots]
//
// Exits non-zero on the first failed step. Uses the system's Chromium; never downloads a browser.

import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { desktop, freshShots, launch, noErrors, officeSignIn, shotBoth, stepper, watch } from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    base: { type: 'string' },
    user: { type: 'string', default: 'admin' },
    password: { type: 'string' },
    files: { type: 'string' },
    shots: { type: 'string', default: join('target', 'screenshots') },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    headed: { type: 'boolean', default: false },
  },
});
for (const need of ['base', 'password', 'files']) {
  if (!opts[need]) {
    console.error(`missing --${need}; see the head of office-import.mjs for the usage`);
    process.exit(2);
  }
}
const TIMEOUT = 30_000;
const SHOTS = opts.shots;
freshShots(SHOTS, 'import');

const browser = await launch(opts.chromium, opts.headed);
const context = await desktop(browser, TIMEOUT);
const page = await context.newPage();
const errors = watch(page);
const step = stepper({ shots: SHOTS, prefix: 'import', page: () => page, browser });

/** Waits for the answer to a `method` request whose URL ends with `part`; fails unless `status`. */
async function answered(part, method, status, action) {
  const waiting = page.waitForResponse((r) => r.url().endsWith(part) && r.request().method() === method);
  await action();
  const res = await waiting;
  const body = await res.text();
  if (res.status() !== status) throw new Error(`${method} ${part} answered ${res.status()}: ${body}`);
  return JSON.parse(body);
}

/** The numbers in the counts table, by file row: [added, updated, unchanged, refused]. */
async function counts() {
  const rows = page.locator('[data-test=counts] .el-table__body tr');
  const out = [];
  for (let i = 0; i < (await rows.count()); i += 1) {
    const cells = await rows.nth(i).locator('td').allInnerTexts();
    out.push(cells.slice(1).map((c) => Number(c.trim())));
  }
  return out;
}

await step('signs in to the back office as the administrator', async () => {
  await officeSignIn(page, opts.base, opts.user, opts.password);
  noErrors(errors);
});

let refused = 0;
await step('chooses the three files and checks them: every bad row with its line', async () => {
  await page.locator('[data-test=nav-import]').click();
  for (const kind of ['customers', 'vehicles', 'visits']) {
    // The button in the page's language opens the (hidden) file input; the chosen file's name shows.
    await page.locator(`[data-test=choose-${kind}]`, { hasText: '选择文件' }).waitFor();
    const choosing = page.waitForEvent('filechooser');
    await page.locator(`[data-test=choose-${kind}]`).click();
    await (await choosing).setFiles(join(opts.files, `${kind}.csv`));
    await page.locator(`[data-test=file-name-${kind}]`, { hasText: `${kind}.csv` }).waitFor();
  }
  if ((await page.locator('[data-test=choose-customers]').innerText()).trim() !== '重新选择') {
    throw new Error('the button does not offer to choose another file');
  }
  const report = await answered('/api/imports/check', 'POST', 200, () =>
    page.locator('[data-test=check]').click(),
  );
  if (!report.dry_run) throw new Error('the check is a dry run');
  await page.locator('[data-test=refusals]').waitFor();
  const lines = await page.locator('[data-test=refusals] .el-table__body tr').count();
  refused = report.refused.length;
  if (lines !== refused || refused === 0) throw new Error(`${lines} refused rows shown of ${refused}`);
  const shown = await page.locator('[data-test=refusals]').innerText();
  if (!shown.includes('customers.csv') || !shown.includes('手机')) throw new Error(`refusals: ${shown}`);
  const table = await counts();
  if (table[0][0] !== report.customers.added) throw new Error(`counts shown ${JSON.stringify(table)}`);
  await shotBoth(page, SHOTS, 'import-check');
  noErrors(errors);
});

let added = 0;
await step('imports them and follows the job to its report', async () => {
  const job = await answered('/api/imports', 'POST', 202, () => page.locator('[data-test=start]').click());
  if (!job.id) throw new Error('a job');
  await page.locator('.el-progress.is-success').waitFor({ timeout: 120_000 });
  await page.waitForFunction(() => {
    const title = document.querySelector('[data-test=report-title]');
    return title && !/检查|Check/.test(title.textContent ?? '');
  });
  const table = await counts();
  added = table[0][0];
  if (added === 0) throw new Error(`nothing imported: ${JSON.stringify(table)}`);
  await shotBoth(page, SHOTS, 'import-done');
  noErrors(errors);
});

await step('opens the dashboard', async () => {
  const nav = page.locator('[data-test=nav-dashboard]');
  if ((await nav.count()) === 0) throw new Error('no dashboard in the navigation');
  await nav.click();
  await page.locator('[data-test=dashboard-page]').waitFor();
  await page.locator('[data-test=kpi-trend-chart][data-drawn=yes]').waitFor();
  await shotBoth(page, SHOTS, 'import-dashboard');
});

console.log(`REFUSED ${refused}`);
console.log(`IMPORTED ${added}`);
await browser.close();
