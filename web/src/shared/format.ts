// How amounts, points and dates are written on screen. Amounts travel in fen (integers) and are
// shown in yuan; dates come as ISO text and are shown in the reader's language.

/** Fen as yuan text: `¥180.00`. */
export function yuan(fen: number | null | undefined): string {
  if (fen === null || fen === undefined || Number.isNaN(fen)) return ''
  const sign = fen < 0 ? '-' : ''
  const abs = Math.abs(Math.trunc(fen))
  return `${sign}¥${Math.floor(abs / 100).toLocaleString('en-US')}.${String(abs % 100).padStart(2, '0')}`
}

/**
 * Yuan typed by a person (`180`, `180.5`, `¥1,180.50`) as fen; `null` when it is not an amount
 * (more than two decimals, letters, negative).
 */
export function parseYuan(text: string): number | null {
  const cleaned = text.replace(/[¥￥,\s元]/g, '')
  if (!/^\d{1,12}(\.\d{1,2})?$/.test(cleaned)) return null
  const [whole, frac = ''] = cleaned.split('.')
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'))
}

/** An ISO date or instant as a date in the reader's language. */
export function day(value: string | null | undefined, locale: string): string {
  if (!value) return ''
  const date = value.length === 10 ? new Date(`${value}T00:00:00`) : new Date(value)
  if (Number.isNaN(date.getTime())) return value
  return date.toLocaleDateString(locale, { year: 'numeric', month: '2-digit', day: '2-digit' })
}

/** An instant as date and time in the reader's language. */
export function moment(value: string | number | null | undefined, locale: string): string {
  if (value === null || value === undefined || value === '') return ''
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) return String(value)
  return date.toLocaleString(locale, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  })
}
