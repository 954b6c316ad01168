// Drives the member app (我的卡, /member/) of the carclub web app in headless Chromium on a phone: a
// member activates their login with the invitation code the store handed over (after a wrong code
// is refused in Chinese), sees their card (card number, tier, status, points, benefits) and their
// car's upcoming reminders (the insurance that expires soon, on the card and in the list), answers
// yes to a club event (and sees a full one they cannot join), files a complaint about themselves,
// stays signed in across a reload, reads the app in English, signs out and back in with the
// username and password they chose. A staff account is refused. Screenshots of every screen, in
// Chinese and English, go to --shots as member-*.png.
//
//   node tests/browser/member-app.mjs --base http://127.0.0.1:PORT --code CODE --card CARD \
//        --tier 一般卡 --points 95 --event EVENT_ID [--full-event EVENT_ID] \
//        [--insurance-expiry 2026-12-30 --plate 粤A12345] \
//        [--staff-user admin --staff-password PW] [--username U] [--password P] [--shots target/screenshots]
//
// Exits non-zero on the first failed step. Uses the system's Chromium; never downloads a browser.

import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { freshShots, launch, phone, shotBoth, stepper, watch } from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    base: { type: 'string' },
    code: { type: 'string' },
    card: { type: 'string' },
    tier: { type: 'string' },
    points: { type: 'string' },
    event: { type: 'string' },
    'full-event': { type: 'string' },
    'insurance-expiry': { type: 'string' },
    plate: { type: 'string' },
    'staff-user': { type: 'string' },
    'staff-password': { type: 'string' },
    username: { type: 'string', default: `owner${Math.floor(Math.random() * 1e6)}` },
    password: { type: 'string', default: 'member-pw-2026' },
    shots: { type: 'string', default: join('target', 'screenshots') },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    headed: { type: 'boolean', default: false },
  },
});
for (const need of ['base', 'code', 'card', 'tier', 'points', 'event']) {
  if (!opts[need]) {
    console.error(
      `missing --${need}; usage: member-app.mjs --base URL --code CODE --card CARD --tier NAME --points N --event ID`,
    );
    process.exit(2);
  }
}
const TIMEOUT = 30_000;
const PREFIX = 'memberapp';
freshShots(opts.shots, PREFIX);

const browser = await launch(opts.chromium, opts.headed);
const context = await phone(browser, TIMEOUT, { serviceWorkers: 'allow' });
const page = await context.newPage();
const pageErrors = watch(page);
const run = stepper({ shots: opts.shots, prefix: PREFIX, page: () => page, browser });

/** A step that also fails on any uncaught error of the page. */
async function step(title, body) {
  await run(title, async () => {
    await body();
    if (pageErrors.length) throw new Error(`page errors: ${pageErrors.join('; ')}`);
  });
}

function expectEqual(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/** Waits until no Vant toast is showing (so it does not cover a screenshot). */
async function noToast() {
  await page.waitForFunction(() =>
    [...document.querySelectorAll('.van-toast')].every((t) => getComputedStyle(t).display === 'none'),
  );
}

/**
 * Screenshots the screen as it is in both languages, whole: the phone is made as tall as the page
 * for it, so the fixed tab bar sits below the content instead of over it.
 */
async function shots(name) {
  await noToast();
  const viewport = await tallPhone();
  await shotBoth(page, opts.shots, `${PREFIX}-${name}`);
  await page.setViewportSize(viewport);
}

/**
 * Makes the phone as tall as the page, scrolled to the top, for a screenshot of the whole screen
 * with the fixed bars where they belong; returns the size to go back to.
 */
async function tallPhone() {
  await page.evaluate(() => window.scrollTo(0, 0));
  const viewport = page.viewportSize();
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  if (height > viewport.height) await page.setViewportSize({ width: viewport.width, height });
  return viewport;
}

/** Switches the app to `lang` with its own button. */
async function language(lang) {
  if ((await page.evaluate(() => document.documentElement.lang)) === lang) return;
  await page.locator('[data-test=lang]').click();
  await page.waitForFunction((want) => document.documentElement.lang === want, lang);
}

/**
 * Screenshots a dialog in both languages (it covers the language button, so each is opened in its
 * language): `open()` shows it, then its cancel button puts it away.
 */
async function dialogShots(name, selector, open) {
  const viewport = await tallPhone();
  for (const lang of ['zh-CN', 'en']) {
    await language(lang);
    await open();
    await page.locator(selector).waitFor();
    await page.waitForTimeout(400);
    await page.screenshot({ path: join(opts.shots, `${PREFIX}-${name}.${lang}.png`), fullPage: true });
    await page.locator(`${selector} .van-dialog__cancel`).click();
    await page.locator(selector).waitFor({ state: 'hidden' });
  }
  await page.setViewportSize(viewport);
  await language('zh-CN');
}

/** The member's data has loaded on the screen shown. */
const loaded = () => page.locator('[data-test=page][data-state=ready]').waitFor();
const cardNumber = () => page.locator('[data-test=card-number]').getAttribute('data-card');
const event = (id) => page.locator(`[data-test=event][data-event-id="${id}"]`);

async function tab(name) {
  await page.locator(`[data-test=tab-${name}]`).click();
  await page.waitForURL(new RegExp(`#/${name}$`));
  await loaded();
}

await step('the start page leads to the member sign-in', async () => {
  await page.goto(`${opts.base}/`);
  await page.locator('#go-member').click();
  await page.waitForURL(/\/member\/#\/login$/);
  await page.locator('[data-test=login-form]').waitFor();
  expectEqual(await page.locator('[data-test=tabbar]').count(), 0, 'no tab bar before signing in');
  await shots('01-signin');
});

if (opts['staff-user'] && opts['staff-password']) {
  await step('a staff account is refused with a message pointing to their apps', async () => {
    await page.locator('[data-test=username] input').fill(opts['staff-user']);
    await page.locator('[data-test=password] input').fill(opts['staff-password']);
    await page.locator('[data-test=sign-in]').click();
    const error = page.locator('[data-test=login-error]');
    await error.waitFor();
    const said = await error.innerText();
    if (!said.includes('员工账号')) throw new Error(`the refusal does not say it is a staff account: ${said}`);
    const stored = await page.evaluate(() => localStorage.getItem('carclub.member.token'));
    if (stored) throw new Error('a staff token is kept');
    await shots('02-staff-refused');
    await page.locator('[data-test=username] input').fill('');
    await page.locator('[data-test=password] input').fill('');
  });
}

await step('the activation form checks its fields before sending', async () => {
  await page.locator('[data-test=tab-signup]').click();
  const form = page.locator('[data-test=signup-form]');
  await form.waitFor();
  await form.locator('[data-test=new-password] input').fill('short');
  await page.locator('[data-test=sign-up]').click();
  await form.locator('[data-test=code] .van-field__error-message').waitFor();
  const said = await form.locator('.van-field__error-message').allInnerTexts();
  if (!said.some((s) => s.includes('邀请码'))) throw new Error(`no message for the missing code: ${said}`);
  if (!said.some((s) => s.includes('至少 8 位'))) throw new Error(`no message for the short password: ${said}`);
  await shots('03-signup-check');
});

await step('a wrong invitation code is refused with a message', async () => {
  const form = page.locator('[data-test=signup-form]');
  await form.locator('[data-test=code] input').fill('NOT-A-CODE');
  await form.locator('[data-test=new-username] input').fill(opts.username);
  await form.locator('[data-test=new-password] input').fill(opts.password);
  await page.locator('[data-test=sign-up]').click();
  const error = page.locator('[data-test=signup-error]');
  await error.waitFor();
  const said = await error.innerText();
  if (!said.includes('邀请码无效')) throw new Error(`the refusal is not explained in Chinese: ${said}`);
  await shots('04-signup-error');
});

await step('the member activates their login with the code', async () => {
  const form = page.locator('[data-test=signup-form]');
  await form.locator('[data-test=code] input').fill(opts.code);
  // A double tap sends one activation: the code works once, and a second send would be refused.
  await page.locator('[data-test=sign-up]').dblclick();
  await page.waitForURL(/#\/card$/);
  await loaded();
  const stored = await page.evaluate(() => localStorage.getItem('carclub.member.token'));
  if (!stored) throw new Error('the member token is not kept in localStorage');
  expectEqual(await page.locator('[data-test=signup-error]').count(), 0, 'no activation error');
});

await step('the card shows the card number, holder, tier, status, validity, points and benefits', async () => {
  expectEqual(await cardNumber(), opts.card, 'card number');
  expectEqual((await page.locator('[data-test=card-number]').innerText()).replace(/\s/g, ''), opts.card, 'card number shown');
  expectEqual((await page.locator('[data-test=tier]').innerText()).trim(), opts.tier, 'tier');
  expectEqual((await page.locator('[data-test=status]').innerText()).trim(), '有效', 'status');
  expectEqual((await page.locator('[data-test=points]').innerText()).replace(/[,\s]/g, ''), opts.points, 'points');
  const holder = (await page.locator('[data-test=holder]').innerText()).trim();
  if (!holder) throw new Error('no card holder');
  const plate = (await page.locator('[data-test=plate]').innerText()).trim();
  if (!/^[\u4e00-\u9fa5][A-Z]/.test(plate)) throw new Error(`the plate is not shown: ${plate}`);
  const valid = (await page.locator('[data-test=valid]').innerText()).trim();
  if (!/\d{4}年\d{1,2}月\d{1,2}日/.test(valid)) throw new Error(`valid until is not a date: ${valid}`);
  const benefits = await page.locator('[data-test=benefit]').count();
  if (benefits < 1) throw new Error('no benefits listed');
  const period = (await page.locator('[data-test=benefits-period]').innerText()).trim();
  if (!period.includes('至')) throw new Error(`no benefit year: ${period}`);
  await shots('05-card');
});

if (opts['insurance-expiry']) {
  await step("the card tells what is next for the car, and the reminders list the insurance expiry", async () => {
    const next = page.locator('[data-test=next-reminder]');
    await next.waitFor();
    const said = await next.innerText();
    if (!said.includes('下一项')) throw new Error(`the card does not say what is next: ${said}`);
    await next.click();
    await page.waitForURL(/#\/reminders$/);
    await loaded();
    const item = page.locator(`[data-test=reminder][data-kind=insurance_expiry][data-until="${opts['insurance-expiry']}"]`);
    await item.waitFor();
    const text = await item.innerText();
    if (!text.includes('车险到期')) throw new Error(`the reminder is not named: ${text}`);
    if (!/\d{4}年\d{1,2}月\d{1,2}日/.test(text)) throw new Error(`the reminder has no date: ${text}`);
    if (!/还有 \d+ 天|明天|就是今天/.test(text)) throw new Error(`the reminder does not say how far off it is: ${text}`);
    if (opts.plate && !text.includes(opts.plate)) throw new Error(`the reminder does not name the car ${opts.plate}: ${text}`);
    // Nothing the store keeps to itself (follow-up calls, lost customers) is shown to the member.
    const kinds = await page.locator('[data-test=reminder]').evaluateAll((els) => els.map((e) => e.dataset.kind));
    console.log(`  reminders shown: ${kinds.join(', ')}`);
    const internal = kinds.filter((k) => /follow_up|lost|birthday/.test(k));
    if (internal.length) throw new Error(`the member sees the store's own tasks: ${internal}`);
    await shots('05b-reminders');
    await language('en');
    const english = await item.innerText();
    if (!english.includes('Car insurance expires')) throw new Error(`the reminder is not in English: ${english}`);
    if (!/In \d+ days|Tomorrow|Today/.test(english)) throw new Error(`no English distance: ${english}`);
    await language('zh-CN');
    await tab('card');
  });
}

await step('the member answers yes to the club event', async () => {
  await tab('events');
  const item = event(opts.event);
  await item.waitFor();
  expectEqual(await item.getAttribute('data-rsvp'), 'open', 'before answering');
  await item.locator('[data-test=rsvp-yes]').click();
  await page.locator(`[data-test=event][data-event-id="${opts.event}"][data-rsvp=yes]`).waitFor();
  expectEqual((await item.locator('[data-test=rsvp-state]').innerText()).trim(), '已报名', 'the answer shown');
  if (opts['full-event']) {
    const full = event(opts['full-event']);
    expectEqual(await full.getAttribute('data-full'), 'true', 'the full event is shown full');
    expectEqual(await full.locator('[data-test=rsvp-yes]').isDisabled(), true, 'no yes to a full event');
    await full.locator('[data-test=full]').waitFor();
  }
  await shots('06-events');
});

await step('the member files a complaint and sees it in their list', async () => {
  await tab('feedback');
  expectEqual(await page.locator('[data-test=complaint]').count(), 0, 'no complaints before');
  // An empty complaint is not sent.
  await page.locator('[data-test=complaint-submit]').click();
  await page.locator('[data-test=complaint-form] .van-field__error-message').waitFor();
  await page.locator('[data-test=channel-phone]').click();
  await page.locator('[data-test=complaint-text] textarea').fill('上次保养后空调异响，希望尽快复查');
  // A double tap files one complaint (the server is checked afterwards).
  await page.locator('[data-test=complaint-submit]').dblclick();
  await page.locator('[data-test=complaint][data-state=open]').waitFor();
  await page.waitForTimeout(500);
  expectEqual(await page.locator('[data-test=complaint]').count(), 1, 'one complaint filed');
  expectEqual(await page.locator('[data-test=complaint-text] textarea').inputValue(), '', 'the form is cleared');
  await shots('07-feedback');
});

await step('the sign-in is kept across a reload', async () => {
  await page.reload();
  await loaded();
  await tab('card');
  expectEqual(await cardNumber(), opts.card, 'card number after reload');
  await tab('events');
  expectEqual(await event(opts.event).getAttribute('data-rsvp'), 'yes', 'the answer after reload');
});

await step('the screens read in English', async () => {
  await tab('card');
  await page.locator('[data-test=lang]').click();
  await page.waitForFunction(() => document.querySelector('[data-test=status]')?.textContent.trim() === 'Active');
  const valid = (await page.locator('[data-test=valid]').innerText()).trim();
  if (!/[A-Z][a-z]+ \d{4}/.test(valid)) throw new Error(`valid until is not an English date: ${valid}`);
  await page.reload();
  await loaded();
  expectEqual(await page.evaluate(() => document.documentElement.lang), 'en', 'the language is kept across a reload');
  await page.locator('[data-test=lang]').click();
  await page.waitForFunction(() => document.querySelector('[data-test=status]')?.textContent.trim() === '有效');
});

await step('the member signs out and back in with their username and password', async () => {
  await dialogShots('08-signout', '.signout-dialog', () => page.locator('[data-test=sign-out]').click());
  await page.locator('[data-test=sign-out]').click();
  await page.locator('.signout-dialog .van-dialog__confirm').click();
  await page.waitForURL(/#\/login$/);
  await page.locator('[data-test=login-form]').waitFor();
  const stored = await page.evaluate(() => localStorage.getItem('carclub.member.token'));
  if (stored) throw new Error('the token is still stored after signing out');
  await page.locator('[data-test=tab-login]').click();
  await page.locator('[data-test=username] input').fill(opts.username);
  await page.locator('[data-test=password] input').fill('not-my-password');
  await page.locator('[data-test=sign-in]').click();
  const error = page.locator('[data-test=login-error]');
  await error.waitFor();
  if (!(await error.innerText()).includes('用户名或密码不正确')) throw new Error(`wrong password: ${await error.innerText()}`);
  await shots('09-signin-wrong');
  await page.locator('[data-test=password] input').fill(opts.password);
  await page.locator('[data-test=sign-in]').click();
  await page.waitForURL(/#\/card$/);
  await loaded();
  expectEqual(await cardNumber(), opts.card, 'card after sign-in');
});

await step('a session the server ended leads back to sign-in, saying so', async () => {
  await page.evaluate(() => localStorage.setItem('carclub.member.token', 'ended-session'));
  await page.reload();
  await page.waitForURL(/#\/login$/);
  await page.locator('[data-test=expired]').waitFor();
  const stored = await page.evaluate(() => localStorage.getItem('carclub.member.token'));
  if (stored) throw new Error('the ended token is still stored');
  await shots('10-session-ended');
});

await browser.close();
console.log(JSON.stringify({ username: opts.username, card: opts.card }));
