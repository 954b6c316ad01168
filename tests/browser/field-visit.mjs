// Drives a pre-inspection day in headless Chromium: the field app (/field/, 现场) registers the
// device and syncs the members of a company under agreement, goes offline, starts a visit at the
// company, pre-inspects two vehicles — all ok on the first, the tires at fault with a note and a
// recommended service on the second —, ends the visit, comes back online and syncs. Then the back
// office (/office/) opens the second member's file: the inspection with its fault is in the service
// file. Screenshots at phone size (field) and desktop (member file), in Chinese and English:
// <shots>/fieldvisit-*.{zh-CN,en}.png.
//
//   node tests/browser/field-visit.mjs --base http://127.0.0.1:PORT --user field1 --password SECRET \
//        --company 公司名 --fine 车主甲 --worn 车主乙 --worn-id MEMBER_ID \
//        --admin admin --admin-password SECRET [--shots target/screenshots]
//
// Exits non-zero on the first failed step. Uses the system's Chromium; never downloads a browser.

import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { desktop, freshShots, launch, noErrors, officeSignIn, phone, shotBoth, stepper, watch } from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    base: { type: 'string' },
    user: { type: 'string' },
    password: { type: 'string' },
    company: { type: 'string' },
    fine: { type: 'string' },
    worn: { type: 'string' },
    'worn-id': { type: 'string' },
    admin: { type: 'string', default: 'admin' },
    'admin-password': { type: 'string' },
    shots: { type: 'string', default: join('target', 'screenshots') },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    headed: { type: 'boolean', default: false },
  },
});
for (const need of ['base', 'user', 'password', 'company', 'fine', 'worn', 'worn-id', 'admin-password']) {
  if (!opts[need]) {
    console.error(`usage: field-visit.mjs: --${need} is missing`);
    process.exit(2);
  }
}

const TIMEOUT = 30_000;
const shots = opts.shots;
freshShots(shots, 'fieldvisit');

const browser = await launch(opts.chromium, opts.headed);
const context = await phone(browser, TIMEOUT, { serviceWorkers: 'allow' });
const page = await context.newPage();
const errors = watch(page, 'field ');
let current = page;
const step = stepper({ shots, prefix: 'fieldvisit', page: () => current, browser });

const $ = (p, test) => p.locator(`[data-test="${test}"]`);
const fill = (p, test, value) => $(p, test).locator('input, textarea').first().fill(value);
const syncState = (p, state) => p.locator(`[data-test=syncbar][data-state="${state}"]`).waitFor({ state: 'attached' });
const calm = (p) => p.locator('.van-toast').first().waitFor({ state: 'hidden' }).catch(() => {});

/** Finds `name` in the on-site search and opens them. */
async function openMember(name) {
  if (await $(page, 'onsite-close').isVisible()) await $(page, 'onsite-close').click();
  await fill(page, 'onsite-search', name);
  await page.locator('[data-test^="onsite-found-"]', { hasText: name }).first().click();
  await $(page, 'onsite-member').filter({ hasText: name }).waitFor();
}

await step('the field app registers the device and syncs the company’s members', async () => {
  await page.goto(`${opts.base}/field/`);
  await page.locator('[data-test=app][data-ready=ready]').waitFor({ state: 'attached' });
  await fill(page, 'username', opts.user);
  await fill(page, 'password', opts.password);
  await fill(page, 'device-name', '外勤手机 预检');
  await $(page, 'register-submit').click();
  await $(page, 'tabs').waitFor();
  await syncState(page, 'synced');
  await calm(page);
});

await step('offline, a visit starts at the company', async () => {
  await context.setOffline(true);
  await syncState(page, 'offline');
  await page.locator(`[data-test^="company-"][data-name="${opts.company}"]`).click();
  await $(page, 'visit-start').click();
  await $(page, 'visit-banner').waitFor();
  await calm(page);
});

await step('the first vehicle is pre-inspected: everything in order', async () => {
  await openMember(opts.fine);
  await $(page, 'inspect-submit').click();
  await $(page, 'inspect-count').waitFor();
  await calm(page);
});

await step('the second vehicle: the tires at fault, a service recommended', async () => {
  await openMember(opts.worn);
  await $(page, 'check-tires-fault').click();
  await fill(page, 'check-tires-note', '前轮胎纹磨平');
  await $(page, 'check-engine_belt-attention').click();
  await fill(page, 'check-engine_belt-note', '皮带轻微裂纹');
  await fill(page, 'inspect-recommended', '更换前轮轮胎');
  await $(page, 'onsite').scrollIntoViewIfNeeded();
  await shotBoth(page, shots, 'fieldvisit-inspection');
  await $(page, 'inspect-submit').click();
  await $(page, 'inspect-count').waitFor();
  await calm(page);
  const pending = await $(page, 'syncbar').innerText();
  if (!/待上传|pending/i.test(pending)) throw new Error(`the inspections wait for the network: ${pending}`);
});

await step('the visit ends; back online, everything syncs', async () => {
  await fill(page, 'visit-notes', '冬季上门检查两辆车，一辆轮胎故障');
  await $(page, 'visit-end').click();
  await page.locator('.van-dialog__confirm').click();
  await $(page, 'visit-form').waitFor();
  await context.setOffline(false);
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await syncState(page, 'synced');
  await calm(page);
  noErrors(errors);
});

const office = await desktop(browser, TIMEOUT);
const desk = await office.newPage();
const deskErrors = watch(desk, 'office ');
current = desk;

await step('the back office shows the fault in the member’s service file', async () => {
  await officeSignIn(desk, opts.base, opts.admin, opts['admin-password']);
  await desk.goto(`${opts.base}/office/#/members/${opts['worn-id']}`);
  const inspection = desk.locator('[data-test=sf-inspection]:visible').first();
  await inspection.waitFor();
  await desk.locator('[data-test=sf-check-tires][data-state=fault]:visible').first().waitFor();
  await desk.locator('[data-test=sf-recommended]:visible', { hasText: '更换前轮轮胎' }).first().waitFor();
  await inspection.scrollIntoViewIfNeeded();
  await shotBoth(desk, shots, 'fieldvisit-member-file');
  noErrors(deskErrors);
});

await step('the store’s care list holds the follow-up', async () => {
  await desk.goto(`${opts.base}/office/#/care-today`);
  await desk.getByText(opts.worn).first().waitFor();
  await shotBoth(desk, shots, 'fieldvisit-care');
});

await browser.close();
