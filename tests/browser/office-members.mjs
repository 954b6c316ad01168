// Drives the back office's members screens (Vue, Element Plus) in headless Chromium, desktop size:
// as the administrator it exports the members as CSV, searches by plate and by name, opens a file, finds
// the settled order's receipt and points in the ledger, hands out a member-app invitation code,
// resolves a duplicate-vehicle conflict keeping one member, and assigns a field staff account to a
// company; then signs in as roles with fewer permissions and checks the navigation shows only what
// they may use. The service advisor works the member's lifelong service file: the orders settled at
// the till (a repair, a maintenance with its odometer reading) are among its visits; they record
// the owner's birthday, region, call slots and SMS consent, the vehicle's delivery and insurance
// expiry, a mileage reading and a service visit at another store, and a reading that would turn the
// odometer back is refused with the server's reason in both languages. Prints `INVITE_CODE <code>`
// for the test to try the code. Screenshots of every screen in zh-CN and English go to --shots as
// office-*.png.
//
//   node tests/browser/office-members.mjs --base URL --user admin --password PW --name 李明 \
//        --plate 粤B12345 --receipt S-1 --points 20 --balance 25 --note TEXT \
//        --field-staff field1 --company 公司 --advisor advisor1 --reception reception1 \
//        --staff-password PW --vin VIN --birthday 1985-06-12 --delivered 2026-03-18 \
//        --insurance 2027-03-17 --inspection 2026-01-31 \
//        --insurer 平安保险 --km 12345 --order-km 11000 --visit-on 2026-09-20 --visit-km 9800 \
//        --elsewhere-store 某某4S店 --elsewhere-place 佛山 --elsewhere-cost 680 \
//        --bad-on 2026-10-01 --bad-km 20000 [--shots target/screenshots]
//
// Exits non-zero on the first failed step. Uses the system's Chromium; never downloads a browser.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { desktop, fieldIn, freshShots, launch, noErrors, shotBoth, stepper, watch } from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    base: { type: 'string' },
    user: { type: 'string', default: 'admin' },
    password: { type: 'string' },
    name: { type: 'string' },
    plate: { type: 'string' },
    receipt: { type: 'string' },
    points: { type: 'string' },
    balance: { type: 'string' },
    note: { type: 'string' },
    'field-staff': { type: 'string' },
    company: { type: 'string' },
    advisor: { type: 'string' },
    reception: { type: 'string' },
    'staff-password': { type: 'string' },
    vin: { type: 'string' },
    birthday: { type: 'string' },
    delivered: { type: 'string' },
    insurance: { type: 'string' },
    inspection: { type: 'string' },
    insurer: { type: 'string' },
    km: { type: 'string' },
    'order-km': { type: 'string' },
    'visit-on': { type: 'string' },
    'visit-km': { type: 'string' },
    'elsewhere-store': { type: 'string' },
    'elsewhere-place': { type: 'string' },
    'elsewhere-cost': { type: 'string' },
    'bad-on': { type: 'string' },
    'bad-km': { type: 'string' },
    shots: { type: 'string', default: join('target', 'screenshots') },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    headed: { type: 'boolean', default: false },
  },
});
const NEEDED = ['base', 'password', 'name', 'plate', 'receipt', 'points', 'balance', 'note', 'field-staff', 'company',
  'advisor', 'reception', 'staff-password', 'vin', 'birthday', 'delivered', 'insurance', 'inspection', 'insurer', 'km', 'order-km', 'visit-on', 'visit-km',
  'elsewhere-store', 'elsewhere-place', 'elsewhere-cost', 'bad-on', 'bad-km'];
for (const need of NEEDED) {
  if (!opts[need]) {
    console.error(`missing --${need}; see the head of office-members.mjs for the usage`);
    process.exit(2);
  }
}
const TIMEOUT = 30_000;
const SHOTS = opts.shots;
freshShots(SHOTS, 'office');

const browser = await launch(opts.chromium, opts.headed);
let context = await desktop(browser, TIMEOUT);
let page = await context.newPage();
let errors = watch(page);
const step = stepper({ shots: SHOTS, prefix: 'office', page: () => page, browser });

/** Fails when the page threw. */
function clean() {
  noErrors(errors);
}

/** The text field marked `name`. */
function field(name, within = page) {
  return fieldIn(within, name);
}

/** Signs in to the back office as `username`; resolves on the first page after it. */
async function officeSignIn(username, password) {
  await page.goto(`${opts.base}/office/#/login`);
  await field('username').fill(username);
  await field('password').fill(password);
  await page.locator('[data-test=sign-in]').click();
  await page.locator('[data-test=nav]').waitFor();
  await wholePage();
}

/**
 * Lets the page grow with its content instead of scrolling inside the layout's main area, so a
 * full-page screenshot shows a long screen (the member file) whole. Only the screenshots need it.
 */
async function wholePage() {
  await page.addStyleTag({
    content:
      'html,body,#app{height:auto!important} .shell{height:auto!important;min-height:100vh}' +
      ' .shell .el-main{overflow:visible!important}',
  });
}

/** Fails unless the navigation has every entry of `has` and none of `hasNot`. */
async function navigationIs(who, has, hasNot) {
  const nav = await navEntries();
  const missing = has.filter((n) => !nav.includes(`nav-${n}`));
  const extra = hasNot.filter((n) => nav.includes(`nav-${n}`));
  if (missing.length || extra.length) {
    throw new Error(`${who}'s navigation is ${nav.join(',')}: missing ${missing}, should not have ${extra}`);
  }
}

/** Searches the member list for `text`; waits for the answer. */
async function search(text) {
  await field('member-search').fill(text);
  const answer = page.waitForResponse((r) => r.url().includes('/api/members?') && r.request().method() === 'GET');
  await page.locator('[data-test=member-search-go]').click();
  await answer;
  await page.locator('[data-test=members-count]').waitFor();
}

/** The visible navigation entries' data-test names. */
async function navEntries() {
  return page.locator('[data-test=nav] [data-test^=nav-]').evaluateAll((els) => els.map((e) => e.dataset.test));
}

await step('the administrator signs in and lands on the member list', async () => {
  await officeSignIn(opts.user, opts.password);
  await page.locator('[data-test=members-page]').waitFor();
  await page.locator('[data-test=members-table] .el-table__row').first().waitFor();
  clean();
});

await step('the list shows the unresolved-conflict badge and the export button', async () => {
  await page.locator('[data-test=conflict-badge]').first().waitFor();
  await page.locator('[data-test=export]').waitFor();
  await shotBoth(page, SHOTS, 'office-members');
});

await step("the export downloads the store's members as CSV", async () => {
  const download = page.waitForEvent('download');
  await page.locator('[data-test=export]').click();
  const file = await download;
  const path = await file.path();
  const text = readFileSync(path, 'utf8');
  if (!text.includes(opts.name)) throw new Error(`the CSV does not list ${opts.name}: ${text.slice(0, 300)}`);
});

await step('a search by plate finds the member', async () => {
  await search(opts.plate);
  const rows = page.locator('[data-test=members-table] .el-table__row');
  const n = await rows.count();
  if (n < 1) throw new Error(`no member found for plate ${opts.plate}`);
  const text = await page.locator('[data-test=members-table]').innerText();
  if (!text.includes(opts.plate)) throw new Error(`the plate is not in the list: ${text}`);
  if (!text.includes(opts.name)) throw new Error(`the member ${opts.name} is not in the list: ${text}`);
  await shotBoth(page, SHOTS, 'office-members-plate');
});

await step('a search by name finds the member, and a click opens the file', async () => {
  await search(opts.name);
  const row = page.locator('[data-test=members-table] .el-table__row', { hasText: opts.name }).first();
  await row.waitFor();
  await row.click();
  await page.locator('[data-test=member-file]').waitFor();
  await page.locator('[data-test=file-name]', { hasText: opts.name }).waitFor();
  clean();
});

await step("the file's ledger shows the order's receipt, its points and the balance; referral, event, complaint shown", async () => {
  const ledger = page.locator('[data-test=ledger]');
  const line = ledger.locator('.el-table__row', { hasText: opts.receipt }).first();
  await line.waitFor();
  const points = (await line.locator('[data-test=ledger-points]').innerText()).trim();
  if (points !== `+${opts.points}`) throw new Error(`the order's line shows ${points}, not +${opts.points}`);
  const balance = (await page.locator('[data-test=file-points]').innerText()).trim();
  if (balance !== opts.balance) throw new Error(`the file shows ${balance} points, not ${opts.balance}`);
  // The newest line's balance is the file's.
  const last = (await ledger.locator('[data-test=ledger-balance]').first().innerText()).trim();
  if (last !== opts.balance) throw new Error(`the ledger ends at ${last}, not ${opts.balance}`);
  // The referral, the club event attended and the complaint are on the file.
  await page.locator('[data-test=file-referrals] li').first().waitFor();
  await page.locator('[data-test=file-events] li').first().waitFor();
  await page.locator('[data-test=file-complaints] li').first().waitFor();
  // The benefit used is listed with its value.
  await page.locator('[data-test=benefit-uses] .el-table__row').first().waitFor();
  // The duplicate vehicle shows on the file, with the way to the conflicts page.
  await page.locator('[data-test=file-conflicts]').waitFor();
  await page.locator('[data-test=file-viewers] .el-table__row').first().waitFor();
  await shotBoth(page, SHOTS, 'office-member-file');
});

await step("the administrator may name any of the store's service advisors on a visit", async () => {
  const vehicle = page.locator(`[data-test=sf-vehicle][data-vin="${opts.vin}"]`);
  await vehicle.locator('[data-test=sf-add-visit]').click();
  const dialog = page.locator('.el-dialog:visible', { has: page.locator('[data-test=sf-submit]') });
  await dialog.waitFor();
  await dialog.locator('[data-test=sf-form-advisor]').click();
  await page.locator('.el-select-dropdown:visible .el-select-dropdown__item', { hasText: opts.advisor }).first().waitFor();
  await dialog.locator('.el-dialog__header').click();
  await dialog.locator('[data-test=sf-cancel]').click();
  await dialog.waitFor({ state: 'hidden' });
  clean();
});

let code = '';
await step('an invitation code for the member app is handed out and shown', async () => {
  await page.locator('[data-test=invite]').click();
  await page.locator('[data-test=invite-code]').waitFor();
  code = (await page.locator('[data-test=invite-code]').innerText()).trim();
  if (code.length < 6) throw new Error(`no code shown: "${code}"`);
  console.log(`INVITE_CODE ${code}`);
  await page.locator('[data-test=invite-code-box]').scrollIntoViewIfNeeded();
  await shotBoth(page, SHOTS, 'office-member-invite');
});

await step('the conflicts page lists the duplicate vehicle with what each device recorded', async () => {
  await page.locator('[data-test=to-conflicts]').click();
  await page.locator('[data-test=conflicts-page]').waitFor();
  const card = page.locator('[data-test=conflict-duplicate_vin]').first();
  await card.waitFor();
  const members = card.locator('[data-test=conflict-member]');
  if ((await members.count()) < 2) throw new Error('the conflict does not list both members');
  await card.locator('.el-table__row').first().locator('.om-mono').first().waitFor();
  await shotBoth(page, SHOTS, 'office-conflicts');
});

await step('a decision without a note is refused in the form', async () => {
  const card = page.locator('[data-test=conflict-duplicate_vin]').first();
  await card.locator('[data-test=resolve-submit]').click();
  await card.locator('.el-form-item__error').first().waitFor();
});

await step('the conflict is resolved keeping one member, with a note', async () => {
  const card = page.locator('[data-test=conflict-duplicate_vin]').first();
  await card.locator('[data-test=resolve-keep]').click();
  // The options: "no particular record", then one per member; keep the one named --name.
  const options = page.locator('.el-select-dropdown:visible .el-select-dropdown__item');
  await options.first().waitFor();
  const labels = await options.allInnerTexts();
  const wanted = labels.findIndex((l) => l.includes(opts.name));
  if (wanted < 0) throw new Error(`no option keeps ${opts.name}: ${labels.join(' | ')}`);
  await options.nth(wanted).click();
  await card
    .locator('textarea[data-test=resolve-note], [data-test=resolve-note] textarea')
    .first()
    .fill(opts.note);
  const answer = page.waitForResponse((r) => r.url().includes('/resolve') && r.request().method() === 'POST');
  await card.locator('[data-test=resolve-submit]').click();
  const res = await answer;
  if (res.status() !== 200) throw new Error(`resolve answered ${res.status()}: ${await res.text()}`);
  await page.locator('[data-test=conflict-duplicate_vin]').waitFor({ state: 'detached' });
  await page.locator('[data-test=conflict-tabs] .el-tabs__item', { hasText: /已处理|Resolved/ }).click();
  const done = page.locator('[data-test=resolved-duplicate_vin] [data-test=decision]').first();
  await done.waitFor();
  const text = await done.innerText();
  if (!text.includes(opts.note)) throw new Error(`the decision shown is not the note: ${text}`);
  await shotBoth(page, SHOTS, 'office-conflicts-resolved');
  clean();
});

await step('the field staff account is assigned to the company', async () => {
  await page.locator('[data-test=nav-staff]').click();
  await page.locator('[data-test=staff-page]').waitFor();
  const card = page.locator(`[data-test="staff-${opts['field-staff']}"]`);
  await card.waitFor();
  await shotBoth(page, SHOTS, 'office-staff');
  await card.locator('[data-test=scope-companies]').click();
  await card.locator(`[data-test="company-${opts.company}"]`).click();
  const answer = page.waitForResponse((r) => r.url().includes('/assignment') && r.request().method() === 'PUT');
  await card.locator('[data-test=staff-save]').click();
  const res = await answer;
  if (res.status() !== 200) throw new Error(`the assignment answered ${res.status()}: ${await res.text()}`);
  await card.locator('[data-test=staff-current]', { hasText: opts.company }).waitFor();
  await shotBoth(page, SHOTS, 'office-staff-assigned');
  clean();
});

/** Signs out and in again as `username` in a fresh context. */
async function signInAs(username) {
  await page.locator('[data-test=sign-out]').click();
  await page.locator('[data-test=sign-in]').waitFor();
  await context.close();
  context = await desktop(browser, TIMEOUT);
  page = await context.newPage();
  errors = watch(page);
  await officeSignIn(username, opts['staff-password']);
}

await step('a service advisor sees the member list and the till, not approvals, conflicts or staff', async () => {
  await signInAs(opts.advisor);
  await navigationIs('the advisor', ['members', 'till'], ['approvals', 'conflicts', 'staff']);
  await page.locator('[data-test=members-table] .el-table__row').first().waitFor();
  if (await page.locator('[data-test=export]').count()) throw new Error('the advisor is offered the export');
  await shotBoth(page, SHOTS, 'office-advisor-members');
});

await step('the advisor opens the file: masked phone, the till link, no invitation code and no viewers', async () => {
  await search(opts.name);
  await page.locator('[data-test=members-table] .el-table__row', { hasText: opts.name }).first().click();
  await page.locator('[data-test=member-file]').waitFor();
  await page.locator('[data-test=to-till]').waitFor();
  const phone = (await page.locator('[data-test=file-phone]').innerText()).trim();
  if (!phone.includes('*')) throw new Error(`the advisor sees the whole phone number: ${phone}`);
  if (await page.locator('[data-test=invite]').count()) throw new Error('the advisor is offered an invitation code');
  if (await page.locator('[data-test=file-viewers]').count()) throw new Error('the advisor sees the audit');
  await page.locator('[data-test=ledger] .el-table__row').first().waitFor();
  await shotBoth(page, SHOTS, 'office-advisor-file');
  // A page the role may not use sends it back to its first page.
  await page.goto(`${opts.base}/office/#/conflicts`);
  await page.locator('[data-test=members-page]').waitFor();
  clean();
});

/** The member's vehicle in the service file. */
const serviceVehicle = () => page.locator(`[data-test=sf-vehicle][data-vin="${opts.vin}"]`);
/** The open service-file dialog. */
const sfDialog = () => page.locator('.el-dialog:visible', { has: page.locator('[data-test=sf-submit]') });

/** Types `value` (YYYY-MM-DD) into the date picker marked `name` in the open dialog. */
async function pickDay(name, value) {
  const input = sfDialog().locator(`[data-test=${name}] input`);
  await input.click();
  await input.fill(value);
  await input.press('Enter');
  await page.waitForFunction(
    ([sel, want]) => document.querySelector(sel)?.value === want,
    [`.el-dialog [data-test=${name}] input`, value],
  );
  // Close the calendar by clicking the dialog's title.
  await sfDialog().locator('.el-dialog__header').click();
}

/** Submits the open service-file dialog; resolves with the server's answer to `path`. */
async function submitDialog(path, method) {
  const answer = page.waitForResponse((r) => r.url().includes(path) && r.request().method() === method);
  await sfDialog().locator('[data-test=sf-submit]').click();
  return answer;
}

await step("the advisor sees the member's lifelong service file: the till's orders are among the visits", async () => {
  await search(opts.name);
  await page.locator('[data-test=members-table] .el-table__row', { hasText: opts.name }).first().click();
  await page.locator('[data-test=member-file]').waitFor();
  const file = page.locator('[data-test=service-file]');
  await file.scrollIntoViewIfNeeded();
  await serviceVehicle().waitFor();
  const visits = serviceVehicle().locator('[data-test=sf-visits] .el-table__row');
  await visits.first().waitFor();
  const kinds = await serviceVehicle().locator('[data-test=sf-visit-kind]').allInnerTexts();
  if (!kinds.some((k) => k.includes('维修'))) throw new Error(`the settled order is not a repair visit: ${kinds}`);
  if (!kinds.some((k) => k.includes('定保'))) throw new Error(`the settled maintenance is not a regular service: ${kinds}`);
  const orderKm = Number(opts['order-km']).toLocaleString('zh-CN');
  await serviceVehicle().locator('[data-test=sf-visits] .el-table__row', { hasText: orderKm }).first().waitFor();
  await serviceVehicle().locator('[data-test=sf-readings] .el-table__row', { hasText: orderKm }).first().waitFor();
  await serviceVehicle().locator('[data-test=sf-edit-vehicle]').waitFor();
  await serviceVehicle().locator('[data-test=sf-add-visit]').waitFor();
  await page.locator('[data-test=sf-edit-person]').waitFor();
  clean();
});

await step("the advisor records the owner's birthday, home region, call slots and SMS consent", async () => {
  await page.locator('[data-test=sf-edit-person]').click();
  await sfDialog().waitFor();
  await pickDay('sf-form-birthday', opts.birthday);
  await sfDialog().locator('[data-test=sf-region-non_local]').click();
  await sfDialog().locator('[data-test=sf-slot-morning]').click();
  await sfDialog().locator('[data-test=sf-slot-evening]').click();
  await sfDialog().locator('[data-test=sf-form-sms]').click();
  await shotBoth(page, SHOTS, 'office-service-person-form');
  const res = await submitDialog('/person-facts', 'PUT');
  if (!res.ok()) throw new Error(`the person facts answered ${res.status()}: ${await res.text()}`);
  await sfDialog().waitFor({ state: 'hidden' });
  await page.locator(`[data-test=sf-birthday][data-day="${opts.birthday}"]`).waitFor();
  await page.locator('[data-test=sf-region]', { hasText: '外地' }).waitFor();
  const slots = await page.locator('[data-test=sf-slots]').innerText();
  if (!slots.includes('上午') || !slots.includes('晚上') || slots.includes('中午')) throw new Error(`the call slots shown: ${slots}`);
  await page.locator('[data-test=sf-sms]', { hasText: '同意接收短信' }).waitFor();
  clean();
});

await step('the advisor records the delivery day, the insurer, the insurance expiry and the inspection day', async () => {
  await serviceVehicle().locator('[data-test=sf-edit-vehicle]').click();
  await sfDialog().waitFor();
  await pickDay('sf-form-delivered', opts.delivered);
  await pickDay('sf-form-insurance', opts.insurance);
  await pickDay('sf-form-inspection', opts.inspection);
  await sfDialog().locator('input[data-test=sf-form-insurer], [data-test=sf-form-insurer] input').first().fill(opts.insurer);
  await shotBoth(page, SHOTS, 'office-service-vehicle-form');
  const res = await submitDialog('/facts', 'PUT');
  if (!res.ok()) throw new Error(`the vehicle facts answered ${res.status()}: ${await res.text()}`);
  await sfDialog().waitFor({ state: 'hidden' });
  await serviceVehicle().locator(`[data-test=sf-delivered][data-day="${opts.delivered}"]`).waitFor();
  await serviceVehicle().locator(`[data-test=sf-insurance][data-day="${opts.insurance}"]`).waitFor();
  await serviceVehicle().locator('[data-test=sf-insurer]', { hasText: opts.insurer }).waitFor();
  // An inspection day already passed is marked so.
  await serviceVehicle().locator(`[data-test=sf-inspection][data-day="${opts.inspection}"]`).waitFor();
  await serviceVehicle().locator('.sf-past', { hasText: '已过期' }).waitFor();
  clean();
});

await step('a mileage reading without kilometres is stopped in the form; one with them is recorded', async () => {
  await serviceVehicle().locator('[data-test=sf-add-mileage]').click();
  await sfDialog().waitFor();
  await sfDialog().locator('[data-test=sf-submit]').click();
  await sfDialog().locator('.el-form-item__error').first().waitFor();
  await sfDialog().locator('input[data-test=sf-form-km], [data-test=sf-form-km] input').first().fill(opts.km);
  const res = await submitDialog('/mileage', 'POST');
  if (!res.ok()) throw new Error(`the reading answered ${res.status()}: ${await res.text()}`);
  await sfDialog().waitFor({ state: 'hidden' });
  const km = Number(opts.km).toLocaleString('zh-CN');
  await serviceVehicle().locator('[data-test=sf-readings] .el-table__row', { hasText: km }).first().waitFor();
  await serviceVehicle().locator('[data-test=sf-last-km]', { hasText: km }).waitFor();
  clean();
});

await step('the advisor records a regular service done at another store, with its name, place and cost', async () => {
  await serviceVehicle().locator('[data-test=sf-add-visit]').click();
  await sfDialog().waitFor();
  await pickDay('sf-form-on', opts['visit-on']);
  await sfDialog().locator('input[data-test=sf-form-km], [data-test=sf-form-km] input').first().fill(opts['visit-km']);
  await sfDialog().locator('[data-test=sf-kind-regular_service]').click();
  await sfDialog().locator('[data-test=sf-form-elsewhere]').click();
  await sfDialog().locator('input[data-test=sf-form-store], [data-test=sf-form-store] input').first().fill(opts['elsewhere-store']);
  await sfDialog().locator('input[data-test=sf-form-place], [data-test=sf-form-place] input').first().fill(opts['elsewhere-place']);
  await sfDialog().locator('input[data-test=sf-form-cost], [data-test=sf-form-cost] input').first().fill(opts['elsewhere-cost']);
  await shotBoth(page, SHOTS, 'office-service-visit-form');
  const res = await submitDialog('/service-visits', 'POST');
  if (!res.ok()) throw new Error(`the visit answered ${res.status()}: ${await res.text()}`);
  await sfDialog().waitFor({ state: 'hidden' });
  const row = serviceVehicle().locator('[data-test=sf-visits] .el-table__row', { has: page.locator('[data-test=sf-elsewhere]') });
  await row.first().waitFor();
  const text = await row.first().innerText();
  for (const want of [opts['elsewhere-store'], opts['elsewhere-place'], '定保', '外店']) {
    if (!text.includes(want)) throw new Error(`the other store's visit does not show ${want}: ${text}`);
  }
  clean();
});

await step("a reading that would turn the odometer back is refused with the server's reason, in either language", async () => {
  await serviceVehicle().locator('[data-test=sf-add-mileage]').click();
  await sfDialog().waitFor();
  await pickDay('sf-form-on', opts['bad-on']);
  await sfDialog().locator('input[data-test=sf-form-km], [data-test=sf-form-km] input').first().fill(opts['bad-km']);
  const res = await submitDialog('/mileage', 'POST');
  if (res.ok()) throw new Error(`a reading of ${opts['bad-km']} km on ${opts['bad-on']} was accepted`);
  const error = sfDialog().locator('[data-test=sf-error]');
  await error.waitFor();
  const zh = (await error.innerText()).trim();
  if (!/[\u4e00-\u9fa5]/.test(zh)) throw new Error(`the refusal is not in Chinese: ${zh}`);
  await shotBoth(page, SHOTS, 'office-service-refused');
  await page.locator('[data-test=lang]:visible').first().dispatchEvent('click');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  await page.waitForFunction(
    (before) => {
      const now = document.querySelector('[data-test=sf-error]')?.textContent?.trim() ?? '';
      return now && now !== before && !/[\u4e00-\u9fa5]/.test(now);
    },
    zh,
  );
  await page.locator('[data-test=lang]:visible').first().dispatchEvent('click');
  await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
  await sfDialog().locator('[data-test=sf-cancel]').click();
  await sfDialog().waitFor({ state: 'hidden' });
  // The success messages gone and the page at its top, so the shot shows the file as a person reads it.
  await page.locator('.el-message').first().waitFor({ state: 'detached' }).catch(() => {});
  await page.evaluate(() => window.scrollTo(0, 0));
  await shotBoth(page, SHOTS, 'office-service-file');
  clean();
});

await step('reception sees the member list but not the till, approvals, conflicts or staff; rows open no file', async () => {
  await signInAs(opts.reception);
  await navigationIs('reception', ['members'], ['approvals', 'till', 'conflicts', 'staff']);
  await page.locator('[data-test=members-table] .el-table__row').first().waitFor();
  await page.locator('[data-test=members-table] .el-table__row').first().click();
  await page.waitForTimeout(300);
  if (await page.locator('[data-test=member-file]').count()) throw new Error('reception opened a member file');
  await shotBoth(page, SHOTS, 'office-reception-members');
  clean();
});

await browser.close();
console.log('office members: all steps passed');
