// The device of this browser as a store the field screens use: client-core compiled to wasm
// (`WebDevice`) opened from IndexedDB, every change it makes written back in one strict
// transaction (entries that failed to store are kept and retried with the next write), and the
// sync transport — binary frames over a WebSocket, a timeout, another sync when something was
// recorded during one, a sync every 30 s, when the network comes back and when the app is shown.
//
// The screens read plain reactive snapshots (`members`, `visit`, `status`…) refreshed after every
// call; the device itself stays out of Vue's reactivity.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import init, { WebDevice, parse_yuan } from '../../pkg/carclub_web.js'
import { openDb, readAll, writeEntries, type Entry } from './storage'
import { syncSession, type SyncFailure } from './transport'

export type { SyncFailure } from './transport'

const SYNC_EVERY_MS = 30_000

/** Who uses this device, as the server described them at registration. */
export interface Who {
  user: { name: string; username?: string; role: string }
  store: { name: string; program?: string }
  device: string
}
/** A tier that can be bought on site, with its fee in fen. */
export interface Tier {
  id: string
  name: string
  fee_fen: number
}
/** A company (corporate agreement) the user may visit. */
export interface Company {
  id: string
  name: string
}
/** The visit under way. */
export interface Visit {
  id: string
  site: string
  started_at: number | string
  company?: string | null
}
/** A conflict the server raised on a member. */
export interface ConflictRef {
  id: string
  kind: string
  summary: string
  summary_zh?: string
}
/** A member as the device shows it, with its sync state. */
export interface DeviceMember {
  id: string
  name: string
  phone?: string
  vin: string
  plate: string
  tier: string
  card: string
  status: string
  sync: 'pending' | 'synced' | 'rejected'
  reason?: string
  /** The reason in Chinese, when the server gave it. */
  reason_zh?: string
  conflicts: ConflictRef[]
  url: string
}
/** The sync state of the device's records. */
export interface SyncStatus {
  pending_events: number
  last_sync_ms: number | null
}
/** What to enroll, as client-core reads it. */
export interface EnrollInput {
  name: string
  phone: string
  vin: string
  plate: string
  tier: string
  fee_fen: number
  receipt: string
  card: string
  documents_seen?: string[]
  channel?: string
  referrer?: string
}
/** A benefit of a member's tier as the device knows it. */
export interface BenefitLeft {
  id: string
  name: string
  kind: string
  available: boolean
  remaining?: number
  pending: number
}
/** A member with their vehicles and benefits, for the on-site work. */
export interface MemberDetail extends DeviceMember {
  vehicles: { vin: string; plate: string; card: string }[]
  benefits: BenefitLeft[]
  inspections: number
}
/** One check of the pre-inspection checklist. */
export interface InspectionCheck {
  item: string
  state: 'ok' | 'attention' | 'fault'
  note?: string
}

function json<T>(text: string | undefined, fallback: T): T {
  try {
    return (JSON.parse(text ?? 'null') as T | null) ?? fallback
  } catch {
    return fallback
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

let wasmReady: Promise<unknown> | null = null

/** Fen as yuan typed by a person (`180`, `180.50`), for prefilling the fee. */
export function feeText(fen: number): string {
  const whole = Math.trunc(fen / 100)
  const cents = Math.abs(fen % 100)
  return cents ? `${whole}.${String(cents).padStart(2, '0')}` : String(whole)
}

/** Yuan typed by a person, in fen, with the domain's rules (throws the device's message). */
export function parseFee(text: string): number {
  return parse_yuan(text)
}

export const useDevice = defineStore('device', () => {
  let device: WebDevice | null = null
  let db: IDBDatabase | null = null
  const unsaved = new Map<string, Uint8Array>()
  let syncing: Promise<void> | null = null
  let syncAgain = false
  let timer: ReturnType<typeof setInterval> | null = null

  /** `loading`, `ready`, or `failed` (the wasm or IndexedDB could not start). */
  const phase = ref<'loading' | 'ready' | 'failed'>('loading')
  const startError = ref('')
  /** The last write to IndexedDB failed (its entries are retried with the next one). */
  const storageError = ref('')
  const registered = ref(false)
  const who = shallowRef<Who | null>(null)
  const tiers = shallowRef<Tier[]>([])
  const companies = shallowRef<Company[]>([])
  const visit = shallowRef<Visit | null>(null)
  const members = shallowRef<DeviceMember[]>([])
  const status = shallowRef<SyncStatus>({ pending_events: 0, last_sync_ms: null })
  const nextCard = ref<string | null>(null)
  const online = ref(navigator.onLine)
  const running = ref(false)
  const syncFailure = shallowRef<SyncFailure | null>(null)

  /** online/offline/running/error/synced/pending: what the indicator shows. */
  const syncState = computed(() => {
    if (!online.value) return 'offline'
    if (running.value) return 'running'
    if (syncFailure.value) return 'error'
    if (registered.value && status.value.pending_events === 0 && status.value.last_sync_ms != null) return 'synced'
    return 'pending'
  })

  /** Reads what the device shows into the reactive snapshots. */
  function refresh() {
    if (!device) return
    registered.value = device.is_registered()
    who.value = json<Who | null>(device.whoami_json(), null)
    tiers.value = json<Tier[]>(device.tiers_json(), [])
    companies.value = json<Company[]>(device.companies_json(), [])
    const current = json<Visit | null>(device.current_visit_json(), null)
    visit.value = current && typeof current === 'object' ? current : null
    members.value = json<DeviceMember[]>(device.members_json(), [])
    status.value = json<SyncStatus>(device.sync_status_json(), { pending_events: 0, last_sync_ms: null })
    nextCard.value = device.next_card() ?? null
  }

  /** Stores what the device changed; resolves to whether everything is stored. */
  async function persist(): Promise<boolean> {
    if (!device || !db) return false
    for (const [key, bytes] of device.take_dirty() as Entry[]) unsaved.set(key, bytes)
    if (unsaved.size === 0) return true
    const batch = [...unsaved.entries()]
    try {
      await writeEntries(db, batch)
      for (const [key, bytes] of batch) if (unsaved.get(key) === bytes) unsaved.delete(key)
      storageError.value = ''
      return true
    } catch (err) {
      storageError.value = messageOf(err)
      return false
    }
  }

  /** Loads the wasm, opens the stored records and starts syncing. Safe to call twice. */
  async function start() {
    if (phase.value === 'ready') return
    try {
      wasmReady ??= init()
      await wasmReady
      db = await openDb()
      device = WebDevice.open(await readAll(db))
    } catch (err) {
      startError.value = messageOf(err)
      phase.value = 'failed'
      return
    }
    refresh()
    phase.value = 'ready'
    window.addEventListener('online', () => {
      online.value = true
      void sync()
    })
    window.addEventListener('offline', () => {
      online.value = false
    })
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') void sync()
    })
    timer ??= setInterval(() => void sync(), SYNC_EVERY_MS)
    void sync()
  }

  function need(): WebDevice {
    if (!device) throw new Error('the device has not started')
    return device
  }

  /** Runs a device call that records something; stores the result and starts a sync. */
  async function record<T>(action: (d: WebDevice) => T): Promise<T> {
    const result = action(need())
    await persist()
    refresh()
    void sync()
    return result
  }

  /** Takes the server's answer to `POST /api/devices` (its JSON text). */
  async function applyRegistration(answer: string) {
    await record((d) => d.apply_registration(answer))
  }

  /** Starts a visit at `site`, at a company when `company` is given. */
  async function startVisit(site: string, company: string) {
    await record((d) => d.start_visit_at(site, company, Date.now()))
  }

  async function endVisit(notes: string) {
    await record((d) => d.end_visit(notes, Date.now()))
  }

  /** Enrolls a member; resolves to the member as the device shows it. */
  async function enroll(input: EnrollInput): Promise<DeviceMember | null> {
    const text = await record((d) => d.enroll(JSON.stringify(input), Date.now()))
    return json<DeviceMember | null>(text, null)
  }

  /** Members of the directory matching `query` (name, phone, card, plate). */
  function findMembers(query: string, limit = 20): DeviceMember[] {
    return device ? json<DeviceMember[]>(device.find_members_json(query, limit), []) : []
  }

  /** A member's vehicles and benefits left, as this device knows them. */
  function memberDetail(member: string): MemberDetail | null {
    return device ? json<MemberDetail | null>(device.member_detail_json(member), null) : null
  }

  /** Records a vehicle's pre-inspection. */
  async function preInspect(input: { member: string; vin: string; checks: InspectionCheck[]; recommended: string }) {
    await record((d) => d.pre_inspect(JSON.stringify(input), Date.now()))
  }

  /** Records a benefit used on site. */
  async function useBenefit(input: { member: string; benefit: string; count: number; value_fen: number }) {
    await record((d) => d.use_benefit(JSON.stringify(input), Date.now()))
  }

  /** Syncs now, unless the device is unregistered or offline; joins a sync under way. */
  function sync(): Promise<void> {
    online.value = navigator.onLine
    if (!device?.is_registered() || !navigator.onLine) return Promise.resolve()
    if (syncing) {
      syncAgain = true
      return syncing
    }
    syncAgain = false
    syncFailure.value = null
    running.value = true
    syncing = runSync(device).finally(() => {
      syncing = null
      running.value = false
      refresh()
      if (syncAgain && !syncFailure.value) void sync()
    })
    return syncing
  }

  /** One sync session over a WebSocket; resolves when it completed, failed or timed out. */
  async function runSync(d: WebDevice): Promise<void> {
    syncFailure.value = await syncSession(d, persist)
  }

  return {
    phase,
    startError,
    storageError,
    registered,
    who,
    tiers,
    companies,
    visit,
    members,
    status,
    nextCard,
    online,
    running,
    syncFailure,
    syncState,
    start,
    applyRegistration,
    startVisit,
    endVisit,
    enroll,
    findMembers,
    memberDetail,
    preInspect,
    useBenefit,
    sync,
    persist,
  }
})
