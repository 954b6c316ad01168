// Drives the carclub web app in headless Chromium through an offline on-site enrollment:
// register the device, go offline, start a visit, enroll a member (after a validation error), reload
// the page with no network (the service worker serves the shell, IndexedDB keeps the records), end
// the visit, go back online and wait until the member is synced. A second device meanwhile enrolls
// the same vehicle offline; once both upload, both show the conflict. Then the back office finds the
// member, lists the conflict and resolves it, and the devices see it cleared. Screenshots of every screen go to --shots (default target/screenshots).
//
//   node tests/browser/offline-enroll.mjs --base http://127.0.0.1:PORT --user admin --password SECRET \
//        [--name 会员姓名] [--shots target/screenshots] [--chromium /usr/bin/chromium]
//
// Exits non-zero on the first failed step. Uses the system's Chromium; never downloads a browser.

import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { launch, phone } from './phone.mjs';

const { values: opts } = parseArgs({
  options: {
    base: { type: 'string' },
    user: { type: 'string', default: 'admin' },
    password: { type: 'string' },
    name: { type: 'string' },
    // A field staff account and a company under agreement: the back office assigns one to the other.
    'field-staff': { type: 'string' },
    company: { type: 'string' },
    shots: { type: 'string', default: join('target', 'screenshots') },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    headed: { type: 'boolean', default: false },
  },
});
if (!opts.base || !opts.password) {
  console.error('usage: offline-enroll.mjs --base URL --user NAME --password SECRET [--name MEMBER]');
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

mkdirSync(opts.shots, { recursive: true });
// Screenshots of an earlier run would pass for this one's.
for (const file of readdirSync(opts.shots)) {
  if (/^(\d\d-.*|failed-\d+)\.png$/.test(file)) rmSync(join(opts.shots, file));
}

const browser = await launch(opts.chromium, opts.headed);
const context = await phone(browser, TIMEOUT, { serviceWorkers: 'allow' });
const page = await context.newPage();

const pageErrors = [];
page.on('pageerror', (err) => pageErrors.push(err.message));
page.on('console', (msg) => {
  if (msg.type() === 'error' || msg.type() === 'warning') console.log(`  [console.${msg.type()}] ${msg.text()}`);
});

let stepNo = 0;
async function step(title, body) {
  stepNo += 1;
  const started = Date.now();
  try {
    await body();
    console.log(`ok ${stepNo} - ${title} (${Date.now() - started} ms)`);
  } catch (err) {
    console.log(`not ok ${stepNo} - ${title}`);
    console.log(`  ${String(err?.stack ?? err).split('\n').join('\n  ')}`);
    const shot = join(opts.shots, `failed-${String(stepNo).padStart(2, '0')}.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.log(`  screenshot: ${shot}`);
    const sync = await page.locator('#syncbar').innerText().catch(() => '?');
    console.log(`  sync indicator: ${sync.replace(/\s+/g, ' ')}`);
    await browser.close();
    process.exit(1);
  }
}

/** A full-page screenshot of `p`, without the transient toast that would cover part of it. */
async function shot(name, p = page) {
  await p.evaluate(() => {
    const toast = document.getElementById('flash');
    if (toast) toast.hidden = true;
    window.scrollTo(0, 0);
  });
  await p.screenshot({ path: join(opts.shots, `${name}.png`), fullPage: true });
}

async function expectText(selector, text) {
  await page.locator(selector).filter({ hasText: text }).first().waitFor({ state: 'visible' });
}

const exactly = (text) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
/** The member list entry of the person called `name` (optionally in a sync state) on page `p`. */
const listed = (p, name, sync) =>
  p
    .locator(sync ? `#members li.member[data-sync="${sync}"]` : '#members li.member')
    .filter({ has: p.locator('.member-name', { hasText: exactly(name) }) });
const memberItem = () => listed(page, member.name);
/** The back office table row of the person called `name`. */
const officeRow = (name) =>
  page.locator('#office-members tr').filter({ has: page.locator('td strong', { hasText: exactly(name) }) });

await step('the app opens and its service worker takes control', async () => {
  await page.goto(`${opts.base}/`);
  await page.locator('body[data-ready="true"]').waitFor({ state: 'attached' });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: TIMEOUT });
  await page.locator('#screen-register').waitFor({ state: 'visible' });
  await shot('01-register');
});

await step('a wrong password is refused with a message', async () => {
  await page.fill('#register-form [name=username]', opts.user);
  await page.fill('#register-form [name=password]', `${opts.password}-wrong`);
  await page.click('#register-form button[type=submit]');
  await page.locator('#register-error').waitFor({ state: 'visible' });
});

await step('the device registers with the staff account', async () => {
  await page.fill('#register-form [name=password]', opts.password);
  await page.click('#register-form button[type=submit]');
  await page.locator('#screen-field').waitFor({ state: 'visible' });
  await page.locator('#syncbar[data-state="synced"]').waitFor({ state: 'attached' });
  const tiers = await page.locator('#enroll-tier option').count();
  if (tiers === 0) throw new Error('the device offers no purchasable tier');
  await shot('02-field');
});

await step('going offline shows on the indicator', async () => {
  await context.setOffline(true);
  await page.locator('#syncbar[data-state="offline"]').waitFor({ state: 'attached' });
});

await step('a visit starts offline', async () => {
  await page.fill('#visit-form [name=site]', '华能大厦 员工停车场');
  await page.click('#visit-form button[type=submit]');
  await page.locator('#visit-banner').waitFor({ state: 'visible' });
  await expectText('#visit-site', '华能大厦');
});

await step('an invalid phone number is refused inline by the device', async () => {
  const form = '#enroll-form';
  await page.fill(`${form} [name=name]`, member.name);
  await page.fill(`${form} [name=phone]`, '12345');
  await page.fill(`${form} [name=vin]`, member.vin);
  await page.fill(`${form} [name=plate]`, member.plate);
  await page.fill(`${form} [name=receipt]`, member.receipt);
  const card = await page.inputValue(`${form} [name=card]`);
  if (!card) throw new Error('the card number is not pre-filled from the device card block');
  const fee = await page.inputValue(`${form} [name=fee]`);
  if (!fee) throw new Error('the fee is not pre-filled from the tier');
  await page.click(`${form} button[type=submit]`);
  await page.locator('#enroll-error').waitFor({ state: 'visible' });
  const message = await page.locator('#enroll-error').innerText();
  if (!/手机号/.test(message)) throw new Error(`the error does not name the phone: ${message}`);
  const invalid = await page.getAttribute(`${form} [name=phone]`, 'aria-invalid');
  if (invalid !== 'true') throw new Error('the phone input is not marked invalid');
  if ((await memberItem().count()) !== 0) throw new Error('an invalid enrollment was recorded');
  await shot('03-enroll-error');
});

await step('the member is enrolled offline and listed as pending sync', async () => {
  await page.fill('#enroll-form [name=phone]', member.phone);
  await page.click('#enroll-form button[type=submit]');
  await memberItem().waitFor({ state: 'visible' });
  await page.locator('#enroll-error').waitFor({ state: 'hidden' });
  const sync = await memberItem().getAttribute('data-sync');
  if (sync !== 'pending') throw new Error(`expected the member pending sync, found ${sync}`);
  await expectText('#sync-pending', /\d/);
  await shot('04-enrolled-offline');
});

await step('after a reload with no network the member is still there, pending', async () => {
  // Empty the HTTP cache so that only the service worker's own cache can bring the app back.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.clearBrowserCache');
  await cdp.detach();
  const shell = new Map();
  const onResponse = (res) => shell.set(new URL(res.url()).pathname, res.fromServiceWorker());
  page.on('response', onResponse);
  await page.reload();
  await page.locator('body[data-ready="true"]').waitFor({ state: 'attached' });
  page.off('response', onResponse);
  for (const path of ['/', '/app.js', '/pkg/carclub_web.js', '/pkg/carclub_web_bg.wasm']) {
    if (!shell.has(path)) throw new Error(`${path} was not loaded on the offline reload`);
    if (!shell.get(path)) throw new Error(`${path} was not served by the service worker offline`);
  }
  await memberItem().waitFor({ state: 'visible' });
  const sync = await memberItem().getAttribute('data-sync');
  if (sync !== 'pending') throw new Error(`expected the member pending sync, found ${sync}`);
  await page.locator('#visit-banner').waitFor({ state: 'visible' });
  await page.locator('#syncbar[data-state="offline"]').waitFor({ state: 'attached' });
  await shot('05-reloaded-offline');
});

await step('the visit ends offline with notes', async () => {
  await page.fill('#visit-end-form [name=notes]', '为 12 位车主做了免费检查，客户希望增加周末保养时段');
  await page.click('#visit-end-form button[type=submit]');
  await page.locator('#visit-start-card').waitFor({ state: 'visible' });
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
pageB.on('pageerror', (err) => pageErrors.push(`second device: ${err.message}`));
const otherItem = () => listed(pageB, other.name);

await step('a second device enrolls the same vehicle offline, before the first one uploads', async () => {
  await pageB.goto(`${opts.base}/`);
  await pageB.locator('body[data-ready="true"]').waitFor({ state: 'attached' });
  await pageB.fill('#register-form [name=username]', opts.user);
  await pageB.fill('#register-form [name=password]', opts.password);
  await pageB.fill('#register-form [name=device]', '浏览器 乙');
  await pageB.click('#register-form button[type=submit]');
  await pageB.locator('#syncbar[data-state="synced"]').waitFor({ state: 'attached' });
  if ((await listed(pageB, member.name).count()) !== 0) {
    throw new Error('the second device knows the first member before the first device uploaded it');
  }
  await contextB.setOffline(true);
  await pageB.locator('#syncbar[data-state="offline"]').waitFor({ state: 'attached' });
  await pageB.fill('#visit-form [name=site]', '华能大厦 员工停车场');
  await pageB.click('#visit-form button[type=submit]');
  for (const field of ['phone', 'vin', 'plate', 'receipt']) {
    await pageB.fill(`#enroll-form [name=${field}]`, other[field]);
  }
  await pageB.fill('#enroll-form [name=name]', other.name);
  await pageB.click('#enroll-form button[type=submit]');
  await otherItem().waitFor({ state: 'visible' });
  const sync = await otherItem().getAttribute('data-sync');
  if (sync !== 'pending') throw new Error(`expected the second member pending sync, found ${sync}`);
});

await step('back online, everything uploads and the member shows synced', async () => {
  await context.setOffline(false);
  await page.locator('#syncbar[data-state="synced"]').waitFor({ state: 'attached' });
  await listed(page, member.name, 'synced').waitFor();
  await shot('06-synced');
});

await step('both devices upload; each shows the enrollment in conflict', async () => {
  await contextB.setOffline(false);
  await pageB.locator('#syncbar[data-state="synced"]').waitFor({ state: 'attached' });
  await listed(pageB, other.name, 'conflict').waitFor();
  await shot('07-conflict-second-device', pageB);
  await page.click('#sync-now');
  await listed(page, member.name, 'conflict').waitFor();
  // The conflict reads in Chinese on the device.
  await listed(page, member.name, 'conflict').locator('.member-conflicts li', { hasText: '被登记入会 2 次' }).waitFor();
  await shot('08-conflict-first-device');
  await contextB.close();
});

await step('the back office finds the member on the server', async () => {
  await page.click('.tab[data-screen="office"]');
  await page.locator('#office-login-card').waitFor({ state: 'visible' });
  await shot('09-office-login');
  await page.fill('#office-login-form [name=username]', opts.user);
  await page.fill('#office-login-form [name=password]', opts.password);
  await page.click('#office-login-form button[type=submit]');
  await page.locator('#office-main').waitFor({ state: 'visible' });
  await page.fill('#office-search-form [name=q]', member.name);
  await page.click('#office-search-form button[type=submit]');
  await officeRow(member.name).waitFor();
  await page
    .locator('#office-conflicts li.conflict')
    .filter({ hasText: '一车多卡' })
    .filter({ hasText: other.name })
    .filter({ hasText: '被登记入会 2 次' })
    .filter({ hasText: '一车一卡：保留一份入会' })
    .waitFor();
  await shot('10-office-phone');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.fill('#office-search-form [name=q]', '');
  await page.click('#office-search-form button[type=submit]');
  await officeRow(other.name).waitFor();
  await shot('11-office-desktop');
});

await step('the back office resolves the conflict and the devices see it cleared', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  const conflict = page.locator('#office-conflicts li.conflict').filter({ hasText: other.name });
  await conflict.locator('button[type=submit]').click();
  await conflict.locator('.error').waitFor({ state: 'visible' }); // a decision needs a note
  const keep = await conflict
    .locator('select[name=keep] option', { hasText: `保留 ${member.name}（` })
    .getAttribute('value');
  await conflict.locator('select[name=keep]').selectOption(keep);
  await conflict.locator('input[name=note]').fill('已与两位车主联系：车辆归甲，乙退还会费');
  await conflict.locator('button[type=submit]').click();
  await expectText('#office-conflicts li.empty', '没有待处理的冲突');
  await page.click('.tab[data-screen="field"]');
  await page.click('#sync-now');
  await listed(page, member.name, 'synced').waitFor();
  await listed(page, other.name, 'synced').waitFor();
});

if (opts['field-staff'] && opts.company) {
  await step('the back office assigns a field staff member to a company', async () => {
    await page.click('.tab[data-screen="office"]');
    const staff = page.locator('#office-staff li').filter({ hasText: opts['field-staff'] });
    await staff.waitFor();
    await staff.locator('label', { hasText: opts.company }).locator('input[type=checkbox]').check();
    await staff.locator('button[type=submit]').click();
    await expectText('#flash', `已更新 ${opts['field-staff']} 的负责范围`);
    await page.locator('#office-staff li').filter({ hasText: opts['field-staff'] })
      .locator('input[value=companies]:checked').waitFor({ state: 'attached' });
    await shot('12-office-staff');
    await page.click('.tab[data-screen="field"]');
  });
}

await step('English is available', async () => {
  await page.click('#lang-switch');
  await expectText('.tab[data-screen="office"]', 'Office');
  await expectText('#sync-pending', 'Synced');
  await expectText('#members li.member .badge', 'Synced');
  await shot('13-field-english');
  await page.click('#lang-switch');
  await expectText('.tab[data-screen="field"]', '现场');
});

await step('no uncaught error in the page', async () => {
  if (pageErrors.length) throw new Error(pageErrors.join('\n'));
});

await browser.close();
console.log(`member: ${member.name}`);
console.log(`same vehicle, second device: ${other.name}`);
console.log(`${stepNo} passed, 0 failed`);
