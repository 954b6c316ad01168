// Drives the back office's admin screens (Vue, Element Plus) in headless Chromium, desktop size, as
// the administrator: card stock — checks out a further block of card numbers to a field device,
// lends a sample card to a staff member and takes it back, sees a write-off with the wrong receipt
// refused with the server's reason and writes the sold card off against its receipt; people — reads
// the store's program as a tier table, creates a staff account, revokes a device, finds a member
// and makes an invitation code, prints the slip (window.print, the print stylesheet). Prints
// `CODE <invitation code>` and `BLOCK <first serial>`. Screenshots of every screen in zh-CN and
// English go to --shots as admin-*.png.
//
//   node tests/browser/office-admin.mjs --base URL --password PW --device ID --lost-device ID \
//        --holder sales1 --sample S0000001 --sold C00000001 --receipt R-701 --wrong-receipt R-799 \
//        --member 王芳 --new-user reception2 [--shots target/screenshots]
//
// Exits non-zero on the first failed step. Uses the system's Chromium; never downloads a browser.

import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { desktop, fieldIn, freshShots, launch, noErrors, shotBoth, stepper, watch } from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    base: { type: 'string' },
    user: { type: 'string', default: 'admin' },
    password: { type: 'string' },
    device: { type: 'string' },
    'lost-device': { type: 'string' },
    holder: { type: 'string' },
    sample: { type: 'string' },
    sold: { type: 'string' },
    receipt: { type: 'string' },
    'wrong-receipt': { type: 'string' },
    member: { type: 'string' },
    'new-user': { type: 'string' },
    shots: { type: 'string', default: join('target', 'screenshots') },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    headed: { type: 'boolean', default: false },
  },
});
const NEEDED = ['base', 'password', 'device', 'lost-device', 'holder', 'sample', 'sold', 'receipt', 'wrong-receipt',
  'member', 'new-user'];
for (const need of NEEDED) {
  if (!opts[need]) {
    console.error(`missing --${need}; see the head of office-admin.mjs for the usage`);
    process.exit(2);
  }
}
const TIMEOUT = 30_000;
const SHOTS = opts.shots;
freshShots(SHOTS, 'admin');

const browser = await launch(opts.chromium, opts.headed);
const context = await desktop(browser, TIMEOUT);
const page = await context.newPage();
const errors = watch(page);
const step = stepper({ shots: SHOTS, prefix: 'admin', page: () => page, browser });

/** Fails when the page threw. */
function clean() {
  noErrors(errors);
}

/** The text field marked `name`. */
function field(name, within = page) {
  return fieldIn(within, name);
}

/** Picks the option whose text includes `text` in the select marked `name`. */
async function choose(name, text) {
  await page.locator(`[data-test=${name}]`).first().click();
  await page.locator('.el-select-dropdown:visible .el-select-dropdown__item', { hasText: text }).first().click();
}

/** Waits for the answer to a `method` request whose URL includes `part`; fails unless `status`. */
async function answered(part, method, status, action) {
  const waiting = page.waitForResponse((r) => r.url().includes(part) && r.request().method() === method);
  await action();
  const res = await waiting;
  const body = res.status() === 204 ? '' : await res.text();
  if (res.status() !== status) throw new Error(`${method} ${part} answered ${res.status()}: ${body}`);
  return body ? JSON.parse(body) : null;
}

/** Switches the app's language to `lang` with its own button. */
async function language(lang) {
  if ((await page.evaluate(() => document.documentElement.lang)) === lang) return;
  await page.locator('[data-test=lang]:visible').first().click();
  await page.waitForFunction((want) => document.documentElement.lang === want, lang);
}

/**
 * Opens a confirmation box with `open`, screenshots it in English and then Chinese (the box keeps
 * the words it opened with, so it is opened once in each), and confirms it, waiting for `part`'s
 * answer.
 */
async function confirmBox(open, part, status, shot) {
  const box = page.locator('.el-message-box');
  await language('en');
  await open();
  await box.waitFor();
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(SHOTS, `${shot}.en.png`), fullPage: true });
  await box.locator('.el-button:not(.el-button--primary)').click();
  await box.waitFor({ state: 'hidden' });
  await language('zh-CN');
  await open();
  await box.waitFor();
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(SHOTS, `${shot}.zh-CN.png`), fullPage: true });
  return answered(part, 'POST', status, () => box.locator('.el-button--primary').click());
}

/** Waits until no message toast from an earlier action is left on the screen. */
async function quiet() {
  await page.waitForFunction(() => !document.querySelector('.el-message'), null, { timeout: 10_000 });
}

async function tab(name) {
  await page.locator(`[data-test=tab-${name}]`).click();
  await page.waitForTimeout(250);
  await quiet();
}

await step('signs in to the back office as the administrator', async () => {
  await page.goto(`${opts.base}/office/#/login`);
  await field('username').fill(opts.user);
  await field('password').fill(opts.password);
  await page.locator('[data-test=sign-in]').click();
  await page.locator('[data-test=nav]').waitFor();
  clean();
});

let block = '';
await step('card stock: a further block is checked out to the device', async () => {
  await page.locator('[data-test=nav-cards]').click();
  const row = page.locator(`tr:has([data-test="device-${opts.device}"])`);
  await row.waitFor();
  if ((await row.locator('[data-test=block]').count()) !== 1) throw new Error('the device starts with one block');
  await shotBoth(page, SHOTS, 'admin-cards-blocks');
  await field(`count-${opts.device}`).fill('20');
  const done = await answered(`/api/devices/${opts.device}/card-blocks`, 'POST', 200, () =>
    row.locator(`[data-test="check-out-${opts.device}"]`).click(),
  );
  block = String(done.block.first);
  await page.locator('.el-message--success').first().waitFor();
  await row.locator('[data-test=block]').nth(1).waitFor();
  const text = await row.locator('[data-test=block]').nth(1).innerText();
  if (!text.includes('20')) throw new Error(`the new block shows its 20 cards: ${text}`);
  await shotBoth(page, SHOTS, 'admin-cards-block-added');
  console.log(`BLOCK ${block}`);
  clean();
});

await step('card stock: a sample card is lent to a staff member, overdue shown, and returned', async () => {
  await tab('loans');
  await page.locator('[data-test=lend-submit]').click();
  await page.locator('[data-test=lend-form] .el-form-item__error', { hasText: '请输入卡号' }).waitFor();
  await field('lend-card').fill(opts.sample.toLowerCase());
  await page.locator('[data-test=kind-sample]').click();
  await choose('lend-holder', opts.holder);
  const lent = await answered('/api/card-stock/loans', 'POST', 200, () => page.locator('[data-test=lend-submit]').click());
  if (lent.loan.kind !== 'sample') throw new Error(`lent as a sample: ${JSON.stringify(lent)}`);
  await page.locator(`[data-test="loan-${opts.sample}"]`).waitFor();
  await shotBoth(page, SHOTS, 'admin-cards-loans');
  // Lending it again is refused by the server: its reason shows in Chinese.
  await field('lend-card').fill(opts.sample);
  await choose('lend-holder', opts.holder);
  await answered('/api/card-stock/loans', 'POST', 409, () => page.locator('[data-test=lend-submit]').click());
  await page.locator('.el-message--error').first().waitFor();
  await shotBoth(page, SHOTS, 'admin-cards-lend-refused');
  await confirmBox(() => page.locator(`[data-test="return-${opts.sample}"]`).click(), '/return', 200,
    'admin-cards-return-confirm');
  await page.locator(`[data-test="loan-${opts.sample}"]`).waitFor({ state: 'detached' });
  await page.locator('[data-test=show-returned]').click();
  await page.locator(`[data-test="returned-${opts.sample}"]`).waitFor();
  await quiet();
  await shotBoth(page, SHOTS, 'admin-cards-returned');
  clean();
});

await step('card stock: a wrong receipt is refused with the reason; the sold card is written off', async () => {
  await tab('writeoffs');
  await page.locator(`[data-test="pending-${opts.sold}"]`).waitFor();
  await shotBoth(page, SHOTS, 'admin-cards-writeoffs');
  await field('wo-card').fill(opts.sold);
  await field('wo-receipt').fill(opts['wrong-receipt']);
  await answered('/api/card-stock/write-offs', 'POST', 409, () => page.locator('[data-test=wo-submit]').click());
  const msg = page.locator('.el-message--error').last();
  await msg.waitFor();
  const said = await msg.innerText();
  if (!/[\u4e00-\u9fff]/.test(said)) throw new Error(`the refusal is said in Chinese: ${said}`);
  await shotBoth(page, SHOTS, 'admin-cards-writeoff-refused');
  await page.locator(`[data-test="pick-${opts.sold}"]`).click();
  if ((await field('wo-receipt').inputValue()) !== opts.receipt) throw new Error('fill in takes the receipt of the sale');
  await answered('/api/card-stock/write-offs', 'POST', 200, () => page.locator('[data-test=wo-submit]').click());
  await page.locator(`[data-test="written-${opts.sold}"]`).waitFor();
  await page.locator(`[data-test="pending-${opts.sold}"]`).waitFor({ state: 'detached' });
  await shotBoth(page, SHOTS, 'admin-cards-written-off');
  clean();
});

await step('people: the stores and the program as a tier table', async () => {
  await page.locator('[data-test=nav-people]').click();
  await page.locator('[data-test=tier-table]').waitFor();
  await quiet();
  const tiers = await page.locator('[data-test=tier-table] tbody tr').count();
  if (tiers < 2) throw new Error(`the program shows its tiers: ${tiers}`);
  await shotBoth(page, SHOTS, 'admin-people-stores');
  clean();
});

await step('people: a staff account is created with its role', async () => {
  await tab('staff');
  await page.locator('[data-test=user-submit]').click();
  await page.locator('[data-test=user-form] .el-form-item__error').first().waitFor();
  await shotBoth(page, SHOTS, 'admin-people-staff-form-errors');
  await field('user-username').fill(opts['new-user']);
  await field('user-name').fill('陈静');
  await field('user-password').fill('front-desk-2026');
  await choose('user-role', '前台');
  const made = await answered('/api/users', 'POST', 201, () => page.locator('[data-test=user-submit]').click());
  if (made.role !== 'reception') throw new Error(`created as reception: ${JSON.stringify(made)}`);
  await page.locator(`[data-test="user-${opts['new-user']}"]`).waitFor();
  await shotBoth(page, SHOTS, 'admin-people-staff');
  clean();
});

await step('people: a lost device is revoked, the others keep their last sync', async () => {
  await tab('devices');
  await page.locator(`[data-test="dev-${opts['lost-device']}"]`).waitFor();
  const synced = await page.locator(`tr:has([data-test="dev-${opts.device}"]) [data-test=last-sync]`).innerText();
  if (synced.includes('从未')) throw new Error(`the synced device shows when it synced: ${synced}`);
  await shotBoth(page, SHOTS, 'admin-people-devices');
  await confirmBox(() => page.locator(`[data-test="revoke-${opts['lost-device']}"]`).click(),
    `/api/devices/${opts['lost-device']}/revoke`, 204, 'admin-people-revoke-confirm');
  await page.locator(`[data-test="state-${opts['lost-device']}"]`, { hasText: '已停用' }).waitFor();
  await quiet();
  if (await page.locator(`[data-test="revoke-${opts['lost-device']}"]`).count()) {
    throw new Error('a revoked device still offers revoking');
  }
  await shotBoth(page, SHOTS, 'admin-people-device-revoked');
  clean();
});

let code = '';
await step('people: an invitation code for a member found by search, and its slip printed', async () => {
  await tab('invite');
  await field('invite-search').fill(opts.member);
  await page.locator('[data-test=invite-search-go]').click();
  await page.locator(`[data-test="found-${opts.member}"]`).waitFor();
  const button = page.locator('[data-test=invite-results] button', { hasText: /生成邀请码|Make a code/ }).first();
  const made = await answered('/invitations', 'POST', 201, () => button.click());
  code = made.code;
  const slip = page.locator('[data-test=invite-slip]');
  await slip.waitFor();
  if ((await page.locator('[data-test=slip-code]').innerText()).trim() !== code) throw new Error('the slip shows the code');
  if (!(await slip.innerText()).includes(opts.member)) throw new Error("the slip names the member");
  await shotBoth(page, SHOTS, 'admin-people-invite');
  await page.evaluate(() => {
    window.__printed = 0;
    window.print = () => {
      window.__printed += 1;
    };
  });
  await page.locator('[data-test=print-slip]').click();
  if ((await page.evaluate(() => window.__printed)) !== 1) throw new Error('the print button prints');
  // What the printer gets: the slip alone, in each language.
  for (const lang of ['zh-CN', 'en']) {
    const now = await page.evaluate(() => document.documentElement.lang);
    if (now !== lang) {
      await page.locator('[data-test=lang]:visible').first().click();
      await page.waitForFunction((want) => document.documentElement.lang === want, lang);
    }
    await page.emulateMedia({ media: 'print' });
    await page.waitForTimeout(200);
    if (await page.locator('[data-test=nav]').isVisible()) throw new Error('the navigation is not printed');
    if (!(await slip.isVisible())) throw new Error('the slip is printed');
    await page.screenshot({ path: join(SHOTS, `admin-people-invite-print.${lang}.png`), fullPage: true });
    await page.emulateMedia({ media: 'screen' });
  }
  await page.locator('[data-test=lang]:visible').first().click();
  await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
  console.log(`CODE ${code}`);
  clean();
});

await browser.close();
console.log('office-admin: all steps passed');
