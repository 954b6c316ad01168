// The member's phone as a device: client-core compiled to wasm, opened from its own IndexedDB
// database (`carclub-member`), synced over the WebSocket like a field device, and read through
// `member_card_json` — the card, state, ledger, reminders, invitations, partners and catalogue,
// projected on the phone from the member's own documents. Works with no network once synced.
import { ref, shallowRef } from 'vue'
import init, { WebDevice, barcode_svg, qr_svg } from '../../pkg/carclub_web.js'
import type { Schemas } from '@/api/client'
import { clearAll, openDb, readAll, writeEntries, type Entry } from '@/device/storage'
import { syncSession, type SyncFailure } from '@/device/transport'

const DB_NAME = 'carclub-member'
const SYNC_EVERY_MS = 30_000

/** An invitation to a club event, as the member's record holds it. */
export interface Invitation {
  id: string
  title: string
  kind: string
  starts_at: string
  place: string
  points: number
  attending?: boolean | null
  attended: boolean
  full: boolean
  /** The answer given on this phone that the server has not answered yet. */
  pending?: boolean | null
  /** Why the server refused the latest answer given on this phone. */
  refused?: string | null
  /** The refusal in Chinese. */
  refused_zh?: string | null
}
/** A partner merchant of the member's store. */
export interface Partner {
  name: string
  kind: string
  discount: string
  valid_from: string
  valid_until: string
}
/** A line of the ledger, and whether the server has answered it yet. */
export type LedgerLine = Schemas['LedgerEntry'] & { pending: boolean }
/** Something the member did on the phone, and the server's answer (client-core's `Request`). */
export interface Request {
  id: string
  type: string
  at: string
  /**
   * `pending` until the server answers, then `accepted` or `refused`; what the store decides
   * afterwards (a contact change, a withdrawal) is `awaiting`, then `confirmed` or `declined`.
   */
  state: 'pending' | 'accepted' | 'refused' | 'awaiting' | 'confirmed' | 'declined'
  /** Why the server refused it, or why the store declined it. */
  reason?: string
  /** The server's refusal in Chinese. */
  reason_zh?: string
  /** What the member wrote, for a complaint. */
  text?: string
  /** What a contact change asks for. */
  phone?: string
  call_slots?: string[]
  sms_consent?: boolean
}
/** Everything the phone shows, projected on the device (client-core's `MemberCard`). */
export interface MemberCard {
  file: Omit<Schemas['MemberFileView'], 'state' | 'url'>
  day: string
  state: Schemas['MemberState']
  server_state?: Schemas['MemberState'] | null
  tier_name: string | null
  ledger: LedgerLine[]
  reminders: Schemas['Reminder'][]
  invitations: Invitation[]
  partners: Partner[]
  catalogue: Schemas['Redemption'][]
  tiers: Schemas['Tier'][]
  store: string
  last_sync_ms: number | null
  requests: Request[]
}

let wasmReady: Promise<unknown> | null = null
let device: WebDevice | null = null
let db: IDBDatabase | null = null
const unsaved = new Map<string, Uint8Array>()
let syncing: Promise<void> | null = null
let syncAgain = false
let timer: ReturnType<typeof setInterval> | null = null

/** What the phone shows; null until the first sync brought the member's file. */
export const card = shallowRef<MemberCard | null>(null)
/** A sync is under way. */
export const running = ref(false)
/** Why the last sync failed; null when it completed. */
export const syncFailure = shallowRef<SyncFailure | null>(null)
/** The browser says it has a network. */
export const online = ref(navigator.onLine)
/** The last write to IndexedDB failed (retried with the next). */
export const storageError = ref('')

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Reads what the device shows. */
export function refresh() {
  if (!device) return
  try {
    card.value = JSON.parse(device.member_card_json(Date.now())) as MemberCard | null
  } catch {
    card.value = null
  }
}

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

function listen() {
  if (timer) return
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
  timer = setInterval(() => void sync(), SYNC_EVERY_MS)
}

/** Loads the wasm and the stored device; resolves to whether it is a registered member phone. */
export async function open(): Promise<boolean> {
  if (!device) {
    wasmReady ??= init()
    await wasmReady
    db ??= await openDb(DB_NAME)
    device = WebDevice.open(await readAll(db))
  }
  if (!device.is_registered() || !device.is_member_device()) return false
  refresh()
  listen()
  return true
}

/** Takes the server's answer to `POST /api/devices` (its JSON text) and syncs. */
export async function register(answer: string) {
  if (!device) await open()
  if (!device) throw new Error('the device has not started')
  device.apply_registration(answer)
  await persist()
  listen()
  await sync()
}

/** Syncs now, unless there is no network; joins a sync under way. */
export function sync(): Promise<void> {
  online.value = navigator.onLine
  const d = device
  if (!d?.is_registered() || !navigator.onLine) return Promise.resolve()
  if (syncing) {
    syncAgain = true
    return syncing
  }
  syncAgain = false
  running.value = true
  syncing = syncSession(d, persist)
    .then((failure) => {
      syncFailure.value = failure
    })
    .finally(() => {
      syncing = null
      running.value = false
      refresh()
      if (syncAgain && !syncFailure.value) void sync()
    })
  return syncing
}

/** Records what the member did (offline too): stored at once, shown at once, synced when it can. */
async function act(action: (d: WebDevice) => string): Promise<string> {
  if (!device) throw new Error('the device has not started')
  const id = action(device)
  await persist()
  refresh()
  void sync()
  return id
}

/** The member reports their card lost; the server blocks it as soon as the report reaches it. */
export function reportCardLost(): Promise<string> {
  return act((d) => d.report_card_lost(Date.now()))
}

/** The member answers the invitation to club event `id` (offline too). */
export function answerInvitation(id: string, attending: boolean): Promise<string> {
  return act((d) => d.answer_invitation(id, attending, Date.now()))
}

/** The member files a complaint (offline too); the server files it in the register once. */
export function fileComplaint(channel: string, text: string): Promise<string> {
  return act((d) => d.file_complaint(channel, text, Date.now()))
}

/**
 * The member asks the store to change their contact details (offline too): a new phone number,
 * the times to call, SMS consent — whichever is not null. Nothing changes until the store confirms.
 */
export function requestContactChange(
  phone: string | null,
  callSlots: string[] | null,
  smsConsent: boolean | null,
): Promise<string> {
  return act((d) => d.request_contact_change(phone ?? undefined, callSlots ?? undefined, smsConsent ?? undefined, Date.now()))
}

/** The member asks to withdraw. */
export function requestWithdrawal(reason: 'first_service_disappointing' | 'other'): Promise<string> {
  return act((d) => d.request_withdrawal(reason, Date.now()))
}

/** Forgets the device on this phone: its records go from IndexedDB. */
export async function forget() {
  if (timer) clearInterval(timer)
  timer = null
  device?.free()
  device = null
  card.value = null
  unsaved.clear()
  if (db) await clearAll(db).catch(() => undefined)
}

/** `text` as a QR code (SVG markup), or '' when it cannot be drawn. */
export function qrCode(text: string): string {
  try {
    return text ? qr_svg(text) : ''
  } catch {
    return ''
  }
}

/** `text` as a Code 128 barcode (SVG markup), or '' when it cannot be drawn. */
export function barcode(text: string): string {
  try {
    return text ? barcode_svg(text, 60) : ''
  } catch {
    return ''
  }
}

export type SyncFailureOf = SyncFailure
