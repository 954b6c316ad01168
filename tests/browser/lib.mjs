// What the browser scripts of the Vue web app share: Chromium (from phone.mjs), phone and desktop
// contexts, numbered steps that stop the script on the first failure, screenshots of a screen in
// both languages, and the back office's sign-in.

import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { launch, phone } from './phone.mjs';

export { launch, phone };

/** A desktop-sized, Chinese-locale context (the back office), with `timeout` for every wait. */
export async function desktop(browser, timeout, extra = {}) {
  const context = await browser.newContext({
    viewport: { width: 1366, height: 900 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    ...extra,
  });
  context.setDefaultTimeout(timeout);
  return context;
}

/**
 * Makes `dir` and removes the screenshots a previous run of this script left (`<prefix>-*.png`).
 * A file another story running at the same time removed first is no error (`member-` also
 * matches `member-offline-`).
 */
export function freshShots(dir, prefix) {
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(dir)) {
    if (file.startsWith(`${prefix}-`) && file.endsWith('.png')) rmSync(join(dir, file), { force: true });
  }
}

/**
 * Collects the page's uncaught errors and prints its console errors, so a failing step shows them.
 * Returns the list of uncaught errors.
 */
export function watch(page, label = '') {
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') console.log(`  [${label}console.error] ${msg.text()}`);
  });
  return errors;
}

/**
 * The text field marked `name` inside `scope` (a page or a locator): Element Plus puts a field's
 * attributes on the `input`/`textarea` itself, or (in other versions) on its wrapper.
 */
export function fieldIn(scope, name) {
  return scope
    .locator(
      `input[data-test=${name}], textarea[data-test=${name}], [data-test=${name}] input, [data-test=${name}] textarea`,
    )
    .first();
}

/** Fails when `errors` (from `watch`) holds any uncaught page error. */
export function noErrors(errors) {
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
}

/**
 * Numbered steps: `await step('signs in', async () => …)` prints the step and its time, and on
 * failure prints the error, takes a screenshot `<prefix>-failed.png` of `page()` and exits 1.
 */
export function stepper({ shots, prefix, page, browser }) {
  let n = 0;
  return async function step(title, body) {
    n += 1;
    const started = Date.now();
    try {
      const value = await body();
      console.log(`ok ${n} - ${title} (${Date.now() - started} ms)`);
      return value;
    } catch (err) {
      console.log(`not ok ${n} - ${title}\n  ${String(err?.stack ?? err).split('\n').join('\n  ')}`);
      try {
        await page()?.screenshot({ path: join(shots, `${prefix}-failed.png`), fullPage: true });
      } catch {
        // No page to show.
      }
      await browser?.close().catch(() => {});
      process.exit(1);
    }
  };
}

/**
 * Resolves when every chart on the page has finished drawing: a page with charts marks each with
 * `data-drawn="yes"` once the chart has emitted its `finished` event for its latest option (after
 * the animation), and `"no"` while it draws. Waits two frames first so that a change just made
 * (a language switch) has reached the charts.
 */
export async function drawn(page) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.waitForFunction(() => [...document.querySelectorAll('[data-drawn]')].every((e) => e.dataset.drawn === 'yes'));
}

/**
 * Screenshots the page as it is, in Chinese and then in English: `<name>.zh-CN.png` and
 * `<name>.en.png`. Switches with the app's own language button (`[data-test=lang]`, the first
 * visible one) and back, so the screen keeps its state.
 */
export async function shotBoth(page, dir, name) {
  const lang = page.locator('[data-test=lang]:visible').first();
  const current = await page.evaluate(() => document.documentElement.lang);
  const first = current === 'en' ? 'en' : 'zh-CN';
  const second = first === 'en' ? 'zh-CN' : 'en';
  await page.waitForTimeout(150);
  await drawn(page);
  await page.screenshot({ path: join(dir, `${name}.${first}.png`), fullPage: true });
  // A DOM click: the switch works even behind a modal dialog (its words change with the language).
  await lang.dispatchEvent('click');
  await page.waitForFunction((want) => document.documentElement.lang === want, second);
  await page.waitForTimeout(150);
  await drawn(page);
  await page.screenshot({ path: join(dir, `${name}.${second}.png`), fullPage: true });
  await lang.dispatchEvent('click');
  await page.waitForFunction((want) => document.documentElement.lang === want, first);
}

/** Signs in to the back office at `base` as `username`; resolves on the first page after it. */
export async function officeSignIn(page, base, username, password) {
  await page.goto(`${base}/office/#/login`);
  // Element Plus puts the attributes of an el-input on its <input>.
  await page.locator('input[data-test=username]').fill(username);
  await page.locator('input[data-test=password]').fill(password);
  await page.locator('[data-test=sign-in]').click();
  await page.locator('[data-test=nav]').waitFor();
}
