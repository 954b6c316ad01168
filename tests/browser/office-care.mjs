// Drives the back office's care screens (Vue, Element Plus) in headless Chromium, desktop size: as
// the administrator it filters the complaints board, files a complaint taken at the counter for a
// member found by name, escalates one with a reason, answers and closes another, opens a member's
// file from a complaint, opens the monthly analysis (the charts draw on a canvas) and reads last
// month against the month before, filters the audit log by the member and finds the view of their
// file, and exports the member list (which then shows in the log). As the reception it is refused,
// in Chinese, an answer to a complaint its rung does not own. Screenshots of every screen in zh-CN
// and English go to --shots as care-*.png.
//
//   node tests/browser/office-care.mjs --base URL --user admin --password PW --reception reception1 \
//        --staff-password PW --member 王芳 --filed-text T --escalate-text T --escalate-reason T \
//        --answer-text T --answer-reply T --overdue-text T --late-text T --last-month 2026-10 \
//        --before-filed 2 [--shots target/screenshots]
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
    reception: { type: 'string' },
    'staff-password': { type: 'string' },
    member: { type: 'string' },
    'filed-text': { type: 'string' },
    'escalate-text': { type: 'string' },
    'escalate-reason': { type: 'string' },
    'answer-text': { type: 'string' },
    'answer-reply': { type: 'string' },
    'overdue-text': { type: 'string' },
    'late-text': { type: 'string' },
    'last-month': { type: 'string' },
    'before-filed': { type: 'string' },
    shots: { type: 'string', default: join('target', 'screenshots') },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    headed: { type: 'boolean', default: false },
  },
});
const NEEDED = ['base', 'password', 'reception', 'staff-password', 'member', 'filed-text', 'escalate-text',
  'escalate-reason', 'answer-text', 'answer-reply', 'overdue-text', 'late-text', 'last-month', 'before-filed'];
for (const need of NEEDED) {
  if (!opts[need]) {
    console.error(`missing --${need}; see the head of office-care.mjs for the usage`);
    process.exit(2);
  }
}
const TIMEOUT = 30_000;
const SHOTS = opts.shots;
const PREFIX = 'care';
const CHINESE = /[\u4e00-\u9fff]/;
freshShots(SHOTS, PREFIX);

const browser = await launch(opts.chromium, opts.headed);
let context = await desktop(browser, TIMEOUT, { acceptDownloads: true });
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

async function signIn(username, password) {
  await page.goto(`${opts.base}/office/#/login`);
  await field('username').fill(username);
  await field('password').fill(password);
  await page.locator('[data-test=sign-in]').click();
  await page.locator('[data-test=nav]').waitFor();
}

/** The board's row holding `text`. */
function row(text) {
  return page.locator('[data-test=complaints-table] .el-table__body tr', { hasText: text }).first();
}

/** The action button `name` of the board's row holding `text` (the fixed column's copy). */
function action(text, name) {
  return page
    .locator('[data-test=complaints-table] .el-table__fixed-right tr, [data-test=complaints-table] .el-table__body tr', {
      hasText: text,
    })
    .locator(`[data-test=${name}]:visible`)
    .first();
}

/** Picks the option of an Element Plus select marked `name` whose text has `label`. */
async function choose(name, label) {
  await page.locator(`[data-test=${name}]`).first().click();
  await page.locator('.el-select-dropdown:visible .el-select-dropdown__item', { hasText: label }).first().click();
}

/** Finds a member by name in a member picker marked `name` and picks them. */
async function pickMember(name, who) {
  const input = field(name);
  await input.click();
  await input.pressSequentially(who, { delay: 30 });
  const option = page.locator('.el-select-dropdown:visible .el-select-dropdown__item', { hasText: who }).first();
  await option.waitFor();
  await option.click();
}

/**
 * Screenshots in both languages while a dialog covers the page: the language button under the
 * dialog's overlay cannot be clicked with the mouse, so it is clicked by a DOM event.
 */
async function shotModal(name) {
  const lang = page.locator('[data-test=lang]').first();
  const current = await page.evaluate(() => document.documentElement.lang);
  const first = current === 'en' ? 'en' : 'zh-CN';
  const second = first === 'en' ? 'zh-CN' : 'en';
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(SHOTS, `${name}.${first}.png`), fullPage: true });
  await lang.dispatchEvent('click');
  await page.waitForFunction((want) => document.documentElement.lang === want, second);
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(SHOTS, `${name}.${second}.png`), fullPage: true });
  await lang.dispatchEvent('click');
  await page.waitForFunction((want) => document.documentElement.lang === want, first);
}

async function waitBoard() {
  await page.locator('[data-test=complaints-table] .el-table__body tr').first().waitFor();
  await page.waitForFunction(() => !document.querySelector('[data-test=complaints-table] .el-loading-mask:not([style*="display: none"])'));
}

await step('the administrator signs in and opens the complaints board', async () => {
  await signIn(opts.user, opts.password);
  await page.locator('[data-test=nav]').getByText('投诉处理').click();
  await page.locator('[data-test=complaints-page]').waitFor();
  await waitBoard();
  await row(opts['overdue-text']).waitFor();
  const overdue = await row(opts['overdue-text']).locator('[data-test=due]').innerText();
  if (!/逾期/.test(overdue)) throw new Error(`the overdue complaint says ${overdue}`);
  const late = await row(opts['late-text']).locator('[data-test=answer-state]').innerText();
  if (!/逾期答复/.test(late)) throw new Error(`the late answer says ${late}`);
  clean();
  await shotBoth(page, SHOTS, 'care-board');
});

await step('filters by channel and overdue', async () => {
  await choose('filter-channel', '信函');
  const count = (n) =>
    page.waitForFunction(
      (want) => document.querySelector('[data-test=complaints-count]')?.textContent?.includes(` ${want} `),
      n,
    );
  // Last month's letter (answered late, still open) and the overdue one.
  await count(2);
  await row(opts['overdue-text']).waitFor();
  await page.locator('[data-test=filter-overdue]').click();
  await count(1);
  await row(opts['overdue-text']).waitFor();
  await shotBoth(page, SHOTS, 'care-board-filtered');
  await page.locator('[data-test=filter-overdue]').click();
  await page.locator('[data-test=filter-channel] .el-select__wrapper').hover();
  await page.locator('[data-test=filter-channel] .el-select__clear').click();
  await row(opts['escalate-text']).waitFor();
  clean();
});

await step('files a complaint taken at the counter for a member found by name', async () => {
  await page.locator('[data-test=file-complaint]').click();
  const dialog = page.locator('.el-dialog:visible');
  await dialog.waitFor();
  // Submitting empty says what is missing, in Chinese.
  await page.locator('[data-test=file-submit]').click();
  await dialog.locator('.el-form-item__error', { hasText: '请填写' }).waitFor();
  await pickMember('file-member', opts.member);
  await field('file-text').fill(opts['filed-text']);
  await dialog.getByText('责任人：前台').waitFor();
  await shotModal('care-file');
  await page.locator('[data-test=file-submit]').click();
  await dialog.waitFor({ state: 'hidden' });
  await row(opts['filed-text']).waitFor();
  const text = await row(opts['filed-text']).innerText();
  if (!text.includes(opts.member) || !text.includes('柜台')) throw new Error(`the new row: ${text}`);
  clean();
});

await step('escalates a complaint with a reason', async () => {
  await action(opts['escalate-text'], 'complaint-escalate').click();
  await page.locator('.el-dialog:visible [data-test=escalate-to-claim]').click();
  await field('escalate-text').fill(opts['escalate-reason']);
  await page.locator('.el-dialog:visible').getByText('责任人：总经理').waitFor();
  await shotModal('care-escalate');
  await page.locator('[data-test=escalate-submit]').click();
  await page.locator('.el-dialog:visible').waitFor({ state: 'hidden' });
  await row(opts['escalate-text']).getByText('索赔').waitFor();
  clean();
});

await step('answers a complaint and closes it', async () => {
  await action(opts['answer-text'], 'complaint-answer').click();
  await field('answer-text').fill(opts['answer-reply']);
  await shotModal('care-answer');
  await page.locator('[data-test=answer-submit]').click();
  await page.locator('.el-dialog:visible').waitFor({ state: 'hidden' });
  await row(opts['answer-text']).getByText('按时答复').waitFor();
  await action(opts['answer-text'], 'complaint-close').click();
  const box = page.locator('.el-message-box:visible');
  await box.waitFor();
  await box.locator('.el-button--primary').click();
  // The board shows open complaints: the closed one leaves it; under "all" it shows closed.
  await row(opts['answer-text']).waitFor({ state: 'detached' });
  await page.locator('[data-test=filter-all]').click();
  await row(opts['answer-text']).getByText('已结案').waitFor();
  await shotBoth(page, SHOTS, 'care-board-after');
  clean();
});

await step('opens a complaint and from it the member file', async () => {
  await action(opts['late-text'], 'complaint-detail-open').click();
  const drawer = page.locator('.el-drawer:visible');
  await drawer.waitFor();
  await drawer.locator('[data-test=detail-answer]').waitFor();
  await shotModal('care-detail');
  const file = page.waitForResponse((r) => /\/api\/members\/[^/?]+$/.test(new URL(r.url()).pathname) && r.ok());
  await drawer.locator('[data-test=detail-open-file]').click();
  await file;
  await page.waitForURL(/#\/members\//);
  clean();
});

await step('the monthly analysis draws its charts', async () => {
  await page.goto(`${opts.base}/office/#/complaints?tab=analysis`);
  await page.locator('[data-test=analysis-table]').waitFor();
  for (const chart of ['chart-level', 'chart-channel']) {
    const canvas = page.locator(`[data-test=${chart}] canvas`).first();
    await canvas.waitFor();
    const box = await canvas.boundingBox();
    if (!box || box.width < 100 || box.height < 100) throw new Error(`${chart} canvas is ${JSON.stringify(box)}`);
  }
  const rate = await page.locator('[data-test=cur-rate]').innerText();
  if (!rate) throw new Error('no on-time rate cell');
  clean();
  await shotBoth(page, SHOTS, 'care-analysis');
  await page.locator('[data-test=analysis-table]').scrollIntoViewIfNeeded();
  await shotBoth(page, SHOTS, 'care-analysis-table');
});

await step('last month against the month before', async () => {
  const input = field('analysis-month');
  await input.click();
  await input.fill(opts['last-month']);
  await input.press('Enter');
  await page.locator('[data-test=analysis-title]', { hasText: opts['last-month'] }).waitFor();
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.waitForFunction(
    (want) => document.querySelector('[data-test=prev-filed]')?.textContent?.trim() === want,
    opts['before-filed'],
  );
  const prevRate = await page.locator('[data-test=prev-rate]').innerText();
  if (prevRate.trim() !== '50.0%') throw new Error(`the month before's on-time rate is ${prevRate}`);
  clean();
  await shotBoth(page, SHOTS, 'care-analysis-last-month');
});

await step('the audit log filtered by the member shows the view of their file', async () => {
  await page.locator('[data-test=nav]').getByText('审计日志').click();
  await page.locator('[data-test=audit-page]').waitFor();
  await page.locator('[data-test=audit-table] .el-table__body tr').first().waitFor();
  await pickMember('audit-member', opts.member);
  await page.locator('[data-test=audit-search]').click();
  await page.locator('[data-test=audit-table] [data-test=audit-row-view_member_file]').first().waitFor();
  // The filtered page replaces the unfiltered one when its answer arrives.
  await page
    .waitForFunction((name) => {
      const cells = [...document.querySelectorAll('[data-test=audit-table] [data-test=audit-row-member]')];
      return cells.length > 0 && cells.every((c) => c.textContent.trim() === name);
    }, opts.member, { timeout: 30000 })
    .catch(() => undefined);
  const members = await page.locator('[data-test=audit-table] [data-test=audit-row-member]').allInnerTexts();
  if (!members.length || members.some((m) => m.trim() !== opts.member)) {
    throw new Error(`records of other members: ${members.join(', ')}`);
  }
  clean();
  await shotBoth(page, SHOTS, 'care-audit');
});

await step('exports the member list, which the log then shows', async () => {
  await page.locator('[data-test=audit-reset]').click();
  const download = page.waitForEvent('download');
  await page.locator('[data-test=audit-export]').click();
  const file = await download;
  if (!/\.csv$/.test(file.suggestedFilename())) throw new Error(`downloaded ${file.suggestedFilename()}`);
  await page.locator('[data-test=audit-table] [data-test=audit-row-export_members]').first().waitFor();
  clean();
  await shotBoth(page, SHOTS, 'care-audit-export');
});

await step('the reception is refused, in Chinese, an answer its rung does not own', async () => {
  await context.close();
  context = await desktop(browser, TIMEOUT);
  page = await context.newPage();
  errors = watch(page, 'reception ');
  await signIn(opts.reception, opts['staff-password']);
  const nav = await page.locator('[data-test=nav]').innerText();
  if (nav.includes('审计日志')) throw new Error(`the reception sees the audit log: ${nav}`);
  await page.locator('[data-test=nav]').getByText('投诉处理').click();
  await waitBoard();
  await action(opts['overdue-text'], 'complaint-answer').click();
  await page.locator('[data-test=late-warning]').waitFor();
  await field('answer-text').fill('前台试图答复');
  await page.locator('[data-test=answer-submit]').click();
  const refusal = page.locator('[data-test=answer-error]');
  await refusal.waitFor();
  const said = await refusal.innerText();
  if (!CHINESE.test(said)) throw new Error(`the refusal is not in Chinese: ${said}`);
  console.log(`refused: ${said}`);
  clean();
  await shotModal('care-refused');
});

await browser.close();
console.log('office-care: all steps passed');
