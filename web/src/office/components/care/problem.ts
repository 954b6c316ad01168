// A problem to show on a care screen that follows the language in use: the server's refusal (its
// Chinese detail when the screen speaks Chinese), a load that failed, or a field left empty. Kept
// as what happened, not as text, so switching the language re-words it.
import { computed, shallowRef } from 'vue'
import { useI18n } from 'vue-i18n'
import { messageOf } from '@/shared/action'

type Problem = { refused: unknown } | { failed: unknown } | { missing: string } | { key: string }

export function useProblem() {
  const { t, locale } = useI18n()
  const problem = shallowRef<Problem | null>(null)

  const text = computed(() => {
    const p = problem.value
    if (!p) return ''
    if ('refused' in p) return messageOf(p.refused, locale.value)
    if ('failed' in p) return t('cw.failed', { msg: messageOf(p.failed, locale.value) })
    if ('missing' in p) return t('cw.call.required', { what: t(p.missing) })
    return t(p.key)
  })

  return {
    text,
    /** The server refused an action: its reason. */
    refused: (err: unknown) => (problem.value = { refused: err }),
    /** A list could not be read. */
    failed: (err: unknown) => (problem.value = { failed: err }),
    /** A required field (the message key of its label) is empty. */
    missing: (label: string) => (problem.value = { missing: label }),
    /** Another message of the screen's own (a message key). */
    say: (key: string) => (problem.value = { key }),
    clear: () => (problem.value = null),
  }
}
