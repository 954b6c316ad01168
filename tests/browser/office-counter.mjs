// Drives the counter's screens of the back office (/office/) in headless Chromium at desktop size:
// the administrator switches to the store and approves one pending enrollment and rejects another
// with a reason (the reason is required); a service advisor finds a member by plate at the till,
// quotes an order (no discount under a promotion, then the card discount and the points), settles
// it with a receipt number and sees the receipt panel, and registers a benefit used with its value;
// finance redeems points (refused on screen when the balance is short); the club manager, on member
// files, is refused a renewal outside the window (the engine's reason shown), takes a withdrawal
// from request to the refund and the decision, renews inside the window, reports a card lost,
// hands over a temporary card and reissues the card, approves the upgrade to Silver the renewing
// member qualifies for by points, and grants points by hand to another member (refused without a
// reason, done with one). Screenshots of every screen and dialog, in Chinese and English, go to
// --shots as counter-*.png.
//
//   node tests/browser/office-counter.mjs --base URL --store ID --approve ID --reject ID --waiting ID \
//        --young ID --young-card CARD --plate 粤B12345 --earns N --discount FEN --points-before N \
//        --renewing ID --renewing-card CARD --temp-card CARD --new-card CARD --grant POINTS --password PW \
//        [--admin-password PW] [--shots target/screenshots]
//
// Exits non-zero on the first failed step. Uses the system's Chromium; never downloads a browser.

import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { desktop, freshShots, launch, stepper, watch } from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    base: { type: 'string' },
    store: { type: 'string' },
    approve: { type: 'string' },
    reject: { type: 'string' },
    waiting: { type: 'string' },
    young: { type: 'string' },
    'young-card': { type: 'string' },
    plate: { type: 'string' },
    earns: { type: 'string' },
    discount: { type: 'string' },
    'points-before': { type: 'string' },
    renewing: { type: 'string' },
    'renewing-card': { type: 'string' },
    'temp-card': { type: 'string' },
    'new-card': { type: 'string' },
    grant: { type: 'string' },
    password: { type: 'string' },
    // `desk`: approvals and the till; `files`: member files; both by default (each part in its own
    // run keeps a run short on a busy machine).
    part: { type: 'string', default: 'all' },
    'admin-password': { type: 'string', default: 'test-admin-pw' },
    shots: { type: 'string', default: join('target', 'screenshots') },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    headed: { type: 'boolean', default: false },
  },
});
const NEEDED = ['base', 'store', 'approve', 'reject', 'waiting', 'young', 'young-card', 'plate', 'earns', 'discount',
  'points-before', 'renewing', 'renewing-card', 'temp-card', 'new-card', 'grant', 'password'];
for (const need of NEEDED) {
  if (!opts[need]) {
    console.error(`missing --${need}; see the usage at the top of office-counter.mjs`);
    process.exit(2);
  }
}
const TIMEOUT = 30_000;
const PREFIX = 'counter';
const DESK = opts.part !== 'files';
const FILES = opts.part !== 'desk';
if (DESK) freshShots(opts.shots, PREFIX);

const browser = await launch(opts.chromium, opts.headed);
const context = await desktop(browser, TIMEOUT);
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

function yuan(fen) {
  const abs = Math.abs(fen);
  return `${fen < 0 ? '-' : ''}¥${Math.floor(abs / 100).toLocaleString('en-US')}.${String(abs % 100).padStart(2, '0')}`;
}

/** Takes away the Element Plus messages showing (so they do not cover a screenshot). */
async function noMessages() {
  await page.evaluate(() => document.querySelectorAll('.el-message').forEach((m) => m.remove()));
}

/** Makes the window as tall as the page's content (the layout scrolls inside its main area). */
async function fit() {
  const tall = await page.evaluate(() => {
    const main = document.querySelector('.el-main');
    return main ? main.getBoundingClientRect().top + main.scrollHeight : document.body.scrollHeight;
  });
  await page.setViewportSize({ width: 1366, height: Math.max(900, Math.ceil(tall) + 8) });
}

/** Screenshots the screen as it is in both languages, the window as tall as the page's content. */
async function shots(name, { quiet = true } = {}) {
  if (quiet) await noMessages();
  await fit();
  await shotBoth(page, opts.shots, `${PREFIX}-${name}`);
  await page.setViewportSize({ width: 1366, height: 900 });
}

/**
 * Like lib.mjs's `shotBoth`, but switching the language with a click event sent to the app's
 * button itself: a dialog or confirmation box covers the page (and the button) with its overlay.
 */
async function shotBoth(page, dir, name) {
  const lang = page.locator('[data-test=lang]').first();
  const current = await page.evaluate(() => document.documentElement.lang);
  const first = current === 'en' ? 'en' : 'zh-CN';
  const second = first === 'en' ? 'zh-CN' : 'en';
  await page.mouse.move(1, 1);
  await page.waitForTimeout(200);
  await page.screenshot({ path: join(dir, `${name}.${first}.png`) });
  await lang.dispatchEvent('click');
  await page.waitForFunction((want) => document.documentElement.lang === want, second);
  await page.waitForTimeout(200);
  await page.screenshot({ path: join(dir, `${name}.${second}.png`) });
  await lang.dispatchEvent('click');
  await page.waitForFunction((want) => document.documentElement.lang === want, first);
}

const tid = (name) => page.locator(`[data-test="${name}"]`);
/** An Element Plus input or textarea (the component hands `data-test` to the field itself). */
const field = (name) => page.locator(`input[data-test="${name}"], textarea[data-test="${name}"]`);
const text = async (name) => (await tid(name).innerText()).trim();

/** The confirmation box now open: its OK button. */
async function confirmBox() {
  const box = page.locator('.el-message-box:visible');
  await box.waitFor();
  return box;
}
/** Sets the app's language with its own button (a click event, past any overlay). */
async function setLanguage(want) {
  if ((await page.evaluate(() => document.documentElement.lang)) === want) return;
  await page.locator('[data-test=lang]').first().dispatchEvent('click');
  await page.waitForFunction((w) => document.documentElement.lang === w, want);
}

/**
 * A step confirmed in a message box (whose words are fixed when it opens): `open()` shows the box
 * in Chinese and in English for the screenshots `<name>.<lang>.png`, cancelling each time, then
 * once more in Chinese to confirm.
 */
async function confirmed(name, open) {
  for (const lang of ['zh-CN', 'en']) {
    await setLanguage(lang);
    await open();
    const box = await confirmBox();
    await fit();
    await page.mouse.move(1, 1);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(opts.shots, `${PREFIX}-${name}.${lang}.png`) });
    await box.locator('.el-message-box__btns .el-button:not(.el-button--primary)').click();
    await box.waitFor({ state: 'hidden' });
    await page.setViewportSize({ width: 1366, height: 900 });
  }
  await setLanguage('zh-CN');
  await open();
  await acceptBox();
}

async function acceptBox() {
  const box = await confirmBox();
  await box.locator('.el-message-box__btns .el-button--primary').click();
  await box.waitFor({ state: 'hidden' });
}

/** Signs in to the back office as `username`; resolves on the first page after it. */
async function signIn(username, password) {
  await page.goto(`${opts.base}/office/#/login`);
  await field('username').fill(username);
  await field('password').fill(password);
  await tid('sign-in').click();
  await tid('nav').waitFor();
}

async function signOut() {
  await tid('sign-out').click();
  await page.waitForURL(/#\/login/);
}

/** Chooses `label` in the Element Plus select `name`. */
async function choose(name, label) {
  await tid(name).click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: label }).first().click();
}

if (DESK) {
// ─── Approvals ────────────────────────────────────────────────────────────────────────────────
await step('the administrator signs in and switches to the store', async () => {
  await signIn('admin', opts['admin-password']);
  await page.goto(`${opts.base}/office/#/approvals`);
  await tid('approvals').waitFor();
  await choose('store-switcher', '北店');
  await tid(`approval-${opts.approve}`).waitFor();
  await tid(`approval-${opts.reject}`).waitFor();
  await tid(`approval-${opts.waiting}`).waitFor();
});

await step('the approvals list shows age, deadline, documents, receipt and who enrolled', async () => {
  const overdue = await tid(`due-${opts.reject}`).getAttribute('data-due');
  expectEqual(overdue, 'overdue', 'six working days is past the 3-day promise');
  const row = await page.locator('tr.el-table__row', { has: tid(`approval-${opts.reject}`) }).innerText();
  for (const want of ['李强', '身份证', '行驶证', 'R-J21', '¥300.00', '贵宾卡', '个工作日', 'field']) {
    if (!row.includes(want)) throw new Error(`the row lacks ${want}: ${row}`);
  }
  await shots('01-approvals');
});

await step('an enrollment is approved and leaves the list', async () => {
  await confirmed('02-approve-confirm', () => tid(`approve-${opts.approve}`).click());
  await tid(`approval-${opts.approve}`).waitFor({ state: 'detached' });
});

await step('a rejection needs a reason, then leaves the list', async () => {
  await tid(`reject-${opts.reject}`).click();
  const dialog = tid('reject-dialog');
  await dialog.waitFor();
  await tid('reject-submit').click();
  await dialog.locator('.el-form-item__error').waitFor();
  const said = await dialog.locator('.el-form-item__error').innerText();
  if (!said.includes('原因')) throw new Error(`no message for the missing reason: ${said}`);
  await shots('03-reject-needs-reason', { quiet: false });
  await field('reject-reason').fill('证件照片不清晰，请补交行驶证');
  await shots('04-reject-dialog', { quiet: false });
  await tid('reject-submit').click();
  await tid(`approval-${opts.reject}`).waitFor({ state: 'detached' });
  await tid(`approval-${opts.waiting}`).waitFor();
  await shots('05-approvals-after');
  await signOut();
});

// ─── The till: service advisor ─────────────────────────────────────────────────────────────────
await step('the service advisor finds the member by plate at the till', async () => {
  await signIn('sa', opts.password);
  await page.goto(`${opts.base}/office/#/till`);
  await tid('till').waitFor();
  await shots('06-till-empty');
  await field('till-query').fill(opts.plate);
  await tid('till-search').click();
  await tid('till-member').waitFor();
  expectEqual(await text('till-member-name'), '陈静', 'the member found by plate');
  expectEqual(await text('till-balance'), opts['points-before'], 'the balance');
});

await step('an order is built from lines by category', async () => {
  await field('line-amount-0').fill('1000');
  await tid('line-add').click();
  await choose('line-category-1', '配件');
  await field('line-amount-1').fill('500');
  await field('order-receipt').fill('S-T1');
  await tid('order-quote').click();
  await tid('till-quote').waitFor();
});

await step('under a promotion the quote gives no discount and says why', async () => {
  await tid('order-promotion').click();
  await tid('order-quote').click();
  await tid('quote-no-discount').waitFor();
  const why = await text('quote-no-discount');
  if (!why.includes('促销')) throw new Error(`the quote does not say the promotion is why: ${why}`);
  expectEqual(await text('quote-discount'), yuan(0), 'no discount under a promotion');
  await shots('07-till-quote-promotion');
});

await step('the quote shows the card discount and the points this order earns', async () => {
  await tid('order-promotion').click();
  await tid('order-quote').click();
  await tid('quote-points').waitFor();
  expectEqual(await tid('quote-no-discount').count(), 0, 'a discount applies');
  expectEqual(await text('quote-discount'), `-${yuan(Number(opts.discount))}`, 'the card discount');
  expectEqual(await text('quote-points'), `+${opts.earns}`, 'the points earned');
  await shots('08-till-quote');
});

await step('the order is settled with its receipt number and the receipt panel shows discount and points', async () => {
  await tid('order-settle').click();
  await tid('till-receipt').waitFor();
  expectEqual(await text('receipt-number'), 'S-T1', 'the receipt number');
  expectEqual(await text('receipt-discount'), yuan(Number(opts.discount)), 'the discount on the receipt');
  expectEqual(await text('receipt-points'), `+${opts.earns}`, 'the points on the receipt');
  const after = Number(opts['points-before']) + Number(opts.earns);
  expectEqual(await text('till-balance'), String(after), 'the balance after settling');
  await shots('09-till-receipt');
});

await step('a benefit used is registered with its value', async () => {
  await tid('till-tab-benefit').click();
  await tid('benefit-table').waitFor();
  await tid('benefit-submit').click();
  await tid('benefit-problem').first().waitFor();
  await shots('10-till-benefit-check');
  await tid('benefit-free_wash').click();
  await field('benefit-value').fill('30');
  await tid('benefit-submit').click();
  await tid('benefit-done').waitFor();
  expectEqual(await text('benefit-used-free_wash'), '1', 'the wash is counted');
  await shots('11-till-benefit');
  await signOut();
});

// ─── The till: finance redeems ─────────────────────────────────────────────────────────────────
const balance = Number(opts['points-before']) + Number(opts.earns);
await step('finance opens the till on the member and sees the balance and the catalogue', async () => {
  await signIn('fin', opts.password);
  await page.goto(`${opts.base}/office/#/till?member=${opts.young}`);
  await tid('till-member').waitFor();
  await tid('till-tab-redeem').click();
  await page.locator('[data-test=redeem-catalogue], input[data-test=redeem-points]').first().waitFor();
  expectEqual(await text('redeem-before'), String(balance), 'the balance before');
});

/** Chooses `points` to redeem: the catalogue's entry, or typed when the program is not shown. */
async function redeemPoints(points) {
  if (await tid('redeem-catalogue').count()) await tid(`redeem-item-${points}`).click();
  else await field('redeem-points').fill(String(points));
}

await step('a redemption beyond the balance is refused on screen', async () => {
  const over = [500, 1000, 1500, 2000].find((p) => p > balance);
  if (!over) throw new Error(`the balance ${balance} covers the whole catalogue`);
  await redeemPoints(over);
  await tid('redeem-short').waitFor();
  if (!(await tid('redeem-submit').isDisabled())) throw new Error('redeeming beyond the balance is offered');
  await shots('12-till-redeem-short');
});

if (!(await tid('redeem-catalogue').count())) {
  await step("points not in the catalogue are refused by the server, its reason shown", async () => {
    await redeemPoints(300);
    await tid('redeem-submit').click();
    await acceptBox();
    await tid('redeem-error').waitFor();
    const said = await text('redeem-error');
    if (!said.includes('兑换目录')) throw new Error(`the server's refusal is not shown: ${said}`);
    await shots('12b-till-redeem-refused');
  });
}

await step('500 points are redeemed, with the balance before and after', async () => {
  await redeemPoints(500);
  expectEqual(await text('redeem-after'), String(balance - 500), 'the balance after, before redeeming');
  await confirmed('13-till-redeem-confirm', () => tid('redeem-submit').click());
  await tid('redeem-done').waitFor();
  expectEqual(await text('till-balance'), String(balance - 500), 'the balance after redeeming');
  await shots('14-till-redeemed');
  await signOut();
});
}

if (FILES) {
// ─── Member files: club manager ────────────────────────────────────────────────────────────────
await step('the club manager opens a young member: renewal outside the window is refused with the reason', async () => {
  await signIn('cm', opts.password);
  await page.goto(`${opts.base}/office/#/members/${opts.young}`);
  await tid('counter-actions').waitFor();
  expectEqual(await text('renewal-open'), '不在续费期', 'the window is closed');
  await shots('15-file-actions');
  await tid('action-renew').click();
  await tid('action-dialog').waitFor();
  await field('form-receipt').fill('R-RN-0');
  const fee = field('form-fee');
  if (!(await fee.inputValue())) await fee.fill('300');
  await shots('16-renew-dialog', { quiet: false });
  await tid('dialog-submit').click();
  await tid('dialog-error').waitFor();
  const said = await text('dialog-error');
  if (!/续费/.test(said)) throw new Error(`the refusal does not give the engine's reason: ${said}`);
  await shots('17-renew-refused', { quiet: false });
  await tid('dialog-cancel').click();
  await tid('action-dialog').waitFor({ state: 'hidden' });
});

await step('a withdrawal is requested and the refund the engine computes is shown', async () => {
  await tid('action-withdraw').click();
  await tid('action-dialog').waitFor();
  await tid('reason-first').click();
  await shots('18-withdraw-dialog', { quiet: false });
  await tid('dialog-submit').click();
  await tid('action-dialog').waitFor({ state: 'hidden' });
  await tid('withdrawal-refund').waitFor();
  const refund = await text('withdrawal-refund');
  if (!refund.startsWith('¥')) throw new Error(`no refund shown: ${refund}`);
  await shots('19-withdrawal-pending');
});

await step('the withdrawal is accepted after a confirmation', async () => {
  await confirmed('20-withdraw-confirm', () => tid('action-withdraw-accept').click());
  await page.waitForFunction(() => document.querySelector('[data-test="withdrawal-outcome"]')?.textContent?.includes('已同意'));
  await shots('21-withdrawn');
});

await step('a member in the renewal window renews with the fee from the program', async () => {
  await page.goto(`${opts.base}/office/#/members/${opts.renewing}`);
  await tid('counter-actions').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-test="renewal-open"]')?.textContent?.includes('续费期内'));
  const before = await text('valid-until');
  await tid('action-renew').click();
  await tid('action-dialog').waitFor();
  const fee = field('form-fee');
  if (!(await fee.inputValue())) await fee.fill('300');
  await field('form-receipt').fill('R-RN-1');
  await tid('dialog-submit').click();
  await tid('action-dialog').waitFor({ state: 'hidden' });
  await page.waitForFunction((b) => document.querySelector('[data-test="valid-until"]')?.textContent?.trim() !== b, before);
});

await step('a card is reported lost after a confirmation', async () => {
  await confirmed('22-lost-confirm', () => tid(`action-lost-${opts['renewing-card']}`).click());
  await page.waitForFunction(
    (c) => document.querySelector(`[data-test="card-status-${c}"]`)?.textContent?.includes('挂失'),
    opts['renewing-card'],
  );
});

await step('a temporary card is handed over and its valid-until shown', async () => {
  await tid('action-temporary').click();
  await tid('action-dialog').waitFor();
  await field('form-card').fill(opts['temp-card']);
  await shots('23-temporary-dialog', { quiet: false });
  await tid('dialog-submit').click();
  await tid('action-dialog').waitFor({ state: 'hidden' });
  await tid('temporary-card').waitFor();
  const note = await text('temporary-card');
  if (!note.includes(opts['temp-card'])) throw new Error(`the temporary card is not shown: ${note}`);
  const until = await text(`card-valid-${opts['temp-card']}`);
  if (until === '—') throw new Error('the temporary card has no valid-until');
  await shots('24-temporary-card');
});

await step('the card is reissued with the new number, the fee and a receipt', async () => {
  await tid('action-reissue').click();
  await tid('action-dialog').waitFor();
  await field('form-card').fill(opts['new-card']);
  const fee = field('form-fee');
  if (!(await fee.inputValue())) await fee.fill('20');
  await field('form-receipt').fill('R-RE-1');
  await shots('25-reissue-dialog', { quiet: false });
  await confirmed('26-reissue-confirm', () => tid('dialog-submit').click());
  await tid('action-dialog').waitFor({ state: 'hidden' });
  await page.waitForFunction(
    (c) => document.querySelector(`[data-test="card-status-${c}"]`)?.textContent?.includes('正常'),
    opts['new-card'],
  );
  await shots('27-file-after');
});

await step('the member qualifies for Silver by points and the upgrade is approved after a confirmation', async () => {
  await tid('upgrade-silver').waitFor();
  const line = await text('upgrade-silver');
  if (!line.includes('银卡') || !line.includes('积分达标')) throw new Error(`the upgrade does not say its tier and condition: ${line}`);
  expectEqual(await text('file-tier'), '贵宾卡', 'the tier before the upgrade');
  await tid('section-upgrade').scrollIntoViewIfNeeded();
  await shots('28a-upgrade-offered');
  await confirmed('28b-upgrade-confirm', () => tid('action-upgrade-silver').click());
  await page.waitForFunction(() => document.querySelector('[data-test="file-tier"]')?.textContent?.includes('银卡'));
  await tid('upgrade-silver').waitFor({ state: 'detached' });
  expectEqual(await text('file-points'), '0', 'the points reset on the upgrade (preset B)');
  await shots('28c-upgraded');
});

await step('a manual grant of points is refused without a reason, then granted with one', async () => {
  await page.goto(`${opts.base}/office/#/members/${opts.approve}`);
  await tid('counter-actions').waitFor();
  expectEqual(await text('file-points'), '0', 'the points before the grant');
  await tid('action-grant').click();
  await tid('action-dialog').waitFor();
  await field('form-points').fill(opts.grant);
  await tid('dialog-submit').click();
  await page.locator('.el-dialog .el-form-item__error', { hasText: '请填写原因' }).waitFor();
  expectEqual(await tid('action-dialog').isVisible(), true, 'the dialog stays open without a reason');
  await shots('29a-grant-no-reason', { quiet: false });
  await field('form-reason').fill('车友活动组织贡献');
  await field('form-reason').blur();
  await page.locator('.el-dialog .el-form-item__error').waitFor({ state: 'detached' });
  await shots('29b-grant-dialog', { quiet: false });
  await tid('dialog-submit').click();
  await tid('action-dialog').waitFor({ state: 'hidden' });
  await page.waitForFunction((n) => document.querySelector('[data-test="file-points"]')?.textContent?.trim() === n, opts.grant);
  await shots('29c-granted');
});

}

await browser.close();
console.log(`office counter (${opts.part}): all steps passed`);
