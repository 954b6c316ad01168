// Drives the member app (我的卡, /member/) as the member's own device in headless Chromium on a
// phone: the member activates their login with the store's invitation code, which registers the
// phone and syncs their card into IndexedDB; the card shows its QR code and barcode, points,
// benefits and when it last synced. The phone then goes offline and reloads: the card, QR code,
// points and benefits still show, and so do the points history, the invitation, the partner
// merchant and the points catalogue; the member answers the invitation and reports the card lost
// offline, sees both waiting, and once online sees the store accepted them. Offline too, the
// member asks to change their mobile number and call times; online it waits for the store; the
// club manager confirms it in the back office (联系方式变更, a desktop page in the same browser),
// and the phone shows it confirmed and the new number. Screenshots of every screen, in Chinese and
// English, go to --shots as member-offline-*.png.
//
//   node tests/browser/member-offline.mjs --base http://127.0.0.1:PORT --code CODE --card CARD \
//        --points 95 --event EVENT_ID --partner NAME --admin-password PW [--shots target/screenshots]
//
// Exits non-zero on the first failed step. Uses the system's Chromium; never downloads a browser.

import { parseArgs } from 'node:util';
import { join } from 'node:path';

import { desktop, freshShots, launch, noErrors, officeSignIn, phone, shotBoth, stepper, watch } from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    base: { type: 'string' },
    code: { type: 'string' },
    card: { type: 'string' },
    points: { type: 'string' },
    event: { type: 'string' },
    partner: { type: 'string' },
    'admin-password': { type: 'string' },
    'new-phone': { type: 'string', default: '13911112222' },
    username: { type: 'string', default: 'chenjing' },
    password: { type: 'string', default: 'member-pw-2026' },
    shots: { type: 'string', default: join('target', 'screenshots') },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    headed: { type: 'boolean', default: false },
  },
});
for (const need of ['base', 'code', 'card', 'points', 'event', 'partner', 'admin-password']) {
  if (!opts[need]) {
    console.error(`missing --${need}; usage: member-offline.mjs --base URL --code CODE --card CARD --points N --event ID --partner NAME`);
    process.exit(2);
  }
}
const TIMEOUT = 30_000;
const PREFIX = 'member-offline';
freshShots(opts.shots, PREFIX);

const browser = await launch(opts.chromium, opts.headed);
const context = await phone(browser, TIMEOUT, { serviceWorkers: 'allow' });
const page = await context.newPage();
const pageErrors = watch(page);
const run = stepper({ shots: opts.shots, prefix: PREFIX, page: () => page, browser });

async function step(title, body) {
  await run(title, async () => {
    await body();
    noErrors(pageErrors);
  });
}

function expectEqual(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/** The member's data shows on the screen. */
const loaded = () => page.locator('[data-test=page][data-state=ready]').waitFor();

/** Screenshots the whole screen in both languages (the phone as tall as the page). */
async function shots(name) {
  await page.waitForFunction(() =>
    [...document.querySelectorAll('.van-toast')].every((t) => getComputedStyle(t).display === 'none'),
  );
  await page.evaluate(() => window.scrollTo(0, 0));
  const viewport = page.viewportSize();
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  if (height > viewport.height) await page.setViewportSize({ width: viewport.width, height });
  await shotBoth(page, opts.shots, `${PREFIX}-${name}`);
  await page.setViewportSize(viewport);
}

async function tab(name) {
  await page.locator(`[data-test=tab-${name}]`).click();
  await page.waitForURL(new RegExp(`#/${name}$`));
  await loaded();
}

/** The card shows its number, QR code, barcode, points and benefits. */
async function cardShows() {
  await page.locator('[data-test=card-number]').waitFor();
  expectEqual(await page.locator('[data-test=card-number]').getAttribute('data-card'), opts.card, 'card number');
  expectEqual((await page.locator('[data-test=points]').innerText()).replace(/[,\s]/g, ''), opts.points, 'points');
  const qr = await page.locator('[data-test=qr] svg').count();
  expectEqual(qr, 1, 'a QR code drawn');
  const bars = await page.locator('[data-test=barcode] svg rect').count();
  if (bars < 20) throw new Error(`the barcode has ${bars} bars`);
  const benefits = await page.locator('[data-test=benefit]').count();
  if (benefits < 1) throw new Error('no benefits listed');
}

await step('the member activates their login; the phone registers and syncs their card', async () => {
  await page.goto(`${opts.base}/member/`);
  await page.locator('[data-test=tab-signup]').click();
  const form = page.locator('[data-test=signup-form]');
  await form.waitFor();
  await form.locator('[data-test=code] input').fill(opts.code);
  await form.locator('[data-test=new-username] input').fill(opts.username);
  await form.locator('[data-test=new-password] input').fill(opts.password);
  await page.locator('[data-test=sign-up]').click();
  await page.waitForURL(/#\/card$/);
  await loaded();
  await cardShows();
  await page.locator('[data-test=sync-line][data-state=synced]').waitFor();
  const last = await page.locator('[data-test=last-sync]').innerText();
  if (!last.includes('上次同步')) throw new Error(`no last sync: ${last}`);
});

await step('the service worker takes control of the member app', async () => {
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await page.reload();
  await loaded();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: TIMEOUT });
  await cardShows();
  await shots('01-card');
});

await step('offline, after a reload, the card with its QR code, points and benefits still shows', async () => {
  await context.setOffline(true);
  await page.reload();
  await loaded();
  await cardShows();
  await page.locator('[data-test=sync-line][data-state=offline]').waitFor();
  expectEqual(await page.locator('[data-test=load-error]').count(), 0, 'no load error');
  await shots('02-card-offline');
});

await step('offline, the points history lists the order that earned them', async () => {
  await page.locator('[data-test=points-link]').click();
  await page.waitForURL(/#\/history$/);
  await loaded();
  const lines = page.locator('[data-test=ledger-line]');
  await lines.first().waitFor();
  expectEqual(await page.locator('[data-test=ledger-line][data-type=order_settled]').count(), 1, 'the order');
  await shots('03-history');
});

await step('offline, the invitation, the partner merchant and the catalogue show', async () => {
  await tab('events');
  await page.locator(`[data-test=event][data-event-id="${opts.event}"]`).waitFor();
  await shots('04-events');
  await tab('club');
  const partner = page.locator('[data-test=partner]', { hasText: opts.partner });
  await partner.waitFor();
  if ((await page.locator('[data-test=catalogue-item]').count()) + (await page.locator('[data-test=catalogue-empty]').count()) < 1) {
    throw new Error('no catalogue');
  }
  await shots('05-club');
  await tab('reminders');
  await page.locator('[data-test=reminder][data-kind=insurance_expiry]').waitFor();
});

await step('offline, the member answers the invitation: the answer shows as waiting to be sent', async () => {
  await tab('events');
  const event = page.locator(`[data-test=event][data-event-id="${opts.event}"]`);
  await event.locator('[data-test=rsvp-yes]').click();
  await page.locator(`[data-test=event][data-event-id="${opts.event}"][data-pending=true][data-rsvp=yes]`).waitFor();
  await event.locator('[data-test=rsvp-pending]').waitFor();
  await shots('04b-rsvp-pending');
});

await step('offline, the member reports the card lost: it shows as waiting to be sent', async () => {
  await tab('card');
  await page.locator('[data-test=report-lost]').click();
  const dialog = page.locator('.lost-dialog');
  await dialog.waitFor();
  await dialog.locator('.van-dialog__confirm').click();
  const request = page.locator('[data-test=request][data-type=card_lost]');
  await request.waitFor();
  expectEqual(await request.getAttribute('data-state'), 'pending', 'the report waits for the network');
  expectEqual(await page.locator('[data-test=report-lost]').isDisabled(), true, 'no second report');
  // The card stops being shown as one the desk can scan.
  expectEqual(await page.locator('[data-test=card]').getAttribute('data-status'), 'active', 'the membership stands');
  expectEqual(await page.locator('[data-test=status]').getAttribute('class'), 'mcard-status mstatus-lost', 'the card face says lost');
  expectEqual(await page.locator('[data-test=qr]').count(), 0, 'no code to scan for a lost card');
  await page.locator('[data-test=scan-lost]').waitFor();
  await shots('06-lost-pending');
});

await step('offline, the member asks to change their mobile number and call times: it waits to be sent', async () => {
  const contact = page.locator('[data-test=contact]');
  const before = await contact.locator('[data-test=contact-phone]').innerText();
  await contact.locator('[data-test=contact-change]').click();
  const form = page.locator('.contact-popup');
  await form.waitFor();
  // Nothing changed: said, and nothing is recorded.
  await form.locator('[data-test=contact-submit]').click();
  await form.locator('[data-test=contact-form-error]').waitFor();
  await form.locator('[data-test=contact-new-phone] input').fill(opts['new-phone']);
  await form.locator('[data-test=slot-evening]').click();
  await shots('06b-contact-form');
  await form.locator('[data-test=contact-submit]').click();
  await form.waitFor({ state: 'hidden' });
  const request = page.locator('[data-test=request][data-type=contact_change_requested]');
  await request.waitFor();
  expectEqual(await request.getAttribute('data-state'), 'pending', 'the request waits for the network');
  expectEqual(await contact.locator('[data-test=contact-change]').isDisabled(), true, 'no second request while one waits');
  expectEqual(await contact.locator('[data-test=contact-phone]').innerText(), before, 'nothing changes before the store confirms');
  await shots('06c-contact-pending');
});

await step('back online, the phone syncs and the store has the report', async () => {
  await context.setOffline(false);
  await page.locator('[data-test=sync-now]').click();
  await page.locator('[data-test=request][data-type=card_lost][data-state=accepted]').waitFor();
  await page.locator('[data-test=request][data-type=contact_change_requested][data-state=awaiting]').waitFor();
  await page.locator('[data-test=sync-line][data-state=synced]').waitFor();
  await shots('07-lost-accepted');
});

await step('online, the invitation shows the answer the store recorded', async () => {
  await tab('events');
  await page.locator(`[data-test=event][data-event-id="${opts.event}"][data-pending=false][data-rsvp=yes]`).waitFor();
  expectEqual(await page.locator('[data-test=rsvp-refused]').count(), 0, 'no refusal');
  await shots('08-rsvp-recorded');
});

await step('the member asks to withdraw, giving the reason; the store has the request', async () => {
  await tab('card');
  await page.locator('[data-test=request-withdrawal]').click();
  const sheet = page.locator('.van-action-sheet');
  await sheet.waitFor();
  await shots('09-withdraw-reasons');
  await sheet.locator('.van-action-sheet__item').first().click();
  const dialog = page.locator('.withdraw-dialog');
  await dialog.waitFor();
  await dialog.locator('.van-dialog__confirm').click();
  await page.locator('[data-test=request][data-type=withdrawal_requested][data-state=awaiting]').waitFor();
  expectEqual(await page.locator('[data-test=request-withdrawal]').isDisabled(), true, 'no second request');
  await shots('10-withdraw-accepted');
});

await step('the club manager confirms the change in the back office; the phone shows it and the new number', async () => {
  const office = await desktop(browser, TIMEOUT);
  const desk = await office.newPage();
  const deskErrors = watch(desk, 'office');
  await officeSignIn(desk, opts.base, 'admin', opts['admin-password']);
  await desk.goto(`${opts.base}/office/#/contact-changes`);
  const table = desk.locator('[data-test=contact-changes-table]');
  await table.waitFor();
  const asked = table.locator('[data-test=contact-change-asked]', { hasText: opts['new-phone'] });
  await asked.waitFor();
  await shotBoth(desk, opts.shots, `${PREFIX}-11-office-contact-changes`);
  await table.locator('button[data-test^=confirm-]').first().click();
  const box = desk.locator('.el-message-box:visible');
  await box.waitFor();
  await box.locator('.el-button--primary').click();
  await table.locator('.el-table__empty-text').waitFor();
  noErrors(deskErrors);
  await office.close();

  await page.locator('[data-test=sync-now]').click();
  await page.locator('[data-test=request][data-type=contact_change_requested][data-state=confirmed]').waitFor();
  await page.waitForFunction(
    (want) => document.querySelector('[data-test=contact-phone]')?.textContent?.trim() === want,
    opts['new-phone'],
  );
  const slots = await page.locator('[data-test=contact-slots]').innerText();
  if (!slots.includes('17:30')) throw new Error(`the call times on the phone: ${slots}`);
  await shots('12-contact-confirmed');
});

await browser.close();
