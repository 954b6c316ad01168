// Drives the member screen (我的会员卡) of the carclub web app in headless Chromium: a member
// activates their login with the invitation code the store handed over, sees their card (card
// number, tier, points, benefits), answers yes to a club event, files a complaint about themselves,
// signs out and back in with the username and password they chose, and the page keeps them signed
// in across a reload. Screenshots go to --shots as member-*.png.
//
//   node tests/browser/member-app.mjs --base http://127.0.0.1:PORT --code CODE --card CARD \
//        --tier 一般卡 --points 95 --event EVENT_ID [--shots target/screenshots]
//
// Exits non-zero on the first failed step. Uses the system's Chromium; never downloads a browser.

import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { launch, phone } from './phone.mjs';

const { values: opts } = parseArgs({
  options: {
    base: { type: 'string' },
    code: { type: 'string' },
    card: { type: 'string' },
    tier: { type: 'string' },
    points: { type: 'string' },
    event: { type: 'string' },
    username: { type: 'string', default: `owner${Math.floor(Math.random() * 1e6)}` },
    password: { type: 'string', default: 'member-pw-2026' },
    shots: { type: 'string', default: join('target', 'screenshots') },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    headed: { type: 'boolean', default: false },
  },
});
for (const need of ['base', 'code', 'card', 'tier', 'points', 'event']) {
  if (!opts[need]) {
    console.error(`missing --${need}; usage: member-app.mjs --base URL --code CODE --card CARD --tier NAME --points N --event ID`);
    process.exit(2);
  }
}
const TIMEOUT = 30_000;

mkdirSync(opts.shots, { recursive: true });
for (const file of readdirSync(opts.shots)) {
  if (/^member-.*\.png$/.test(file)) rmSync(join(opts.shots, file));
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
    if (pageErrors.length) throw new Error(`page errors: ${pageErrors.join('; ')}`);
    console.log(`ok ${stepNo} - ${title} (${Date.now() - started} ms)`);
  } catch (err) {
    console.log(`not ok ${stepNo} - ${title}`);
    console.log(`  ${String(err?.stack ?? err).split('\n').join('\n  ')}`);
    const shotPath = join(opts.shots, `member-failed-${String(stepNo).padStart(2, '0')}.png`);
    await page.screenshot({ path: shotPath, fullPage: true }).catch(() => {});
    console.log(`  screenshot: ${shotPath}`);
    await browser.close();
    process.exit(1);
  }
}

async function shot(name, { full = true, keepToast = false } = {}) {
  await page.evaluate((keep) => {
    const toast = document.getElementById('flash');
    if (toast && !keep) toast.hidden = true;
    window.scrollTo(0, 0);
  }, keepToast);
  await page.screenshot({ path: join(opts.shots, `member-${name}.png`), fullPage: full });
}

function expectEqual(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

const cardLoaded = () => page.waitForSelector('body[data-member="ready"]');

await step('the register page links to the member sign-in', async () => {
  await page.goto(`${opts.base}/`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.click('#to-member');
  await page.waitForSelector('#member-auth:not([hidden]) #member-login-form:not([hidden])');
  expectEqual(await page.locator('#syncbar').isHidden(), true, 'the staff sync bar is hidden for members');
  await shot('01-signin');
});

await step('a wrong invitation code is refused with a message', async () => {
  await page.click('#member-auth-signup');
  const form = page.locator('#member-signup-form');
  await form.locator('[name=code]').fill('NOT-A-CODE');
  await form.locator('[name=username]').fill(opts.username);
  await form.locator('[name=password]').fill(opts.password);
  await form.locator('button[type=submit]').click();
  await page.waitForSelector('#member-signup-error:not([hidden])');
  const said = await page.locator('#member-signup-error').innerText();
  if (!said.includes('邀请码无效')) throw new Error(`the refusal is not explained in Chinese: ${said}`);
  await shot('02-signup-error');
});

await step('the member activates their login with the code', async () => {
  const form = page.locator('#member-signup-form');
  await form.locator('[name=code]').fill(opts.code);
  await form.locator('button[type=submit]').click();
  await cardLoaded();
  await page.waitForSelector('#member-main:not([hidden])');
  const stored = await page.evaluate(() => localStorage.getItem('carclub.member.token'));
  if (!stored) throw new Error('the member token is not kept in localStorage');
});

await step('the card shows the card number, tier, status and points', async () => {
  expectEqual(await page.locator('#member-card-number').getAttribute('data-card'), opts.card, 'card number');
  expectEqual((await page.locator('#member-card-number').innerText()).replace(/\s/g, ''), opts.card, 'card number shown');
  expectEqual((await page.locator('#member-tier').innerText()).trim(), opts.tier, 'tier');
  expectEqual((await page.locator('#member-status').innerText()).trim(), '有效', 'status');
  expectEqual((await page.locator('#member-points').innerText()).replace(/[,\s]/g, ''), opts.points, 'points');
  const benefits = await page.locator('#member-benefits .benefit').count();
  if (benefits < 1) throw new Error('no benefits listed');
  const valid = (await page.locator('#member-valid').innerText()).trim();
  if (!/\d{4}年/.test(valid)) throw new Error(`valid until is not a date: ${valid}`);
  await shot('03-card', { full: false });
});

await step('the member answers yes to the club event', async () => {
  const item = page.locator(`#member-events li[data-event-id="${opts.event}"]`);
  await item.waitFor();
  expectEqual(await item.getAttribute('data-rsvp'), 'open', 'before answering');
  await item.locator('button[data-rsvp="yes"]').click();
  await page.waitForSelector(`#member-events li[data-event-id="${opts.event}"][data-rsvp="yes"]`);
});

await step('the member files a complaint and sees it in their list', async () => {
  const form = page.locator('#complaint-form');
  await form.locator('[name=channel]').selectOption('phone');
  await form.locator('[name=text]').fill('上次保养后空调异响，希望尽快复查');
  await form.locator('button[type=submit]').click();
  await page.waitForSelector('#member-complaints li.complaint[data-state="open"]');
  await shot('04-full');
});

await step('the sign-in is kept across a reload', async () => {
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  await cardLoaded();
  expectEqual(await page.locator('#member-card-number').getAttribute('data-card'), opts.card, 'card number after reload');
  expectEqual(
    await page.locator(`#member-events li[data-event-id="${opts.event}"]`).getAttribute('data-rsvp'),
    'yes',
    'the answer after reload',
  );
});

await step('the screen reads in English', async () => {
  await page.click('#lang-switch');
  await page.waitForFunction(() => document.getElementById('member-status').textContent.trim() === 'Active');
  await cardLoaded();
  await shot('05-english');
  await page.click('#lang-switch');
  await page.waitForFunction(() => document.getElementById('member-status').textContent.trim() === '有效');
});

await step('the member signs out and back in with their username and password', async () => {
  await page.click('#member-logout');
  await page.waitForSelector('#member-auth:not([hidden])');
  const stored = await page.evaluate(() => localStorage.getItem('carclub.member.token'));
  if (stored) throw new Error('the token is still stored after signing out');
  await page.click('#member-auth-login');
  const form = page.locator('#member-login-form');
  await form.locator('[name=username]').fill(opts.username);
  await form.locator('[name=password]').fill(opts.password);
  await form.locator('button[type=submit]').click();
  await cardLoaded();
  expectEqual(await page.locator('#member-card-number').getAttribute('data-card'), opts.card, 'card after sign-in');
});

await browser.close();
console.log(JSON.stringify({ username: opts.username, card: opts.card }));
