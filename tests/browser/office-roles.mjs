// Signs in to the back office as each staff role in turn (headless Chromium, desktop size) and checks
// that the navigation offers exactly the pages the permission matrix allows that role: the expected
// set is derived here from the matrix (docs/permissions.md, checked against GET /api/permissions)
// and the operation(s) each page needs (`meta.needs` in web/src/office/router.ts: one operation, or
// any of several) — not from a list of what the app shows. Then a member's login is refused with a
// message. Screenshots (admin-roles-<role>.*.png, admin-roles-member-refused.*.png) go to --shots.
//
//   node tests/browser/office-roles.mjs --base URL --accounts 'admin:PW,club_manager:cm1:PW,…' \
//        --member-user wangfang --member-password PW [--shots target/screenshots]
//
// `--accounts` lists `role:username:password` for each role (`admin:admin:PW` for the
// administrator). Exits non-zero on the first failed step. Never downloads a browser.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { desktop, fieldIn, freshShots, launch, shotBoth, stepper, watch } from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    base: { type: 'string' },
    accounts: { type: 'string' },
    'member-user': { type: 'string' },
    'member-password': { type: 'string' },
    shots: { type: 'string', default: join('target', 'screenshots') },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    headed: { type: 'boolean', default: false },
  },
});
for (const need of ['base', 'accounts', 'member-user', 'member-password']) {
  if (!opts[need]) {
    console.error(`missing --${need}; see the head of office-roles.mjs for the usage`);
    process.exit(2);
  }
}
const TIMEOUT = 30_000;
const SHOTS = opts.shots;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
freshShots(SHOTS, 'admin-roles');

const STAFF_ROLES = ['admin', 'general_manager', 'club_manager', 'care_specialist', 'activity_specialist',
  'field_staff', 'service_advisor', 'finance', 'reception'];
const accounts = new Map(
  opts.accounts.split(',').map((entry) => {
    const [role, username, ...rest] = entry.split(':');
    return [role, { username, password: rest.join(':') }];
  }),
);
for (const role of STAFF_ROLES) {
  if (!accounts.has(role)) {
    console.error(`--accounts names no ${role}`);
    process.exit(2);
  }
}

/** The matrix of docs/permissions.md: operation → role → scope (`group`, `store`, `own`, `—`). */
function documentedMatrix() {
  const text = readFileSync(join(ROOT, 'docs', 'permissions.md'), 'utf8');
  const lines = text.split('\n').filter((l) => l.startsWith('|'));
  const header = lines.find((l) => l.includes('| operation |') && l.includes('admin'));
  if (!header) throw new Error('docs/permissions.md has no matrix');
  const roles = header.split('|').slice(2, -1).map((c) => c.trim());
  const matrix = {};
  for (const line of lines.slice(lines.indexOf(header) + 2)) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length !== roles.length + 1) break;
    const op = cells[0].replaceAll('`', '');
    matrix[op] = Object.fromEntries(roles.map((r, i) => [r, cells[i + 1]]));
  }
  return matrix;
}

/** The text field marked `name`. */
function field(name, within = page) {
  return fieldIn(within, name);
}

/** Whether a scope lets the role do the operation at all. */
function allowed(scope) {
  return scope === 'group' || scope === 'store' || scope === 'own';
}

/** The back office's navigation pages from router.ts: path and the operation(s) each needs. */
function routerPages() {
  const text = readFileSync(join(ROOT, 'web', 'src', 'office', 'router.ts'), 'utf8');
  const body = text.slice(text.indexOf('export const pages'), text.indexOf('const router'));
  const pages = [];
  for (const block of body.split(/\n  \{\n/).slice(1)) {
    const path = block.match(/path: '([^']+)'/)?.[1];
    const meta = block.match(/meta: \{([^}]*)\}/)?.[1] ?? '';
    if (!path || !/\bnav:/.test(meta)) continue;
    const needs = meta.match(/needs: (\[[^\]]*\]|'[^']*')/)?.[1];
    if (!needs) throw new Error(`router.ts: ${path} names no operation it needs`);
    const ops = [...needs.matchAll(/'([^']+)'/g)].map((m) => m[1]);
    pages.push({ path, ops });
  }
  if (pages.length < 5) throw new Error(`router.ts: only ${pages.length} navigation pages read`);
  return pages;
}

const browser = await launch(opts.chromium, opts.headed);
const context = await desktop(browser, TIMEOUT);
let page = await context.newPage();
let errors = watch(page);
const step = stepper({ shots: SHOTS, prefix: 'admin-roles', page: () => page, browser });

let matrix = {};
let pages = [];
await step('the matrix of docs/permissions.md is the one the server serves; the pages are read from router.ts', async () => {
  matrix = documentedMatrix();
  const res = await fetch(`${opts.base}/api/permissions`);
  const served = (await res.json()).operations;
  for (const [op, row] of Object.entries(served)) {
    for (const [role, scope] of Object.entries(row)) {
      const doc = matrix[op]?.[role];
      if (allowed(doc) !== allowed(scope)) throw new Error(`${op} for ${role}: documented ${doc}, served ${scope}`);
    }
  }
  pages = routerPages();
  for (const p of pages) {
    for (const op of p.ops) if (!matrix[op]) throw new Error(`${p.path} needs ${op}, which the matrix lacks`);
  }
  console.log(`pages: ${pages.map((p) => `${p.path}=${p.ops.join('|')}`).join(' ')}`);
});

for (const role of STAFF_ROLES) {
  const { username, password } = accounts.get(role);
  await step(`${role} (${username}) is offered exactly the pages the matrix allows`, async () => {
    await page.close();
    page = await context.newPage();
    errors = watch(page);
    await page.goto(`${opts.base}/office/#/login`);
    await page.evaluate(() => sessionStorage.clear());
    await field('username').fill(username);
    await field('password').fill(password);
    await page.locator('[data-test=sign-in]').click();
    await page.locator('[data-test=nav]').waitFor();
    await page.locator('[data-test=who]').waitFor();
    const want = pages
      .filter((p) => p.ops.some((op) => allowed(matrix[op][role])))
      .map((p) => p.path.slice(1))
      .sort();
    const shown = (
      await page.locator('[data-test=nav] [data-test^="nav-"]').evaluateAll((els) =>
        els.map((e) => e.getAttribute('data-test').slice(4)),
      )
    ).sort();
    if (JSON.stringify(shown) !== JSON.stringify(want)) {
      throw new Error(`${role}: the navigation offers [${shown}], the matrix allows [${want}]`);
    }
    if (!want.length) throw new Error(`${role} may use no page at all`);
    // The page the role lands on is one of its own, and it opened without an error.
    const landed = await page.evaluate(() => location.hash.replace(/^#\//, '').split(/[/?]/)[0]);
    if (!want.includes(landed)) throw new Error(`${role} landed on ${landed}, not one of [${want}]`);
    await page.waitForTimeout(400);
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    console.log(`${role}: ${shown.join(' ')}`);
    if (['admin', 'club_manager', 'finance', 'reception', 'field_staff'].includes(role)) {
      await shotBoth(page, SHOTS, `admin-roles-${role}`);
    }
    await page.locator('[data-test=sign-out]').click();
    await page.locator('[data-test=sign-in]').waitFor();
  });
}

await step('a member signing in to the back office is refused with a message', async () => {
  await page.goto(`${opts.base}/office/#/login`);
  await field('username').fill(opts['member-user']);
  await field('password').fill(opts['member-password']);
  await page.locator('[data-test=sign-in]').click();
  const alert = page.locator('[data-test=login-error]');
  await alert.waitFor();
  const said = await alert.innerText();
  if (!said.includes('会员')) throw new Error(`the refusal says it is a member account: ${said}`);
  if (await page.locator('[data-test=nav]').count()) throw new Error('a member reached the back office');
  const kept = await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.includes('token')));
  if (kept.length) throw new Error(`the member's token was kept: ${kept}`);
  await shotBoth(page, SHOTS, 'admin-roles-member-refused');
});

await browser.close();
console.log('office-roles: all steps passed');
