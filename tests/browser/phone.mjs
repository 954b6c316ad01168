// What the browser scripts share: the system's Chromium, started with the flags this closed network
// needs, and a phone-sized, Chinese-locale browser context. Never downloads a browser.

import { createRequire } from 'node:module';

// playwright-core is pinned and installed with the other Node test tools in tests/js
// (`npm install --prefix tests/js`, done by scripts/test).
const { chromium } = createRequire(new URL('../js/package.json', import.meta.url))('playwright-core');

/** Starts Chromium at `executablePath`. */
export function launch(executablePath, headed = false) {
  return chromium.launch({
    executablePath,
    headless: !headed,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A new context that looks like a phone in China, with `timeout` for every wait. */
export async function phone(browser, timeout, extra = {}) {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    ...extra,
  });
  context.setDefaultTimeout(timeout);
  return context;
}
