// Running an action a person started: one at a time (a double click submits once), a busy flag
// for the button, and the server's problem shown in the language in use.
import { ref } from 'vue'
import { ApiError } from '@/api/client'

/** The message of any failure, in `locale`: the server's Chinese detail where it sent one. */
export function messageOf(err: unknown, locale: string): string {
  if (err instanceof ApiError) return err.say(locale)
  if (err instanceof Error) return err.message
  return String(err)
}

/**
 * A busy flag and a runner: `run(fn)` does nothing while a run is under way, else runs `fn` and
 * hands a failure to `onError`. Resolves to `fn`'s result, or `undefined` when it failed or was
 * skipped.
 */
export function useAction(onError: (err: unknown) => void) {
  const busy = ref(false)
  async function run<T>(fn: () => Promise<T>): Promise<T | undefined> {
    if (busy.value) return undefined
    busy.value = true
    try {
      return await fn()
    } catch (err) {
      onError(err)
      return undefined
    } finally {
      busy.value = false
    }
  }
  return { busy, run }
}
