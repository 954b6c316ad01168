// The store's program as the counter reads it (GET /api/program): tier fees and renewal fees, the
// card policy (reissue fee, temporary-card days), the redemption catalogue. Loaded once per store
// and shared by the screens that use it.
import { ref, watch, type Ref } from 'vue'
import { call, type Schemas } from '@/api/client'
import { useSession } from '../session'

export type StoreProgram = Schemas['StoreProgram']
export type Program = StoreProgram['program']

const cache = new Map<string, Promise<StoreProgram | null>>()

/** Days a temporary card works, from the program's period (months counted as 30 days). */
export function temporaryDays(program: Program): number {
  const p = program.cards.temporary_validity
  return (p.months ?? 0) * 30 + (p.days ?? 0)
}

/**
 * A name the program gives in both languages (`工时优惠 labor discount`): the Chinese part in
 * Chinese, the rest in English; a name in one language is shown as it is.
 */
export function bilingual(name: string, locale: string): string {
  const at = name.indexOf(' ')
  if (at <= 0 || !/[\u3400-\u9fff]/.test(name.slice(0, at))) return name
  return locale.startsWith('zh') ? name.slice(0, at) : name.slice(at + 1)
}

type Translate = (key: string) => string
type Has = (key: string) => boolean

/** A tier's name: the club's common word for it, else the program's name, else its id. */
export function tierName(id: string | null | undefined, program: Program | null, t: Translate, te: Has, locale = 'zh-CN'): string {
  if (!id) return ''
  if (te(`tier.${id}`)) return t(`tier.${id}`)
  const tier = program?.tiers.find((x) => x.id === id)
  return tier ? bilingual(tier.name, locale) : id
}

/**
 * The program of the store `storeOf()` names (the store being looked at when it gives nothing),
 * loaded once per store and again when the store changes; `null` while loading or when the server
 * does not give it (the screens then ask for the amounts).
 */
export function useProgram(storeOf: () => string | null | undefined = () => null): {
  program: Ref<Program | null>
  store: Ref<StoreProgram | null>
} {
  const session = useSession()
  const store = ref<StoreProgram | null>(null) as Ref<StoreProgram | null>
  const program = ref<Program | null>(null) as Ref<Program | null>

  async function load(id: string | null) {
    if (!id) return
    let answer = cache.get(id)
    if (!answer) {
      answer = call(session.api.GET('/api/program', { params: { query: { store: id } } })).catch(() => {
        cache.delete(id)
        return null
      })
      cache.set(id, answer)
    }
    const got = await answer
    store.value = got
    program.value = got?.program ?? null
  }

  watch(
    () => storeOf() ?? session.currentStore,
    (id) => void load(id ?? null),
    { immediate: true },
  )
  return { program, store }
}
