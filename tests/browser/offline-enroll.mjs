// Drives the field app (/field/, 现场) in headless Chromium through an offline on-site enrollment:
// register the device (after a wrong password), go offline, start a visit (at the company the
// field staff account is assigned to, when given), enroll a member (after the device refused a bad
// phone number at its field), reload the page with no network (the service worker serves the app
// and the wasm, IndexedDB keeps the records), end the visit with notes, go back online and wait
// until the member is synced. A second device meanwhile enrolls the same vehicle offline; once both
// upload, both show the enrollment in conflict. Screenshots of every field screen, phone size, in
// Chinese and English: <shots>/field-*.{zh-CN,en}.png.
//
//   node tests/browser/offline-enroll.mjs --base http://127.0.0.1:PORT --user field1 --password SECRET \
//        [--company 公司名] [--second-user admin --second-password SECRET] [--name 会员姓名]
//        [--shots target/screenshots] [--chromium /usr/bin/chromium]
//
// Exits non-zero on the first failed step. Uses the system's Chromium; never downloads a browser.

import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { freshShots, launch, phone, shotBoth, stepper, watch } from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    base: { type: 'string' },
    user: { type: 'string', default: 'admin' },
    password: { type: 'string' },
    // The company (corporate agreement) the field staff account is assigned to: the visit is there.
    company: { type: 'string' },
    // Who registers the second device (default: the same account).
    'second-user': { type: 'string' },
    'second-password': { type: 'string' },
    name: { type: 'string' },
    shots: { type: 'string', default: join('target', 'screenshots') },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    headed: { type: 'boolean', default: false },
  },
});
if (!opts.base || !opts.password) {
  console.error('usage: offline-enroll.mjs --base URL --user NAME --password SECRET [--company NAME] [--name MEMBER]');
  process.exit(2);
}

const rand = (digits) => String(Math.floor(Math.random() * 10 ** digits)).padStart(digits, '0');
const member = {
  name: opts.name ?? `王测试${rand(4)}`,
  phone: `139${rand(8)}`,
  vin: `LFV2A21K${rand(9)}`,
  plate: `京A${rand(5)}`,
  receipt: `SJ-${rand(6)}`,
};
const TIMEOUT = 30_000;
const FIELD = `${opts.base}/field/`;
const shots = opts.shots;
freshShots(shots, 'field');

const browser = await launch(opts.chromium, opts.headed);
const context = await phone(browser, TIMEOUT, { serviceWorkers: 'allow' });
const page = await context.newPage();
const pageErrors = watch(page);
let current = page;
const step = stepper({ shots, prefix: 'field', page: () => current, browser });

const $ = (p, test) => p.locator(`[data-test="${test}"]`);
const exactly = (text) => new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
/** The member list entry of the person called `name` (optionally in a sync state) on page `p`. */
const listed = (p, name, sync) =>
  p.locator(sync ? `[data-test=member][data-sync="${sync}"]` : '[data-test=member]').filter({
    has: p.locator('.member-name', { hasText: exactly(name) }),
  });
const syncState = (p, state) => p.locator(`[data-test=syncbar][data-state="${state}"]`).waitFor({ state: 'attached' });
const ready = (p) => p.locator('[data-test=app][data-ready=ready]').waitFor({ state: 'attached' });
/** Fills a Vant field (`[data-test=name] input|textarea`). */
const fill = (p, test, value) => $(p, test).locator('input, textarea').first().fill(value);
const value = (p, test) => $(p, test).locator('input').first().inputValue();
/** Goes to a tab of the field app. */
const tab = async (p, name) => {
  await $(p, `tab-${name}`).click();
  await p.waitForFunction((n) => location.hash === `#/${n}`, name);
};
/** Waits until the toasts are gone, so that screenshots show the screen. */
const calm = (p) => p.locator('.van-toast').first().waitFor({ state: 'hidden' }).catch(() => {});

/** Registers the device of page `p`; waits for its first sync. */
async function register(p, user, password, deviceName) {
  await fill(p, 'username', user);
  await fill(p, 'password', password);
  await fill(p, 'device-name', deviceName);
  await $(p, 'register-submit').click();
  await $(p, 'tabs').waitFor();
  await syncState(p, 'synced');
  await calm(p);
}

/** Fills the enrollment form of page `p` with `who` (the card and fee are left as prefilled). */
async function fillEnrollment(p, who) {
  for (const field of ['name', 'phone', 'vin', 'plate', 'receipt']) await fill(p, `enroll-${field}`, who[field]);
}

await step('the field app opens and its service worker takes control', async () => {
  await page.goto(FIELD);
  await ready(page);
  // The service worker waits for the next page load to take control (it never claims a page
  // under way): once it is active, reload.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await page.reload();
  await ready(page);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: TIMEOUT });
  await $(page, 'register').waitFor();
  await syncState(page, 'pending');
  await shotBoth(page, shots, 'field-register');
});

await step('a wrong password is refused with a message', async () => {
  await fill(page, 'username', opts.user);
  await fill(page, 'password', `${opts.password}-wrong`);
  await $(page, 'register-submit').click();
  await $(page, 'register-error').waitFor();
  const text = await $(page, 'register-error').innerText();
  if (!/注册失败/.test(text)) throw new Error(`the refusal is not in Chinese: ${text}`);
  await shotBoth(page, shots, 'field-register-error');
});

await step('an empty form is refused at its fields before anything is sent', async () => {
  await fill(page, 'username', '');
  await $(page, 'register-submit').click();
  await $(page, 'username').locator('.van-field__error-message', { hasText: '请填写用户名' }).waitFor();
});

await step('the device registers with the field staff account', async () => {
  await register(page, opts.user, opts.password, '外勤手机 甲');
  await $(page, 'visit-form').waitFor();
  if (opts.company) {
    await page.locator(`[data-test^="company-"][data-name="${opts.company}"]`).waitFor();
  }
  await shotBoth(page, shots, 'field-visit-start');
});

await step('the sync screen shows who uses the device and its card block', async () => {
  await tab(page, 'sync');
  await $(page, 'whoami').filter({ hasText: opts.user }).waitFor();
  await shotBoth(page, shots, 'field-sync');
  await tab(page, 'members');
  await $(page, 'members-empty').waitFor();
  await shotBoth(page, shots, 'field-members-empty');
  await tab(page, 'visit');
});

await step('going offline shows on the indicator', async () => {
  await context.setOffline(true);
  await syncState(page, 'offline');
});

const site = opts.company ?? '华能大厦 员工停车场';
await step(opts.company ? 'a visit starts offline at the assigned company' : 'a visit starts offline', async () => {
  await $(page, 'visit-start').click();
  await $(page, 'visit-site').locator('.van-field__error-message').waitFor(); // a site is needed
  if (opts.company) {
    await page.locator(`[data-test^="company-"][data-name="${opts.company}"]`).click();
    const typed = await value(page, 'visit-site');
    if (typed !== opts.company) throw new Error(`choosing the company did not fill in the site: ${typed}`);
  } else {
    await fill(page, 'visit-site', site);
  }
  await $(page, 'visit-start').click();
  await $(page, 'visit-banner').waitFor();
  await $(page, 'visit-site-name').filter({ hasText: site }).waitFor();
  await calm(page);
});

await step('an invalid phone number is refused at its field by the device', async () => {
  await fillEnrollment(page, { ...member, phone: '12345' });
  const card = await value(page, 'enroll-card');
  if (!card) throw new Error('the card number is not pre-filled from the device card block');
  const fee = await value(page, 'enroll-fee');
  if (!fee) throw new Error('the fee is not pre-filled from the tier');
  const tiers = await page.locator('[data-test^="tier-"]').count();
  if (tiers === 0) throw new Error('the device offers no purchasable tier');
  await $(page, 'enroll-submit').click();
  const error = $(page, 'enroll-phone').locator('.van-field__error-message');
  await error.waitFor();
  const message = await error.innerText();
  if (!/手机号/.test(message)) throw new Error(`the error is not the phone's, in Chinese: ${message}`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shotBoth(page, shots, 'field-enroll-error');
  const english = await error.innerText();
  if (english !== message) throw new Error(`the error did not come back in Chinese: ${english}`);
});

await step('the member is enrolled offline and listed as pending sync', async () => {
  await fill(page, 'enroll-phone', member.phone);
  await $(page, 'enroll-submit').click();
  await page.locator('.van-toast', { hasText: `已登记 ${member.name}` }).waitFor();
  await page.waitForFunction(
    () => document.querySelector('[data-test=enroll-name] input')?.value === '',
  );
  await calm(page);
  const next = await value(page, 'enroll-card');
  if (!next) throw new Error('the next card number is not pre-filled after an enrollment');
  await page.evaluate(() => window.scrollTo(0, 0));
  await shotBoth(page, shots, 'field-visit');
  await tab(page, 'members');
  await listed(page, member.name, 'pending').waitFor();
  await $(page, 'sync-pending').filter({ hasText: /\d/ }).waitFor();
  if ((await $(page, 'member').count()) !== 1) throw new Error('the refused enrollment was recorded too');
  await shotBoth(page, shots, 'field-members-offline');
});

await step('after a reload with no network the member is still there, pending', async () => {
  // Empty the HTTP cache so that only the service worker's own cache can bring the app back.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.clearBrowserCache');
  await cdp.detach();
  const served = new Map();
  const onResponse = (res) => served.set(new URL(res.url()).pathname, res.fromServiceWorker());
  page.on('response', onResponse);
  await page.reload();
  await ready(page);
  page.off('response', onResponse);
  const wasm = [...served.keys()].filter((p) => p.endsWith('.wasm'));
  if (!served.has('/field/')) throw new Error(`/field/ was not loaded on the offline reload: ${[...served.keys()]}`);
  if (wasm.length === 0) throw new Error(`the wasm was not loaded on the offline reload: ${[...served.keys()]}`);
  for (const path of ['/field/', ...wasm]) {
    if (!served.get(path)) throw new Error(`${path} was not served by the service worker offline`);
  }
  await listed(page, member.name, 'pending').waitFor();
  await syncState(page, 'offline');
  await shotBoth(page, shots, 'field-offline-reload');
  await tab(page, 'visit');
  await $(page, 'visit-banner').waitFor();
});

await step('the visit ends offline with notes', async () => {
  await fill(page, 'visit-notes', '为 12 位车主做了免费检查，客户希望增加周末保养时段');
  const dialog = page.locator('.van-dialog', { hasText: site });
  // The question in both languages (the language button is under the dialog: asked twice).
  for (const [lang, other] of [['zh-CN', 'en'], ['en', 'zh-CN']]) {
    await $(page, 'visit-end').click();
    await dialog.waitFor();
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(shots, `field-visit-end-confirm.${lang}.png`) });
    await dialog.locator('.van-dialog__cancel').click();
    await dialog.waitFor({ state: 'hidden' });
    await $(page, 'lang').click();
    await page.waitForFunction((want) => document.documentElement.lang === want, other);
  }
  await $(page, 'visit-end').click();
  await dialog.locator('.van-dialog__confirm').click();
  await $(page, 'visit-form').waitFor();
  await calm(page);
});

// A second device, registered before the first one uploads, enrolls another person with the same
// vehicle while offline: one car, one card is broken by two devices that could not know of each
// other, and the server must keep both records and raise a conflict.
const other = {
  name: `${member.name}乙`,
  phone: `137${rand(8)}`,
  vin: member.vin,
  plate: `京B${rand(5)}`,
  receipt: `SJ-${rand(6)}`,
};
const contextB = await phone(browser, TIMEOUT);
const pageB = await contextB.newPage();
const errorsB = watch(pageB, 'second device: ');

await step('a second device enrolls the same vehicle offline, before the first one uploads', async () => {
  current = pageB;
  await pageB.goto(FIELD);
  await ready(pageB);
  await register(pageB, opts['second-user'] ?? opts.user, opts['second-password'] ?? opts.password, '外勤手机 乙');
  await tab(pageB, 'members');
  if ((await listed(pageB, member.name).count()) !== 0) {
    throw new Error('the second device knows the first member before the first device uploaded it');
  }
  await tab(pageB, 'visit');
  await contextB.setOffline(true);
  await syncState(pageB, 'offline');
  await fill(pageB, 'visit-site', '华能大厦 员工停车场');
  await $(pageB, 'visit-start').click();
  await $(pageB, 'visit-banner').waitFor();
  await fillEnrollment(pageB, other);
  await $(pageB, 'enroll-submit').click();
  await pageB.waitForFunction(() => document.querySelector('[data-test=enroll-name] input')?.value === '');
  await tab(pageB, 'members');
  await listed(pageB, other.name, 'pending').waitFor();
  current = page;
});

await step('back online, everything uploads and the member shows synced', async () => {
  await context.setOffline(false);
  await syncState(page, 'synced');
  await tab(page, 'members');
  await listed(page, member.name, 'synced').waitFor();
  await shotBoth(page, shots, 'field-synced');
});

await step('both devices upload; each shows the enrollment in conflict', async () => {
  current = pageB;
  await contextB.setOffline(false);
  await syncState(pageB, 'synced');
  await listed(pageB, other.name, 'conflict').waitFor();
  await shotBoth(pageB, shots, 'field-conflict-second-device');
  current = page;
  await $(page, 'sync-now').click();
  const mine = listed(page, member.name, 'conflict');
  await mine.waitFor();
  // The conflict reads in Chinese on the device.
  await mine.locator('[data-test=member-conflict][data-kind=duplicate_vin]', { hasText: '被登记入会 2 次' }).waitFor();
  await $(page, 'tab-members').locator('.van-badge', { hasText: '1' }).waitFor();
  await shotBoth(page, shots, 'field-conflict');
  await contextB.close();
});

await step('English is available', async () => {
  await $(page, 'lang').click();
  await $(page, 'sync-pending').filter({ hasText: 'Synced' }).waitFor();
  await listed(page, member.name).locator('[data-test=member-badge]', { hasText: 'Conflict' }).waitFor();
  await $(page, 'tab-visit').filter({ hasText: 'Visit' }).waitFor();
  await $(page, 'lang').click();
  await $(page, 'tab-visit').filter({ hasText: '拜访' }).waitFor();
});

await step('no uncaught error in the pages', async () => {
  const all = [...pageErrors, ...errorsB.map((e) => `second device: ${e}`)];
  if (all.length) throw new Error(all.join('\n'));
});

await browser.close();
console.log(`member: ${member.name}`);
console.log(`same vehicle, second device: ${other.name}`);
console.log('all steps passed');
