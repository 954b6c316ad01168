// Who is signed in to the back office, what their role may do, and which store they are looking at.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { apiClient, call, type Schemas } from '@/api/client'

const TOKEN_KEY = 'carclub.office.token'
const STORE_KEY = 'carclub.office.store'

/** A permission's reach for a role: `group`, `store`, `own` or none. */
export type Scope = 'group' | 'store' | 'own' | 'none'

function stored(key: string): string | null {
  try {
    return sessionStorage.getItem(key)
  } catch {
    return null
  }
}

function keep(key: string, value: string | null) {
  try {
    if (value === null) sessionStorage.removeItem(key)
    else sessionStorage.setItem(key, value)
  } catch {
    // Not kept: the session ends with the tab.
  }
}

export const useSession = defineStore('session', () => {
  const token = ref<string | null>(stored(TOKEN_KEY))
  const user = ref<Schemas['UserView'] | null>(null)
  const permissions = ref<Record<string, Record<string, string>>>({})
  const stores = ref<Schemas['StoreView'][]>([])
  /** The store a group role is looking at; a store role always looks at their own. */
  const storeId = ref<string | null>(stored(STORE_KEY))
  /** Set when the server ended the session (401): the app goes back to the sign-in page. */
  const expired = ref(false)

  const api = apiClient({
    token: () => token.value,
    onUnauthorized: () => {
      if (token.value) {
        expired.value = true
        clear()
      }
    },
  })

  const role = computed(() => user.value?.role ?? null)

  /** How far the signed-in role may do `op` (a name of the permission matrix). */
  function scope(op: string): Scope {
    const r = role.value
    if (!r) return 'none'
    const s = permissions.value[op]?.[r]
    return s === 'group' || s === 'store' || s === 'own' ? s : 'none'
  }

  /** Whether the signed-in role may do `op` at all. */
  function can(op: string): boolean {
    return scope(op) !== 'none'
  }

  /** Whether the role may use a page that needs `needs`: one operation, or any of several. */
  function allows(needs: string | string[] | undefined): boolean {
    if (!needs) return true
    return Array.isArray(needs) ? needs.some(can) : can(needs)
  }

  /** Whether the role works across the group's stores (and so chooses which one to look at). */
  const groupWide = computed(() => scope('list_members') === 'group')

  /** The store being looked at. */
  const currentStore = computed(() => {
    if (!user.value) return null
    if (!groupWide.value) return user.value.store
    return storeId.value ?? user.value.store
  })

  /** Whether a record of `store` belongs to the store being looked at. */
  function shows(store: string): boolean {
    return !currentStore.value || store === currentStore.value
  }

  function chooseStore(id: string) {
    storeId.value = id
    keep(STORE_KEY, id)
  }

  function clear() {
    token.value = null
    user.value = null
    permissions.value = {}
    stores.value = []
    keep(TOKEN_KEY, null)
  }

  /** Loads who is signed in, the permission matrix and (for group roles) the stores. */
  async function load() {
    const me = await call(api.GET('/api/me'))
    if (me.member) throw new Error('member-login')
    const matrix = await call(api.GET('/api/permissions'))
    user.value = me.user
    permissions.value = matrix.operations
    if (scope('list_members') === 'group') {
      const page = await call(api.GET('/api/stores', { params: { query: { limit: 1000 } } }))
      stores.value = page.stores
    } else {
      stores.value = []
    }
  }

  async function signIn(username: string, password: string) {
    const session = await call(api.POST('/api/login', { body: { username, password } }))
    token.value = session.token
    keep(TOKEN_KEY, session.token)
    expired.value = false
    try {
      await load()
    } catch (err) {
      clear()
      throw err
    }
  }

  async function signOut() {
    if (token.value) await api.POST('/api/logout').catch(() => undefined)
    clear()
  }

  return {
    api,
    token,
    user,
    role,
    permissions,
    stores,
    storeId,
    currentStore,
    groupWide,
    expired,
    scope,
    can,
    allows,
    shows,
    chooseStore,
    load,
    signIn,
    signOut,
    clear,
  }
})
