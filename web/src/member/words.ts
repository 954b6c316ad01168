// How the member app writes dates and the server's codes (tiers, statuses) for people.

/** A day (`2027-11-24`) as a date in full in the reader's language: 2027年11月24日, 24 November 2027. */
export function longDay(value: string | null | undefined, locale: string): string {
  if (!value) return ''
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00`) : new Date(value)
  if (Number.isNaN(date.getTime())) return value
  return date.toLocaleDateString(locale === 'en' ? 'en-GB' : locale, { year: 'numeric', month: 'long', day: 'numeric' })
}

/** An instant as a short date and time: 12月7日 周一 18:00. */
export function when(value: string | null | undefined, locale: string): string {
  if (!value) return ''
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) return value
  return date.toLocaleString(locale === 'en' ? 'en-GB' : locale, {
    month: 'short',
    day: 'numeric',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
  })
}

/** The words for `prefix.value`, or the value itself when there are none. */
export function named(t: (key: string) => string, te: (key: string) => boolean, prefix: string, value: string | null | undefined): string {
  if (!value) return ''
  const key = `${prefix}.${value}`
  return te(key) ? t(key) : value
}

/**
 * A program text written in both languages, Chinese first (`免费洗车 free wash`, `24小时急修 24 h
 * emergency repair`), in the reader's language: the words up to the last Chinese character, or
 * the rest after it (capitalised). A text in one language only is shown as it is.
 */
export function bilingual(text: string, locale: string): string {
  const chars = [...text]
  let last = -1
  chars.forEach((c, i) => {
    if (/[\u3400-\u9fff\uf900-\ufaff]/.test(c)) last = i
  })
  if (last < 0) return text
  const zh = chars.slice(0, last + 1).join('')
  const rest = chars.slice(last + 1).join('')
  const space = rest.search(/\s/)
  if (space < 0) return text
  const zhPart = (zh + rest.slice(0, space)).trim()
  const enPart = rest.slice(space).trim()
  if (!zhPart || !enPart) return text
  return locale === 'en' ? enPart.charAt(0).toUpperCase() + enPart.slice(1) : zhPart
}

/** A day (`2027-11-24`) as days since the epoch. */
function dayNumber(value: string): number {
  const [y, m, d] = value.split('-').map(Number)
  return Math.round(Date.UTC(y, m - 1, d) / 86_400_000)
}

/** Today on this phone, as the server writes a day. */
function phoneToday(): string {
  const now = new Date()
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`
}

/**
 * Whole days from `today` (the club's day as the server sent it, else this phone's) to `value`
 * (`2027-11-24`): 0 on the day, negative when past.
 */
export function daysUntil(value: string, today?: string | null): number {
  return dayNumber(value) - dayNumber(today ?? phoneToday())
}

/** How far off a day is from `today`, in words: today, tomorrow, in n days, n days ago. */
export function distance(
  value: string,
  today: string | null,
  t: (key: string, named?: Record<string, unknown>) => string,
): string {
  const n = daysUntil(value, today)
  if (n === 0) return t('member.reminders.today')
  if (n === 1) return t('member.reminders.tomorrow')
  if (n < 0) return t('member.reminders.overdue', { n: -n })
  return t('member.reminders.inDays', { n })
}

/** Reminders by their last day (the deadline the member cares about), then by their first. */
export function byDeadline<R extends { due: string; until: string }>(list: readonly R[]): R[] {
  return [...list].sort((a, b) => a.until.localeCompare(b.until) || a.due.localeCompare(b.due))
}
