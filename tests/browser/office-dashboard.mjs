// Drives the back office's dashboard (数据看板) in headless Chromium, desktop size, as a group role:
// opens it from the navigation, reads the month's figures with the month before beside them, the
// chosen figure's twelve-month trend and the stores side by side (ECharts canvases), opens the
// members behind the inactive ratio — those counted, then those not — and a member's file from
// there, exports the CSV (prints `CSV bom=yes|no crlf=yes|no <first lines>`), computes the month
// again and looks at one store. Screenshots in zh-CN and English go to --shots as dashboard-*.png.
//
//   node tests/browser/office-dashboard.mjs --base URL --password PW --month 2026-11 \
//        --inactive 刘洋 --active 陈静 [--user admin] [--shots target/screenshots]
//
// Exits non-zero on the first failed step. Uses the system's Chromium; never downloads a browser.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { desktop, freshShots, launch, noErrors, officeSignIn, shotBoth, stepper, watch } from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    base: { type: 'string' },
    user: { type: 'string', default: 'admin' },
    password: { type: 'string' },
    month: { type: 'string' },
    inactive: { type: 'string' },
    active: { type: 'string' },
    shots: { type: 'string', default: join('target', 'screenshots') },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    headed: { type: 'boolean', default: false },
  },
});
for (const need of ['base', 'password', 'month', 'inactive', 'active']) {
  if (!opts[need]) {
    console.error(`missing --${need}; see the head of office-dashboard.mjs for the usage`);
    process.exit(2);
  }
}
const TIMEOUT = 30_000;
const SHOTS = opts.shots;
freshShots(SHOTS, 'dashboard');

const browser = await launch(opts.chromium, opts.headed);
const context = await desktop(browser, TIMEOUT, { acceptDownloads: true });
const page = await context.newPage();
const errors = watch(page);
const step = stepper({ shots: SHOTS, prefix: 'dashboard', page: () => page, browser });

/** The text of the figure `kpi`'s number. */
async function value(kpi) {
  return (await page.locator(`[data-test=kpi-value-${kpi}]`).innerText()).trim();
}

/**
 * Waits until the ECharts chart marked `name` has finished drawing (its animation over: the page
 * sets data-drawn="yes" on ECharts' `finished` event) on a canvas of a readable size.
 */
async function chart(name) {
  await page.locator(`[data-test=${name}][data-drawn=yes]`).waitFor();
  const canvas = page.locator(`[data-test=${name}] canvas`).first();
  const box = await canvas.boundingBox();
  if (!box || box.width < 200 || box.height < 150) throw new Error(`${name} is not drawn: ${JSON.stringify(box)}`);
}

/** Waits until no message (the toasts of an export or a recompute) covers the page's head. */
async function noToasts() {
  await page.locator('.el-message').first().waitFor({ state: 'detached', timeout: 10_000 });
}

await step('signs in to the back office', async () => {
  await officeSignIn(page, opts.base, opts.user, opts.password);
});

await step('the dashboard opens from the navigation with the month computed', async () => {
  await page.locator('[data-test=nav-dashboard]').click();
  await page.locator('[data-test=dashboard-page]').waitFor();
  await page.locator('[data-test=kpi-computed-at]').waitFor();
  const month = await page.locator('input[data-test=kpi-month], [data-test=kpi-month] input').first().inputValue();
  if (month !== opts.month) throw new Error(`the dashboard shows ${month}, not ${opts.month}`);
  noErrors(errors);
});

await step('the group’s figures: two joined, growth 100 %, three of four inactive', async () => {
  await page.locator('[data-test=kpi-value-members_joined]', { hasText: '2' }).waitFor();
  const growth = await value('member_growth');
  if (growth !== '100.0%') throw new Error(`growth shows ${growth}`);
  const inactive = await value('inactive_ratio');
  if (inactive !== '75.0%') throw new Error(`the inactive ratio shows ${inactive}`);
  const card = page.locator('[data-test=kpi-card-inactive_ratio]');
  await card.locator('text=3 / 4').waitFor();
  // The month before: two members, both inactive then (joined, nothing done yet).
  await card.locator('text=上月 100.0%').waitFor();
});

await step('the chosen figure’s trend and the stores side by side are drawn', async () => {
  await page.locator('[data-test=kpi-card-inactive_ratio]').click();
  await page.locator('.el-card__header', { hasText: '不活跃会员比例：近 12 个月走势' }).waitFor();
  await chart('kpi-trend-chart');
  await chart('kpi-store-chart');
  await page.locator('[data-test=kpi-scope]').waitFor();
  await shotBoth(page, SHOTS, 'dashboard-group');
  noErrors(errors);
});

await step('the members behind the inactive ratio: those counted, then those not', async () => {
  await page.locator('[data-test=kpi-value-inactive_ratio]').click();
  const drawer = page.locator('.el-drawer:visible');
  await drawer.locator('[data-test=kpi-drill-total]', { hasText: '共 3 人' }).waitFor();
  await drawer.locator('[data-test=kpi-drill-table]', { hasText: opts.inactive }).waitFor();
  await shotBoth(page, SHOTS, 'dashboard-members');
  await drawer.locator('[data-test=kpi-drill-part] label', { hasText: '未计入的会员' }).click();
  await drawer.locator('[data-test=kpi-drill-total]', { hasText: '共 1 人' }).waitFor();
  await drawer.locator('[data-test=kpi-drill-table]', { hasText: opts.active }).waitFor();
  noErrors(errors);
});

await step('a member behind a figure opens their file', async () => {
  const drawer = page.locator('.el-drawer:visible');
  await drawer.locator('[data-test=kpi-drill-table] button', { hasText: opts.active }).click();
  await page.waitForURL(/#\/members\/[0-9a-f-]+$/);
  await page.locator('text=' + opts.active).first().waitFor();
  await page.goBack();
  await page.locator('[data-test=dashboard-page]').waitFor();
  await page.locator('[data-test=kpi-computed-at]').waitFor();
});

await step('the CSV downloads with a byte-order mark and CRLF line ends', async () => {
  const waiting = page.waitForEvent('download');
  await page.locator('[data-test=kpi-export]').click();
  const download = await waiting;
  const bytes = readFileSync(await download.path());
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const text = bytes.toString('utf8').replace(/^\ufeff/, '');
  const crlf = text.includes('\r\n') && !text.replace(/\r\n/g, '').includes('\n');
  const lines = text.split('\r\n').filter((l) => l.includes('members_joined')).join(' | ');
  console.log(`CSV bom=${bom ? 'yes' : 'no'} crlf=${crlf ? 'yes' : 'no'} ${lines}`);
  await page.locator('.el-message--success').first().waitFor();
});

await step('the month is computed again on request', async () => {
  const waiting = page.waitForResponse((r) => r.url().includes('/api/kpis/compute') && r.request().method() === 'POST');
  await page.locator('[data-test=kpi-recompute]').click();
  const res = await waiting;
  if (res.status() !== 200) throw new Error(`compute answered ${res.status()}: ${await res.text()}`);
  await page.locator('.el-message--success', { hasText: `${opts.month} 已重新计算` }).waitFor();
  const inactive = await value('inactive_ratio');
  if (inactive !== '75.0%') throw new Error(`after the recompute the inactive ratio shows ${inactive}`);
});

await step('one store only: its own figures, no store chart', async () => {
  await page.locator('[data-test=kpi-scope] label', { hasText: '当前门店' }).click();
  await page.locator('[data-test=kpi-value-members_joined]', { hasText: '1' }).waitFor();
  await page.locator('[data-test=kpi-store-chart]').waitFor({ state: 'detached' });
  await chart('kpi-trend-chart');
  await page.locator('[data-test=kpi-card-reminder_completion]').click();
  // No reminder was due in the store's months: the trend says so instead of an empty frame.
  await page.locator('[data-test=kpi-trend-empty]', { hasText: '近 12 个月没有可计算的数值' }).waitFor();
  await chart('kpi-trend-chart');
  await noToasts();
  await shotBoth(page, SHOTS, 'dashboard-store');
  noErrors(errors);
});

await browser.close();
console.log('ok — the dashboard');
