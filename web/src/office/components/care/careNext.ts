// The outcomes of a care call and the words for the next step the server decided after it.
import type { Schemas } from '@/api/client'
import { day } from '@/shared/format'

/** The outcomes a specialist can record, in the order the buttons show them. */
export const OUTCOMES = ['reached', 'appointment', 'call_back', 'no_answer', 'wrong_number', 'refused'] as const
export type Outcome = (typeof OUTCOMES)[number]

type Translate = (key: string, values?: Record<string, unknown>) => string
type NextStep = Schemas['NextStep']

/** The slots to avoid when the next step is to call again, else null. */
export function callAgain(next: NextStep): { avoid: string[]; by: string } | null {
  return typeof next === 'object' && 'call_again' in next ? next.call_again : null
}

/** The next step of a task in words (call again in another slot by a date, SMS sent…). */
export function nextStepText(next: NextStep, t: Translate, locale: string): string {
  if (next === 'send_sms_and_fail') return t('cw.next.smsAndFail')
  if (next === 'correct_number') return t('cw.next.correctNumber')
  if ('done' in next) return t('cw.next.done', { outcome: t(`cw.outcome.${next.done}`) })
  const again = next.call_again
  const slots = again.avoid.map((s) => t(`cw.slot.${s}`)).join(locale.startsWith('zh') ? '、' : ', ')
  const by = day(again.by, locale)
  return slots ? t('cw.next.callAgain', { by, slots }) : t('cw.next.callAgainAny', { by })
}
