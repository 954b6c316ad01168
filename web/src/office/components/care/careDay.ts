// What the customer-care screens share: the reminder kinds, call outcomes and time slots in the
// server's order, and the store's clock (China time, +08:00) for dates and slots, so a screen reads
// "today" and "this morning" the way the store and the server do whatever the browser's zone.

/** The call slots of the handbook (002), in the day's order. */
export const SLOTS = ['morning', 'midday', 'afternoon', 'evening'] as const
export type Slot = (typeof SLOTS)[number]

/** Where each slot starts and ends, in minutes after midnight, store time (+08:00). */
const SLOT_MINUTES: Record<Slot, [number, number]> = {
  morning: [9 * 60, 12 * 60],
  midday: [12 * 60, 14 * 60],
  afternoon: [14 * 60, 17 * 60 + 30],
  evening: [17 * 60 + 30, 20 * 60 + 30],
}

const STORE_OFFSET_MS = 8 * 3_600_000

/** The store's calendar date (YYYY-MM-DD) of a moment. */
export function storeDate(at: string | number | Date): string {
  const ms = new Date(at).getTime() + STORE_OFFSET_MS
  return new Date(ms).toISOString().slice(0, 10)
}

/** Minutes after the store's midnight of a moment. */
function storeMinutes(at: string | number | Date): number {
  const d = new Date(new Date(at).getTime() + STORE_OFFSET_MS)
  return d.getUTCHours() * 60 + d.getUTCMinutes()
}

/** The call slot a moment falls in, or null outside calling hours. */
export function slotOf(at: string | number | Date): Slot | null {
  const m = storeMinutes(at)
  return SLOTS.find((s) => m >= SLOT_MINUTES[s][0] && m < SLOT_MINUTES[s][1]) ?? null
}

/** The slot to call in next: the first slot, from `now`'s, that is not in `avoid`. */
export function nextSlot(avoid: readonly string[], now: string | number | Date): Slot {
  const m = storeMinutes(now)
  const open = SLOTS.filter((s) => !avoid.includes(s))
  const later = open.find((s) => SLOT_MINUTES[s][1] > m)
  return later ?? open[0] ?? 'morning'
}

/** The store's date `days` after `date` (YYYY-MM-DD). */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + days)
  return d.toISOString().slice(0, 10)
}

/** Whole days from `from` to `to` (dates, YYYY-MM-DD). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000)
}

/** The start of a store day as an instant (RFC 3339, +08:00). */
export function dayStart(date: string): string {
  return `${date}T00:00:00+08:00`
}
