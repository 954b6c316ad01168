// What the counter's screens share: recording an operation on a member (the one route every
// lifecycle step, settlement, benefit use and redemption goes through), and quoting an order.
import { computed, ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { call, type Schemas } from '@/api/client'
import { messageOf } from '@/shared/action'
import { useSession } from '../session'

export type Operation = Schemas['OperationRequest']
export type Recorded = Schemas['Recorded']

/** Records `body` on member `id`; the event and the member's state after it. */
export function operate(id: string, body: Operation): Promise<Recorded> {
  const session = useSession()
  return call(session.api.POST('/api/members/{id}/operations', { params: { path: { id } }, body }))
}

/** The quote for `order` for member `id`: discounts, payable, points. */
export function quote(id: string, order: Schemas['Order']): Promise<Schemas['Quote']> {
  const session = useSession()
  return call(session.api.POST('/api/members/{id}/quote', { params: { path: { id } }, body: { order } }))
}

/** A card or receipt number as the server writes it: trimmed, in capitals. */
export function upper(text: string): string {
  return text.trim().toUpperCase()
}

/** Card numbers: 4 to 20 letters, digits and dashes. */
export const CARD_RE = /^[0-9A-Za-z-]{4,20}$/
/** Receipt numbers: 1 to 32 letters, digits and dashes. */
export const RECEIPT_RE = /^[0-9A-Za-z-]{1,32}$/

/**
 * A failure to show, in the language in use even after a switch: the server's problem (its
 * Chinese detail in Chinese), or the key of one of our own messages.
 */
export function useFailure() {
  const { t, locale } = useI18n()
  const failure = ref<unknown>(null)
  const text = computed(() => {
    const f = failure.value
    if (f === null || f === undefined || f === '') return ''
    if (typeof f === 'string') return t(f)
    return messageOf(f, locale.value)
  })
  return { failure, text }
}
