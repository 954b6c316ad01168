// Drives the back office's club screens (Vue, Element Plus) in headless Chromium, desktop size, as
// the administrator: creates a club event for a member segment and reads its invitation list,
// records an answer, checks an attendee in by plate (the points shown), sees a second check-in
// refused with the server's reason, records a satisfaction score and sees the average; puts a
// partner merchant on file and deactivates it; signs a corporate agreement with a service advisor
// and on-site check days, moves a member into that company (through the API, as the test's
// preparation) and sees them in the agreement's member list. Prints `AGREEMENT <id>` and
// `EVENT <id>`. Screenshots of every screen in zh-CN and English go to --shots as club-*.png.
//
//   node tests/browser/office-club.mjs --base URL --password PW --title 冬季用车讲堂 \
//        --attendee 王芳 --plate 粤B10001 --other 刘强 --pending 赵磊 \
//        --partner 海景酒店 --company 丙科技有限公司 --advisor advisor1 \
//        --company-member ID --company-member-name 刘强 --reception reception1 --staff-password PW \
//        [--shots target/screenshots]
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
    title: { type: 'string' },
    attendee: { type: 'string' },
    plate: { type: 'string' },
    other: { type: 'string' },
    pending: { type: 'string' },
    partner: { type: 'string' },
    company: { type: 'string' },
    advisor: { type: 'string' },
    'company-member': { type: 'string' },
    'company-member-name': { type: 'string' },
    reception: { type: 'string' },
    'staff-password': { type: 'string' },
    shots: { type: 'string', default: join('target', 'screenshots') },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    headed: { type: 'boolean', default: false },
  },
});
const NEEDED = ['base', 'password', 'title', 'attendee', 'plate', 'other', 'pending', 'partner',
  'company', 'advisor', 'company-member', 'company-member-name', 'reception', 'staff-password'];
for (const need of NEEDED) {
  if (!opts[need]) {
    console.error(`missing --${need}; see the head of office-club.mjs for the usage`);
    process.exit(2);
  }
}
const TIMEOUT = 30_000;
const SHOTS = opts.shots;
freshShots(SHOTS, 'club');

/** Today in the club's time zone (UTC+8), as YYYY-MM-DD. */
const TODAY = new Date().toLocaleDateString('en-CA', { timeZone: 'Asia/Shanghai' });
const MONTH = TODAY.slice(0, 7);

const browser = await launch(opts.chromium, opts.headed);
const context = await desktop(browser, TIMEOUT);
const page = await context.newPage();
const errors = watch(page);
const step = stepper({ shots: SHOTS, prefix: 'club', page: () => page, browser });

/** Fails when the page threw. */
function clean() {
  noErrors(errors);
}

/** The text field marked `name`. */
function field(name, within = page) {
  return fieldIn(within, name);
}

/** Picks the option whose text includes `text` in the select marked `name`. */
async function choose(name, text, within = page) {
  await within.locator(`[data-test=${name}]`).first().click();
  const option = page.locator('.el-select-dropdown:visible .el-select-dropdown__item', { hasText: text }).first();
  await option.click();
}

/**
 * `shotBoth` for a screen with a modal open (a dialog or a confirmation): the overlay takes the
 * pointer, so the app's language button is pressed from the page's script instead.
 */
async function shotModal(name) {
  const press = () => page.evaluate(() => document.querySelector('[data-test=lang]')?.click());
  const first = (await page.evaluate(() => document.documentElement.lang)) === 'en' ? 'en' : 'zh-CN';
  const second = first === 'en' ? 'zh-CN' : 'en';
  await page.waitForTimeout(250);
  await page.screenshot({ path: join(SHOTS, `${name}.${first}.png`), fullPage: true });
  await press();
  await page.waitForFunction((want) => document.documentElement.lang === want, second);
  await page.waitForTimeout(250);
  await page.screenshot({ path: join(SHOTS, `${name}.${second}.png`), fullPage: true });
  await press();
  await page.waitForFunction((want) => document.documentElement.lang === want, first);
}

/** Closes any open picker by clicking the dialog's title (Escape would close the dialog). */
async function settle(dialog) {
  await dialog.locator('.el-dialog__title').click();
  await page.waitForTimeout(200);
}

/** Waits for the answer to a `method` request whose URL includes `part`; fails unless `status`. */
async function answered(part, method, status, action) {
  const waiting = page.waitForResponse((r) => r.url().includes(part) && r.request().method() === method);
  await action();
  const res = await waiting;
  const body = await res.text();
  if (res.status() !== status) throw new Error(`${method} ${part} answered ${res.status()}: ${body}`);
  return JSON.parse(body);
}

await step('signs in to the back office', async () => {
  await page.goto(`${opts.base}/office/#/login`);
  await field('username').fill(opts.user);
  await field('password').fill(opts.password);
  await page.locator('[data-test=sign-in]').click();
  await page.locator('[data-test=nav]').waitFor();
});

await step('the club events page opens from the navigation', async () => {
  await page.locator('[data-test=nav-events]').click();
  await page.locator('[data-test=events-page]').waitFor();
  await page.locator('.el-empty').first().waitFor();
  await shotBoth(page, SHOTS, 'club-events-empty');
  clean();
});

await step('an empty form is refused with the reasons in Chinese', async () => {
  await page.locator('[data-test=event-new]').click();
  const dialog = page.locator('.el-dialog[data-test=event-dialog], [data-test=event-dialog] .el-dialog, .el-dialog:has([data-test=event-title])').first();
  await dialog.waitFor();
  await dialog.locator('[data-test=event-submit]').click();
  await dialog.locator('.el-form-item__error', { hasText: '请填写活动名称' }).waitFor();
});

let eventId = '';
await step('an event is created for the active members of the standard tier', async () => {
  const dialog = page.locator('.el-dialog:has([data-test=event-title])').first();
  await field('event-title', dialog).fill(opts.title);
  await dialog.locator('[data-test=kind-lecture]').click();
  const when = field('event-when', dialog);
  await when.click();
  await when.fill(`${TODAY} 09:30`);
  await when.press('Enter');
  await settle(dialog);
  await field('event-place', dialog).fill('展厅二楼会议室');
  await field('event-capacity', dialog).fill('20');
  await settle(dialog);
  await dialog.locator('[data-test=tier-standard]').click();
  await shotModal('club-event-new');
  const created = await answered('/api/club-events', 'POST', 201, () => dialog.locator('[data-test=event-submit]').click());
  eventId = created.id;
  console.log(`EVENT ${eventId}`);
  await page.locator('[data-test=event-detail]').waitFor();
  clean();
});

let points = '';
await step('the invitation list holds the segment: active members, not the pending one', async () => {
  const list = page.locator('[data-test=invitations]');
  await list.locator('.el-table__row', { hasText: opts.attendee }).waitFor();
  await list.locator('.el-table__row', { hasText: opts.other }).waitFor();
  if (await list.locator('.el-table__row', { hasText: opts.pending }).count()) {
    throw new Error(`${opts.pending} (pending) was invited`);
  }
  points = (await page.locator('[data-test=event-points]').innerText()).trim();
  if (!(Number(points) > 0)) throw new Error(`the event gives ${points} points`);
});

await step('an answer is recorded and the places left go down', async () => {
  const before = Number((await page.locator('[data-test=event-left]').innerText()).trim());
  await answered('/rsvp', 'POST', 200, () => page.locator(`[data-test="rsvp-yes-${opts.attendee}"]`).click());
  await page.waitForFunction(
    (want) => document.querySelector('[data-test=event-left]')?.textContent?.trim() === String(want),
    before - 1,
  );
  await shotBoth(page, SHOTS, 'club-event-invitations');
  clean();
});

await step('the attendee is checked in by plate and the points are shown', async () => {
  await page.locator('[data-test=event-tabs] .el-tabs__item', { hasText: /到场签到|Check-in/ }).click();
  await field('checkin-search').fill(opts.plate);
  await page.locator('[data-test=checkin-find]').click();
  const row = page.locator('[data-test=checkin-found] .el-table__row', { hasText: opts.attendee });
  await row.waitFor();
  await answered('/attendance', 'POST', 200, () => row.locator(`[data-test="checkin-${opts.plate}"]`).click());
  const result = page.locator('[data-test=checkin-result]');
  await result.waitFor();
  const text = await result.innerText();
  if (!text.includes(`${points} 积分`)) throw new Error(`the points are not shown: ${text}`);
  await page.locator('[data-test=checkin-done]').waitFor();
  await shotBoth(page, SHOTS, 'club-checkin');
  clean();
});

await step('a second check-in is refused with the server\'s reason', async () => {
  const row = page.locator('[data-test=checkin-found] .el-table__row', { hasText: opts.attendee });
  await answered('/attendance', 'POST', 409, () => row.locator(`[data-test="checkin-${opts.plate}"]`).click());
  const refused = page.locator('[data-test=checkin-refused]');
  await refused.waitFor();
  const text = await refused.innerText();
  if (!text.includes('已经签到')) throw new Error(`the refusal does not say why: ${text}`);
  await shotBoth(page, SHOTS, 'club-checkin-refused');
  const attended = (await page.locator('[data-test=event-attended]').innerText()).trim();
  if (attended !== '1') throw new Error(`${attended} attendances shown`);
});

await step('a satisfaction score is recorded and the average shown', async () => {
  await page.locator('[data-test=event-tabs] .el-tabs__item', { hasText: /满意度|Satisfaction/ }).click();
  await choose('sat-member', opts.attendee);
  await page.locator('[data-test=sat-score] .el-rate__item').nth(3).click();
  await field('sat-comment').fill('讲解清楚，希望多办');
  const saved = await answered('/satisfaction', 'POST', 200, () => page.locator('[data-test=sat-submit]').click());
  if (saved.satisfaction_summary?.count !== 1) throw new Error(`summary: ${JSON.stringify(saved.satisfaction_summary)}`);
  await page.locator('[data-test=sat-list] .el-table__row', { hasText: opts.attendee }).waitFor();
  await page.waitForFunction(() => document.querySelector('[data-test=sat-average]')?.textContent?.includes('4.0'));
  await shotBoth(page, SHOTS, 'club-satisfaction');
  clean();
});

await step('the list shows the event with its answers, check-ins and average', async () => {
  const row = page.locator('[data-test=events] .el-table__row', { hasText: opts.title });
  await row.waitFor();
  const text = await row.innerText();
  if (!text.includes('4.0')) throw new Error(`the list row lacks the average: ${text}`);
  await page.locator('[data-test=event-tabs] .el-tabs__item', { hasText: /邀请名单|Invitations/ }).click();
  await shotBoth(page, SHOTS, 'club-events');
});

await step('a partner merchant is put on file', async () => {
  await page.locator('[data-test=nav-partners]').click();
  await page.locator('[data-test=partners-page]').waitFor();
  await page.locator('[data-test=partner-new]').click();
  const dialog = page.locator('.el-dialog:has([data-test=partner-name])').first();
  await dialog.waitFor();
  await dialog.locator('[data-test=partner-submit]').click();
  await dialog.locator('.el-form-item__error', { hasText: '请填写商户名称' }).waitFor();
  await field('partner-name', dialog).fill(opts.partner);
  await choose('partner-kind', '酒店', dialog);
  await field('partner-discount', dialog).fill('会员凭卡住宿 8 折');
  const range = dialog.locator('.el-date-editor--daterange').first();
  await range.click();
  const start = range.locator('input').nth(0);
  const end = range.locator('input').nth(1);
  await start.fill(`${MONTH}-01`);
  await end.fill(`${Number(TODAY.slice(0, 4)) + 1}${TODAY.slice(4, 7)}-01`);
  await end.press('Enter');
  await settle(dialog);
  await shotModal('club-partner-new');
  await answered('/api/partners', 'POST', 201, () => dialog.locator('[data-test=partner-submit]').click());
  await page.locator(`[data-test="partner-state-${opts.partner}"]`, { hasText: '有效' }).waitFor();
  await shotBoth(page, SHOTS, 'club-partners');
  clean();
});

await step('the partner is deactivated after a confirmation', async () => {
  await page.locator(`[data-test="partner-deactivate-${opts.partner}"]`).click();
  const box = page.locator('.el-message-box');
  await box.waitFor();
  await shotModal('club-partner-deactivate');
  await answered('/deactivate', 'POST', 200, () => box.locator('.el-button--primary').click());
  await page.locator(`[data-test="partner-state-${opts.partner}"]`, { hasText: '已停用' }).waitFor();
  if (await page.locator(`[data-test="partner-deactivate-${opts.partner}"]`).count()) {
    throw new Error('a deactivated partner still offers deactivation');
  }
  clean();
});

let agreementId = '';
await step('a corporate agreement is signed with a service advisor and check days', async () => {
  await page.locator('[data-test=partners-tabs] .el-tabs__item', { hasText: /大客户协议|Corporate/ }).click();
  await page.locator('[data-test=agreement-new]').click();
  const dialog = page.locator('.el-dialog:has([data-test=ag-company])').first();
  await dialog.waitFor();
  await field('ag-company', dialog).fill(opts.company);
  const start = field('ag-start', dialog);
  await start.click();
  await start.fill(`${MONTH}-01`);
  await start.press('Enter');
  await settle(dialog);
  await field('ag-fleet', dialog).fill('车队保养工时 85 折；员工私车团购价');
  await field('ag-contact-name', dialog).fill('钱经理');
  await field('ag-contact-phone', dialog).fill('13800138002');
  await choose('ag-advisor', opts.advisor, dialog);
  // Two check days of this month, picked on the calendar.
  await field('ag-days', dialog).click();
  const panel = page.locator('.el-picker-panel:visible').last();
  for (const d of ['10', '20']) {
    await panel.locator('.el-date-table td.available:not(.disabled)', { hasText: new RegExp(`^\\s*${d}\\s*$`) }).first().click();
  }
  const ok = panel.locator('.el-picker-panel__footer .el-button', { hasText: /确定|OK/ });
  if (await ok.count()) await ok.first().click();
  else await settle(dialog);
  await shotModal('club-agreement-new');
  const signed = await answered('/api/corporate-accounts', 'POST', 201, () => dialog.locator('[data-test=ag-submit]').click());
  agreementId = signed.id;
  console.log(`AGREEMENT ${agreementId}`);
  const days = signed.on_site_check_days.join(',');
  if (days !== `${MONTH}-10,${MONTH}-20`) throw new Error(`check days signed: ${days}`);
  await page.locator('[data-test=ag-detail-company]', { hasText: opts.company }).waitFor();
  clean();
});

await step('a member of the company is in the agreement\'s member list', async () => {
  // Preparation through the API: the member moves into the company just signed.
  const status = await page.evaluate(
    async ([member, company]) => {
      const token = sessionStorage.getItem('carclub.office.token');
      const res = await fetch(`/api/members/${member}/operations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ type: 'company_changed', company }),
      });
      return `${res.status} ${res.status === 200 ? '' : await res.text()}`;
    },
    [opts['company-member'], agreementId],
  );
  if (!status.startsWith('200')) throw new Error(`company_changed: ${status}`);
  await page.locator('[data-test=partners-refresh]').click();
  await page.locator(`[data-test="agreement-open-${opts.company}"]`).click();
  const detail = page.locator('[data-test=agreement-detail]');
  await detail.locator('[data-test=ag-members] .el-table__row', { hasText: opts['company-member-name'] }).waitFor();
  const rows = await detail.locator('[data-test=ag-members] .el-table__row').count();
  if (rows !== 1) throw new Error(`${rows} members listed for the company`);
  const advisor = await detail.locator('[data-test=ag-detail-advisor]').innerText();
  if (!advisor.includes(opts.advisor)) throw new Error(`the advisor shown: ${advisor}`);
  await shotBoth(page, SHOTS, 'club-agreement');
  clean();
});

await step('reception sees the events and partners but is offered no action its role may not take', async () => {
  await page.locator('[data-test=sign-out]').click();
  await page.locator('[data-test=sign-in]').waitFor();
  await field('username').fill(opts.reception);
  await field('password').fill(opts['staff-password']);
  await page.locator('[data-test=sign-in]').click();
  await page.locator('[data-test=nav]').waitFor();
  await page.locator('[data-test=nav-events]').click();
  await page.locator(`[data-test="event-${opts.title}"]`).click();
  await page.locator('[data-test=event-detail]').waitFor();
  if (await page.locator('[data-test=event-new]').count()) throw new Error('reception is offered a new event');
  // Reception records answers (rsvp), not attendance nor satisfaction.
  await page.locator(`[data-test="rsvp-no-${opts.other}"]`).waitFor();
  await page.locator('[data-test=event-tabs] .el-tabs__item', { hasText: /到场签到|Check-in/ }).click();
  await field('checkin-search').fill(opts.plate);
  await page.locator('[data-test=checkin-find]').click();
  await page.locator('[data-test=checkin-found] .el-table__row', { hasText: opts.attendee }).waitFor();
  if (await page.locator(`[data-test="checkin-${opts.plate}"]`).count()) throw new Error('reception is offered a check-in');
  await page.locator('[data-test=event-tabs] .el-tabs__item', { hasText: /满意度|Satisfaction/ }).click();
  await page.locator('[data-test=sat-list]').waitFor();
  if (await page.locator('[data-test=sat-submit]').count()) throw new Error('reception is offered a score');
  await shotBoth(page, SHOTS, 'club-events-reception');
  await page.locator('[data-test=nav-partners]').click();
  await page.locator(`[data-test="partner-state-${opts.partner}"]`).waitFor();
  if (await page.locator('[data-test=partner-new]').count()) throw new Error('reception is offered a new partner');
  if (await page.locator('[data-test=partners-tabs] .el-tabs__item', { hasText: /大客户协议|Corporate/ }).count()) {
    throw new Error('reception sees the corporate agreements');
  }
  await shotBoth(page, SHOTS, 'club-partners-reception');
  clean();
});

await browser.close();
console.log('office-club: all steps passed');
