// Drives a customer-care day in the back office (Vue, Element Plus) in headless Chromium, desktop
// size. The care manager writes the store's first-service script (话术), runs the reminder rules
// now and assigns the day's call tasks to the care specialist. The specialist signs in, finds the
// tasks in her day's list with the member's summary and the script, and works through them: one
// member reached (with feedback), one appointment (first refused less than 3 hours ahead, with the
// server's reason in Chinese, then booked for the time given), one unreachable (no answer in one
// tap: the next step says to call again in another slot, and the task moves to the call-backs of
// that slot); the appointment then shows in the register, where she also books one at the desk for
// the lost customer (found by name). The manager sends a holiday campaign
// (this month's count against the 3 a month), reads the outbox, calls the lost customer (refused:
// the cause is asked for and recorded) and reads the lost customers by class with it. Desktop
// screenshots of every screen in zh-CN and English go to --shots as care-day-*.png.
//
//   node tests/browser/office-care-day.mjs --base URL --manager USER --specialist USER --password PW \
//        --specialist-name NAME --reached NAME --appoint NAME --unreachable NAME --feedback TEXT \
//        --too-soon 'YYYY-MM-DD HH:mm' --appointment 'YYYY-MM-DD HH:mm' --purpose TEXT --script TEXT \
//        --campaign-title TEXT --campaign-text TEXT --lost NAME --desk-appointment 'YYYY-MM-DD HH:mm' \
//        --desk-purpose TEXT --lost-cause TEXT [--now RFC3339] [--shots target/screenshots]
//
// Exits non-zero on the first failed step. Uses the system's Chromium; never downloads a browser.

import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { desktop, fieldIn, freshShots, launch, noErrors, shotBoth as shotPage, stepper, watch } from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    base: { type: 'string' },
    manager: { type: 'string' },
    specialist: { type: 'string' },
    password: { type: 'string' },
    'specialist-name': { type: 'string' },
    reached: { type: 'string' },
    appoint: { type: 'string' },
    unreachable: { type: 'string' },
    feedback: { type: 'string' },
    'too-soon': { type: 'string' },
    appointment: { type: 'string' },
    purpose: { type: 'string' },
    script: { type: 'string' },
    'campaign-title': { type: 'string' },
    'campaign-text': { type: 'string' },
    lost: { type: 'string' },
    'desk-appointment': { type: 'string' },
    'desk-purpose': { type: 'string' },
    'lost-cause': { type: 'string' },
    now: { type: 'string' },
    shots: { type: 'string', default: join('target', 'screenshots') },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    headed: { type: 'boolean', default: false },
  },
});
const NEEDED = ['base', 'manager', 'specialist', 'password', 'specialist-name', 'reached', 'appoint', 'unreachable',
  'feedback', 'too-soon', 'appointment', 'purpose', 'script', 'campaign-title', 'campaign-text', 'lost',
  'desk-appointment', 'desk-purpose', 'lost-cause'];
for (const need of NEEDED) {
  if (!opts[need]) {
    console.error(`missing --${need}; see the head of office-care-day.mjs for the usage`);
    process.exit(2);
  }
}
const TIMEOUT = 30_000;
const SHOTS = opts.shots;
const PREFIX = 'care-day';
const CHINESE = /[\u4e00-\u9fff]/;
freshShots(SHOTS, PREFIX);

const browser = await launch(opts.chromium, opts.headed);
const context = await desktop(browser, TIMEOUT);
// The browser's clock reads the server's business clock (a fixed moment in the test), as a
// store's desktop and its server agree on the time.
if (opts.now) await context.clock.setFixedTime(new Date(opts.now));
let page = await context.newPage();
let errors = watch(page);
const step = stepper({ shots: SHOTS, prefix: PREFIX, page: () => page, browser });

/** Fails when the page threw. */
function clean() {
  noErrors(errors);
}

/** The text field marked `name`. */
function field(name, within = page) {
  return fieldIn(within, name);
}

async function signIn(username) {
  await page.close();
  page = await context.newPage();
  errors = watch(page);
  await page.goto(`${opts.base}/office/#/login`);
  await page.evaluate(() => sessionStorage.clear());
  await field('username').fill(username);
  await field('password').fill(opts.password);
  await page.locator('[data-test=sign-in]').click();
  await page.locator('[data-test=nav]').waitFor();
}

/** Opens the navigation entry `name` and waits for its page `page`. */
async function open(name, marker) {
  await page.locator(`[data-test=nav-${name}]`).click();
  await page.locator(`[data-test=${marker}]`).waitFor();
}

/** The day's list row of the member `name`. */
function task(name) {
  return page.locator(`[data-test=task-row][data-name="${name}"]`).first();
}

/** Picks the option of an open Element Plus select whose text has `label`. */
async function option(label) {
  const item = page.locator('.el-select-dropdown:visible .el-select-dropdown__item', { hasText: label }).first();
  await item.waitFor();
  await item.click();
}

/** Types a moment into the date-time picker marked `name` and closes its panel. */
async function typeMoment(name, text) {
  const input = field(name);
  await input.click();
  await input.fill(text);
  await input.press('Enter');
  await page.keyboard.press('Escape');
  await page.locator('[data-test=call-panel] .el-card__header').click();
}

/** Waits for the success message `pattern` and lets it go. */
async function toast(pattern) {
  const msg = page.locator('.el-message--success', { hasText: pattern }).first();
  await msg.waitFor();
}

/** The error message of a failed action, in the language in use. */
async function errorMessage() {
  const msg = page.locator('.el-message--error').first();
  if (await msg.isVisible().catch(() => false)) return msg.innerText();
  return '';
}

/** Screenshots in both languages once the success messages have gone (they cover the page). */
async function shotBoth(p, dir, name) {
  await p.locator('.el-message').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {});
  // From the top: a page scrolled to a button shoots its sticky header and navigation mid-page.
  await p.evaluate(() => window.scrollTo(0, 0));
  await shotPage(p, dir, name);
}

async function waitToday() {
  await page.locator('[data-test=care-today-page]').waitFor();
  await page.waitForFunction(() => !document.querySelector('[data-test=today-list] .el-skeleton'));
}

await step('the care manager writes the store’s first-service script', async () => {
  await signIn(opts.manager);
  await open('scripts', 'scripts-page');
  await page.locator('[data-test=script-kind-first_service]').click();
  await field('script-text').fill(opts.script);
  await page.locator('[data-test=script-save]').click();
  await toast('话术已保存');
  await page.locator('[data-test=script-kind-first_service] [data-test=script-default]').waitFor({ state: 'detached' });
  await shotBoth(page, SHOTS, 'care-day-scripts');
  clean();
});

await step('the care manager runs the reminders now and assigns the day’s calls to the specialist', async () => {
  await open('care-today', 'care-today-page');
  await waitToday();
  await page.locator('[data-test=care-run]').click();
  await page.locator('.el-message', { hasText: '提醒已运行' }).first().waitFor();
  await page.locator('[data-test=today-all]').click();
  for (const name of [opts.reached, opts.appoint, opts.unreachable]) {
    await task(name).waitFor();
    await task(name).click();
    await page.locator('[data-test=call-name]', { hasText: name }).waitFor();
    const kind = await page.locator('[data-test=call-kind]').innerText();
    if (!/首保/.test(kind)) throw new Error(`${name}'s task is ${kind}, not a first-service reminder`);
    await page.locator('[data-test=call-assign]').click();
    await option(opts['specialist-name']);
    await toast(`已分配给 ${opts['specialist-name']}`);
  }
  await shotBoth(page, SHOTS, 'care-day-manager');
  clean();
});

await step('the specialist signs in and finds her three first-service calls, with the script', async () => {
  await signIn(opts.specialist);
  const offered = await page.locator('[data-test=nav] [data-test^="nav-"]').evaluateAll((els) =>
    els.map((e) => e.getAttribute('data-test')),
  );
  for (const hidden of ['nav-scripts']) {
    if (offered.includes(hidden)) throw new Error(`the specialist is offered ${hidden}: ${offered}`);
  }
  if (await page.locator('[data-test=care-run]').count()) throw new Error('the specialist is offered “run now”');
  await open('care-today', 'care-today-page');
  await waitToday();
  if (await page.locator('[data-test=care-run]').count()) throw new Error('the specialist is offered “run now”');
  for (const name of [opts.reached, opts.appoint, opts.unreachable]) await task(name).waitFor();
  const due = await page.locator('[data-test=count-due]').innerText();
  if (Number(due) < 3) throw new Error(`due today says ${due}`);
  await task(opts.reached).click();
  const script = await page.locator('[data-test=call-script]').innerText();
  if (!script.includes(opts.script)) throw new Error(`the call shows the script ${script}`);
  await shotBoth(page, SHOTS, 'care-day-today');
  clean();
});

await step('a member reached: the feedback is recorded and the task is done', async () => {
  await page.locator('[data-test=outcome-reached]').click();
  await page.locator('[data-test=call-save]').click();
  const missing = await page.locator('[data-test=call-error]').innerText();
  if (!/客户反馈/.test(missing)) throw new Error(`no feedback asked for: ${missing}`);
  await field('call-feedback').fill(opts.feedback);
  await page.locator('[data-test=call-save]').click();
  await toast('已记录');
  const next = await page.locator('[data-test=call-next]').innerText();
  if (!/已完成/.test(next)) throw new Error(`after reaching the member the next step says ${next}`);
  const state = await page.locator('[data-test=call-state]').innerText();
  if (!/已完成/.test(state)) throw new Error(`the task is ${state}`);
  clean();
});

await step('an appointment less than 3 hours ahead is refused with the server’s reason, then booked', async () => {
  await task(opts.appoint).click();
  await page.locator('[data-test=call-name]', { hasText: opts.appoint }).waitFor();
  await page.locator('[data-test=outcome-appointment]').click();
  await typeMoment('call-appointment-at', opts['too-soon']);
  await field('call-purpose').fill(opts.purpose);
  await page.locator('[data-test=call-save]').click();
  const refused = page.locator('[data-test=call-error]');
  await refused.waitFor();
  const said = await refused.innerText();
  if (!CHINESE.test(said) || !/3/.test(said)) throw new Error(`the refusal says ${said}`);
  await shotBoth(page, SHOTS, 'care-day-too-soon');
  // The refusal follows a change of language: the server's English detail.
  await page.locator('[data-test=lang]').first().dispatchEvent('click');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  const english = await refused.innerText();
  if (CHINESE.test(english) || !/3/.test(english)) throw new Error(`the refusal in English says ${english}`);
  await page.locator('[data-test=lang]').first().dispatchEvent('click');
  await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
  await typeMoment('call-appointment-at', opts.appointment);
  await page.locator('[data-test=call-save]').click();
  await toast('已记录');
  const next = await page.locator('[data-test=call-next]').innerText();
  if (!/已完成/.test(next) || !/预约/.test(next)) throw new Error(`after the appointment the next step says ${next}`);
  clean();
});

await step('an unreachable member: no answer in one tap, call again in another slot', async () => {
  await task(opts.unreachable).click();
  await page.locator('[data-test=call-name]', { hasText: opts.unreachable }).waitFor();
  await page.locator('[data-test=outcome-no_answer]').click();
  await toast('无人接听');
  const next = await page.locator('[data-test=call-next]').innerText();
  if (!/再拨一次/.test(next) || !/避开上午/.test(next)) throw new Error(`after no answer the next step says ${next}`);
  const history = await page.locator('[data-test=call-history]').innerText();
  if (!/无人接听/.test(history) || !/上午/.test(history)) throw new Error(`the calls so far: ${history}`);
  await page.locator('[data-test=section-retries]').waitFor();
  const midday = page.locator('[data-test=slot-midday]');
  await midday.locator(`[data-test=task-row][data-name="${opts.unreachable}"]`).waitFor();
  const retries = await page.locator('[data-test=count-retries]').innerText();
  if (retries !== '1') throw new Error(`call-backs says ${retries}`);
  await shotBoth(page, SHOTS, 'care-day-after');
  clean();
});

await step('the appointment shows in the register on its day', async () => {
  await open('appointments', 'appointments-page');
  const day = opts.appointment.slice(0, 10);
  const picker = field('appt-day');
  await picker.click();
  await picker.fill(day);
  await picker.press('Enter');
  await page.keyboard.press('Escape');
  const row = page.locator('[data-test=appointments] .el-table__body tr', { hasText: opts.appoint }).first();
  await row.waitFor();
  const text = await row.innerText();
  if (!text.includes(opts.appointment.slice(11))) throw new Error(`the register's row: ${text}`);
  if (!text.includes(opts.purpose)) throw new Error(`the register's row has no purpose: ${text}`);
  if (!/已预约/.test(text)) throw new Error(`the register's row state: ${text}`);
  if (!text.includes(opts['specialist-name'])) throw new Error(`the register's row names no booker: ${text}`);
  clean();
});

await step('an appointment booked at the desk for a member found by name joins the register', async () => {
  await page.locator('[data-test=appt-book]').click();
  const dialog = page.locator('[data-test=book-dialog]');
  await dialog.waitFor();
  const who = field('book-member');
  await who.click();
  await who.pressSequentially(opts.lost, { delay: 30 });
  await option(opts.lost);
  await page.locator('[data-test=book-vehicle]').waitFor();
  const at = field('book-at');
  await at.click();
  await at.fill(opts['desk-appointment']);
  await at.press('Enter');
  // Not Escape: it would close the dialog. A click on its title closes the picker's panel.
  await page.locator('.el-dialog:visible .el-dialog__header').first().click();
  await field('book-purpose').fill(opts['desk-purpose']);
  await shotBoth(page, SHOTS, 'care-day-book');
  await page.locator('[data-test=book-submit]').click();
  await toast('已登记');
  const row = page.locator('[data-test=appointments] .el-table__body tr', { hasText: opts.lost }).first();
  await row.waitFor();
  const text = await row.innerText();
  if (!text.includes(opts['desk-appointment'].slice(11)) || !text.includes(opts['desk-purpose'])) {
    throw new Error(`the desk's appointment row: ${text}`);
  }
  const rows = await page.locator('[data-test=appointments] .el-table__body tr').count();
  if (rows !== 2) throw new Error(`the register shows ${rows} appointments that day`);
  await shotBoth(page, SHOTS, 'care-day-register');
  clean();
});

await step('the care manager sends a holiday campaign; this month’s count goes up', async () => {
  await signIn(opts.manager);
  await open('campaigns', 'campaigns-page');
  await page.locator('[data-test=camp-count]').waitFor();
  const before = await page.locator('[data-test=camp-count]').innerText();
  await page.locator('[data-test=camp-kind-holiday]').click();
  await field('camp-title').fill(opts['campaign-title']);
  await field('camp-text').fill(opts['campaign-text']);
  await page.locator('[data-test=camp-send]').click();
  await page.locator('.el-message-box__btns .el-button--primary').click();
  await toast('已发送');
  await page.locator('[data-test=campaigns] .el-table__body tr', { hasText: opts['campaign-title'] }).waitFor();
  const after = await page.locator('[data-test=camp-count]').innerText();
  if (!/本月已发 1 \/ 3 次/.test(after)) throw new Error(`this month's count says ${after} (before: ${before})`);
  await shotBoth(page, SHOTS, 'care-day-campaigns');
  clean();
});

await step('the outbox lists the messages with their states', async () => {
  await open('outbox', 'outbox-page');
  const rows = page.locator('[data-test=outbox] .el-table__body tr');
  await rows.first().waitFor();
  const text = await page.locator('[data-test=outbox]').innerText();
  if (!text.includes(opts['campaign-text'])) throw new Error(`the outbox has no campaign message: ${text.slice(0, 400)}`);
  await shotBoth(page, SHOTS, 'care-day-outbox');
  clean();
});

await step('the care manager calls the lost customer: refused, with the cause recorded', async () => {
  await open('care-today', 'care-today-page');
  await waitToday();
  await task(opts.lost).click();
  await page.locator('[data-test=call-name]', { hasText: opts.lost }).waitFor();
  const kind = await page.locator('[data-test=call-kind]').innerText();
  if (!/流失/.test(kind)) throw new Error(`${opts.lost}'s task is ${kind}`);
  await page.locator('[data-test=outcome-refused]').click();
  await page.locator('[data-test=call-save]').click();
  const missing = await page.locator('[data-test=call-error]').innerText();
  if (!/原因/.test(missing)) throw new Error(`no cause asked for: ${missing}`);
  await field('call-cause').fill(opts['lost-cause']);
  await page.locator('[data-test=call-save]').click();
  await toast('已记录');
  const recorded = await page.locator('[data-test=call-cause-recorded]').innerText();
  if (!recorded.includes(opts['lost-cause'])) throw new Error(`the cause on the task: ${recorded}`);
  clean();
});

await step('the lost customers by class, with the cause from the call', async () => {
  await open('lost', 'lost-page');
  await page.locator('[data-test=lost-classes]').waitFor();
  const row = page.locator('[data-test=lost-table] .el-table__body tr', { hasText: opts.lost }).first();
  await row.waitFor();
  const text = await row.innerText();
  if (!text.includes(opts['lost-cause']) || !/本地出保/.test(text)) throw new Error(`the lost customer's row: ${text}`);
  const local = await page.locator('[data-test=lost-class-local] [data-test=lost-count]').innerText();
  if (local !== '1') throw new Error(`local lost customers: ${local}`);
  await shotBoth(page, SHOTS, 'care-day-lost');
  clean();
});

await step('the care manager reads the day’s list after the specialist’s calls', async () => {
  await open('care-today', 'care-today-page');
  await waitToday();
  await task(opts.unreachable).waitFor();
  if (await task(opts.reached).count()) throw new Error('the reached member is still in the day’s list');
  const failed = await errorMessage();
  if (failed) throw new Error(failed);
  clean();
});

await browser.close();
console.log('done');
