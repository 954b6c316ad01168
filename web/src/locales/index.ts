// The app's words: Chinese (zh-CN) first, English a tap away, both complete. Each area of the app
// keeps its words in its own file as `{ 'zh-CN': {...}, en: {...} }`, the English typed after the
// Chinese so that a word missing in either language fails the type check. Each app loads only the
// areas it shows.
import { createI18n } from 'vue-i18n'

export type Locale = 'zh-CN' | 'en'
export const LOCALES: Locale[] = ['zh-CN', 'en']
const LANG_KEY = 'carclub.lang'

/** The words of one area in both languages; `en` must have exactly the keys of `zh-CN`. */
export type Area<T> = { 'zh-CN': T; en: T }

type Tree = { [key: string]: string | Tree }

function merge(into: Tree, from: Tree): Tree {
  for (const [key, value] of Object.entries(from)) {
    if (typeof value === 'object' && typeof into[key] === 'object') merge(into[key] as Tree, value)
    else into[key] = value
  }
  return into
}

/** The language chosen on this device before, or Chinese. */
export function savedLocale(): Locale {
  try {
    const saved = localStorage.getItem(LANG_KEY)
    if (saved === 'en' || saved === 'zh-CN') return saved
  } catch {
    // Storage may be refused (private mode): Chinese.
  }
  return 'zh-CN'
}

/** Remembers the language on this device and marks the page with it. */
export function rememberLocale(locale: Locale) {
  try {
    localStorage.setItem(LANG_KEY, locale)
  } catch {
    // Not remembered; the page still switches.
  }
  document.documentElement.lang = locale
}

/** The i18n of an app showing `areas`. */
export function appI18n(...areas: Area<object>[]) {
  const messages: Record<Locale, Tree> = { 'zh-CN': {}, en: {} }
  for (const area of areas) {
    for (const locale of LOCALES) merge(messages[locale], area[locale] as Tree)
  }
  const locale = savedLocale()
  document.documentElement.lang = locale
  return createI18n({
    legacy: false,
    locale,
    fallbackLocale: 'zh-CN',
    messages,
    missingWarn: false,
    fallbackWarn: false,
  })
}
