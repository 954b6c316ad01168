// The member's session and what the app shows them. Signing in registers this phone as the
// member's own device (its token, kept in localStorage, never expires; the back office can revoke
// it): the card, state, ledger, reminders, invitations, partners and catalogue then come from the
// member's documents synced into IndexedDB and projected on the phone (./device.ts), with no
// network needed. Answers to invitations, a lost card, a withdrawal request and a complaint are
// written into the phone's journal; the complaints register is read through the API when online.
import { computed, ref, shallowRef } from 'vue'
import { ApiError, apiClient, call, type Schemas } from '@/api/client'
import { messageOf } from '@/shared/action'
import { allPages } from '@/shared/pages'
import * as phone from './device'
import { deviceMessageZh } from '@/device/errors'

const TOKEN_KEY = 'carclub.member.token'
/** The name this phone is registered under, as the back office lists devices. */
const DEVICE_NAME = 'member phone'

export type MemberFile = Schemas['MemberFileView']
export type Complaint = Schemas['ComplaintView']
export type Reminder = Schemas['Reminder']
export type { Invitation, LedgerLine, MemberCard, Partner } from './device'

function storedToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY)
  } catch {
    return null
  }
}

/** The bearer token of the member's session, kept in localStorage. */
export const token = ref<string | null>(storedToken())
/** Set when the server ended the session (401): the app goes back to sign-in, saying why. */
export const expired = ref(false)

/** Everything the phone shows, projected on the device; null until the first sync. */
export const card = phone.card
/** The member's own file, with the state projected on the phone; null until synced. */
export const member = computed<MemberFile | null>(() => {
  const c = card.value
  return c ? { ...c.file, state: c.state, url: '' } : null
})
/** The club events the member is invited to that are not over, earliest first. */
export const events = computed(() => card.value?.invitations ?? [])
/** The member's upcoming reminders (service, insurance, inspection, renewal…), found on the phone. */
export const reminders = computed(() => card.value?.reminders ?? [])
/** The club's day the reminders were found for (how far off each is counts from it). */
export const remindersDay = computed(() => card.value?.day ?? null)
/** The complaints about the member, newest first (read online). */
export const complaints = shallowRef<Complaint[]>([])
/** Where loading the member's data stands. */
export const loadState = ref<'idle' | 'loading' | 'ready' | 'failed'>('idle')
export const loadError = shallowRef<unknown>(null)
/** When the phone last synced with the server (ms), and whether a sync is under way. */
export const lastSync = computed(() => card.value?.last_sync_ms ?? null)
export const syncing = phone.running
export const online = phone.online
export const syncFailure = phone.syncFailure

export const api = apiClient({
  token: () => token.value,
  onUnauthorized: () => {
    if (token.value) {
      forget()
      expired.value = true
    }
  },
})

function keep(value: string) {
  token.value = value
  expired.value = false
  try {
    localStorage.setItem(TOKEN_KEY, value)
  } catch {
    // Not remembered: signed in for this page only.
  }
}

function forget() {
  token.value = null
  complaints.value = []
  void phone.forget()
  loadState.value = 'idle'
  loadError.value = null
  try {
    localStorage.removeItem(TOKEN_KEY)
  } catch {
    // Nothing stored.
  }
}

/** The login is staff's, not a member's: this app is the member's own. */
export class NotMember extends Error {
  constructor() {
    super('not-member')
    this.name = 'NotMember'
  }
}

/** The first sync of this phone failed: nothing to show yet. */
export class NotSynced extends Error {
  constructor(readonly failure: phone.SyncFailureOf) {
    super(failure.detail || failure.code)
    this.name = 'NotSynced'
  }
}

/** A failure in words for the member: the network first, else the server's own message. */
export function say(err: unknown, locale: string, t: (key: string) => string): string {
  if (err instanceof ApiError && err.status === 0) {
    return navigator.onLine ? t('net.unreachable') : t('member.offline')
  }
  if (err instanceof NotMember) return t('member.login.notMember')
  if (err instanceof NotSynced) {
    if (!navigator.onLine) return t('member.offline')
    const said = err.failure.detail
    if (err.failure.code !== 'server' || !said) return t('net.unreachable')
    return (locale.startsWith('zh') && deviceMessageZh(said)) || said
  }
  return messageOf(err, locale)
}

/** Ends a staff session opened by mistake here, without keeping its token. */
async function endSession(bearer: string) {
  await call(api.POST('/api/logout', { headers: { authorization: `Bearer ${bearer}` } })).catch(() => undefined)
}

/** Registers this phone as the member's device with their password, and syncs it. */
async function registerPhone(username: string, password: string): Promise<string> {
  const answer = await call(api.POST('/api/devices', { body: { username, password, name: DEVICE_NAME } }))
  await phone.register(JSON.stringify(answer))
  return answer.token
}

/**
 * Signs in with a username and password: a staff account is refused (and signed out again); a
 * member's registers this phone as their device, whose token the app keeps.
 */
export async function signIn(username: string, password: string) {
  const session = await call(api.POST('/api/login', { body: { username, password } }))
  if (session.user.role !== 'member') {
    await endSession(session.token)
    throw new NotMember()
  }
  // The sign-in session only vouched for the registration: ended before the device's token is
  // kept (the client sends the kept token with every call).
  let device: string
  try {
    device = await registerPhone(username, password)
  } finally {
    await endSession(session.token)
  }
  keep(device)
  await loadAll()
}

/** Opens the member's own login with the store's invitation code and registers this phone. */
export async function signUp(code: string, username: string, password: string) {
  const done = await call(api.POST('/api/member-signup', { body: { code, username, password } }))
  let device: string
  try {
    device = await registerPhone(username, password)
  } finally {
    await endSession(done.token)
  }
  keep(device)
  await loadAll()
}

/** Signs out here and on the server. */
export function signOut() {
  const bearer = token.value
  forget()
  if (bearer) void endSession(bearer)
}

function allComplaints(): Promise<Complaint[]> {
  return allPages(
    (after) => call(api.GET('/api/complaints', { params: { query: { limit: 200, after } } })),
    (page) => page.complaints,
  )
}

/** Reloads the member's complaints, newest first. */
export async function loadComplaints() {
  const list = await allComplaints()
  complaints.value = list.sort((a, b) => Date.parse(b.filed_at) - Date.parse(a.filed_at))
}

/**
 * Shows what the phone holds at once, then syncs (when online) and reads the complaints. A login
 * kept from before this phone held the member's card signs in again.
 */
export async function loadAll() {
  if (!token.value) return
  loadState.value = card.value ? 'ready' : 'loading'
  loadError.value = null
  try {
    if (!(await phone.open())) {
      forget()
      expired.value = true
      return
    }
    if (card.value) loadState.value = 'ready'
    await phone.sync()
    if (!card.value) throw new NotSynced(phone.syncFailure.value ?? { code: 'network', detail: '' })
    loadState.value = 'ready'
  } catch (err) {
    if (!token.value) return
    loadError.value = err
    loadState.value = card.value ? 'ready' : 'failed'
    return
  }
  if (navigator.onLine) void loadComplaints().catch(() => undefined)
}

/**
 * Answers the invitation to `id` on the phone: kept in its journal (offline too), shown pending
 * at once, and recorded by the server when it arrives unless the event is full by then.
 */
export async function answer(id: string, attending: boolean) {
  await phone.answerInvitation(id, attending)
}

/**
 * Files a complaint about the member themselves: written into the phone's journal (offline too),
 * filed in the store's register when it reaches the server, then listed with the others.
 */
export async function fileComplaint(channel: Schemas['ComplaintChannel'], text: string) {
  await phone.fileComplaint(channel, text)
}

/** The member's complaints written on this phone that the register does not list yet. */
export const unlisted = computed(() => {
  const listed = new Set(complaints.value.map((c) => c.id))
  return (card.value?.requests ?? []).filter((r) => r.type === 'complaint_filed' && !listed.has(r.id))
})
