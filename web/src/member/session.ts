// The member's session and what the app shows them: the sign-in kept on the phone (it is the
// member's own device, so it survives a reload, as the old app did), their file from /api/me, their
// car's upcoming reminders, the club events they are invited to and their complaints.
import { ref, shallowRef } from 'vue'
import { ApiError, apiClient, call, type Schemas } from '@/api/client'
import { messageOf } from '@/shared/action'
import { allPages } from '@/shared/pages'

const TOKEN_KEY = 'carclub.member.token'

export type MemberFile = Schemas['MemberFileView']
export type ClubEvent = Schemas['ClubEventView']
export type Complaint = Schemas['ComplaintView']
export type Reminder = Schemas['Reminder']

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

/** The member's own file; null until loaded. */
export const member = shallowRef<MemberFile | null>(null)
/** The club events the member is invited to. */
export const events = shallowRef<ClubEvent[]>([])
/** The member's upcoming reminders (service, insurance, inspection, renewal…), as the server found them. */
export const reminders = shallowRef<Reminder[]>([])
/** The club's day the reminders were found for (how far off each is counts from it). */
export const remindersDay = ref<string | null>(null)
/** The complaints about the member, newest first. */
export const complaints = shallowRef<Complaint[]>([])
/** The program of the member's store (tier names); null until loaded, or when it cannot be read. */
export const program = shallowRef<Schemas['StoreProgram'] | null>(null)
/** Where loading the member's data stands. */
export const loadState = ref<'idle' | 'loading' | 'ready' | 'failed'>('idle')
export const loadError = shallowRef<unknown>(null)

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
  member.value = null
  events.value = []
  reminders.value = []
  remindersDay.value = null
  complaints.value = []
  program.value = null
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

/** A failure in words for the member: the network first, else the server's own message. */
export function say(err: unknown, locale: string, t: (key: string) => string): string {
  if (err instanceof ApiError && err.status === 0) {
    return navigator.onLine ? t('net.unreachable') : t('member.offline')
  }
  if (err instanceof NotMember) return t('member.login.notMember')
  return messageOf(err, locale)
}

/** Ends a staff session opened by mistake here, without keeping its token. */
async function endSession(bearer: string) {
  await call(api.POST('/api/logout', { headers: { authorization: `Bearer ${bearer}` } })).catch(() => undefined)
}

/** Signs in with a username and password; a staff account is refused (and signed out again). */
export async function signIn(username: string, password: string) {
  const session = await call(api.POST('/api/login', { body: { username, password } }))
  if (session.user.role !== 'member') {
    await endSession(session.token)
    throw new NotMember()
  }
  keep(session.token)
  await loadAll()
  if (loadError.value instanceof NotMember) {
    forget()
    await endSession(session.token)
    throw new NotMember()
  }
}

/** Opens the member's own login with the store's invitation code and signs them in. */
export async function signUp(code: string, username: string, password: string) {
  const done = await call(api.POST('/api/member-signup', { body: { code, username, password } }))
  keep(done.token)
  await loadAll()
}

/** Signs out here and on the server. */
export function signOut() {
  const bearer = token.value
  forget()
  if (bearer) void endSession(bearer)
}

function allEvents(): Promise<ClubEvent[]> {
  return allPages(
    (after) => call(api.GET('/api/club-events', { params: { query: { limit: 200, after } } })),
    (page) => page.events,
  )
}

function allComplaints(): Promise<Complaint[]> {
  return allPages(
    (after) => call(api.GET('/api/complaints', { params: { query: { limit: 200, after } } })),
    (page) => page.complaints,
  )
}

/** What the member sees of an event: invited or not, their answer, their attendance. */
export function mine(e: ClubEvent) {
  if (typeof e.invited === 'boolean') {
    const own = e as Extract<ClubEvent, { invited: boolean }>
    return { invited: own.invited, rsvp: own.rsvp ?? null, attended: own.attended ?? null }
  }
  return { invited: true, rsvp: null, attended: null }
}

/** Reloads the events the member is invited to, earliest first. */
export async function loadEvents() {
  const list = await allEvents()
  events.value = list
    .filter((e) => mine(e).invited)
    .sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at))
}

/** Reloads the member's complaints, newest first. */
export async function loadComplaints() {
  const list = await allComplaints()
  complaints.value = list.sort((a, b) => Date.parse(b.filed_at) - Date.parse(a.filed_at))
}

/** Reloads the member's upcoming reminders. */
export async function loadReminders() {
  const answer = await call(api.GET('/api/me/reminders'))
  reminders.value = answer.reminders
  remindersDay.value = answer.day
}

/** Loads the program of the member's store once; the card shows tier ids without it. */
async function loadProgram() {
  if (program.value) return
  try {
    program.value = await call(api.GET('/api/program'))
  } catch {
    // Not fatal: the tier is named from the app's own words.
  }
}

/** Loads the member's file, reminders, events and complaints. */
export async function loadAll() {
  if (!token.value) return
  loadState.value = 'loading'
  loadError.value = null
  void loadProgram()
  try {
    const [me] = await Promise.all([call(api.GET('/api/me')), loadReminders(), loadEvents(), loadComplaints()])
    if (!me.member) throw new NotMember()
    member.value = me.member
    loadState.value = 'ready'
  } catch (err) {
    if (!token.value) return
    loadError.value = err
    loadState.value = 'failed'
  }
}

/** Answers the invitation to `id`. */
export async function answer(id: string, attending: boolean) {
  try {
    await call(api.POST('/api/club-events/{id}/rsvp', { params: { path: { id } }, body: { attending } }))
  } finally {
    // Full, or changed since: show what the server holds now either way.
    await loadEvents().catch(() => undefined)
  }
}

/** Files a complaint about the member themselves. */
export async function fileComplaint(channel: Schemas['ComplaintChannel'], text: string) {
  await call(api.POST('/api/complaints', { body: { channel, level: 'complaint', text } }))
  await loadComplaints()
}
