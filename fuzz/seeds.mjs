// Writes a starting corpus for each fuzzing target into fuzz/corpus/<target>/ from real inputs:
// the wire frames recorded from the official JS client, a year of a member's events, the preset
// programs, a device's journal as the Automerge sync protocol uploads it, and a valid body of
// several API kinds. Uses the JS packages of tests/js (npm install --prefix tests/js).
//
//   node fuzz/seeds.mjs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const require = createRequire(join(root, 'tests/js/package.json'))
const Automerge = require('@automerge/automerge')

const write = (target, name, bytes) => {
  const dir = join(here, 'corpus', target)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, name), bytes)
}
const read = (path) => readFileSync(join(root, path), 'utf8')
const withForm = (form, bytes) => Buffer.concat([Buffer.from([form]), Buffer.from(bytes)])

// Every hex string in the wire fixtures long enough to be a frame.
const frames = []
const collect = (v) => {
  if (typeof v === 'string' && v.length >= 8 && v.length % 2 === 0 && /^[0-9a-f]+$/i.test(v)) {
    frames.push(Buffer.from(v, 'hex'))
  } else if (Array.isArray(v)) v.forEach(collect)
  else if (v && typeof v === 'object') Object.values(v).forEach(collect)
}
collect(JSON.parse(read('protocol/tests/fixtures/js-messages.json')))
frames.forEach((f, i) => write('wire_frame', `js-${i}`, f))

const year = read('docs/examples/member-year.json')
write('event_json', 'member-year', year)
const events = JSON.parse(year)
events.forEach((e, i) => write('event_json', `event-${i}`, JSON.stringify(e)))

for (const name of ['a', 'b', 'c']) write('program_toml', name, read(`shared/presets/${name}.toml`))

// A device's journal (as protocol::docs::journal writes it) uploaded to a server holding nothing:
// each message the device sends is a seed (form byte 0: a sync message), and so are the saved
// journal and its last increment (form byte 1: Automerge changes loaded incrementally).
let device = Automerge.from({
  kind: 'journal',
  device: '07070707-0707-4707-8707-070707070707',
  events: [],
})
let increment = new Uint8Array()
for (const event of events) {
  const before = Automerge.getHeads(device)
  device = Automerge.change(device, (d) => {
    d.events.push(event)
  })
  increment = Automerge.saveSince(device, before)
}
let server = Automerge.init()
let fromDevice = Automerge.initSyncState()
let fromServer = Automerge.initSyncState()
for (let round = 0; round < 10; round++) {
  let sent
  ;[fromDevice, sent] = Automerge.generateSyncMessage(device, fromDevice)
  if (sent) {
    write('journal_upload', `sync-${round}`, withForm(0, sent))
    ;[server, fromServer] = Automerge.receiveSyncMessage(server, fromServer, sent)
  }
  let answer
  ;[fromServer, answer] = Automerge.generateSyncMessage(server, fromServer)
  if (answer) [device, fromDevice] = Automerge.receiveSyncMessage(device, fromDevice, answer)
  if (!sent && !answer) break
}
write('journal_upload', 'saved', withForm(1, Automerge.save(device)))
write('journal_upload', 'increment', withForm(1, increment))

// The first byte picks the kind by its place in server::http::bodies::BODIES.
const bodies = [
  [0, { username: 'admin', password: 'secret-password' }],
  [11, { type: 'manual_grant', points: 10, reason: '活动补录', at: '2026-03-01T10:00:00+08:00' }],
  [11, events[1]],
  [2, { name: '西店', program: 'B' }],
]
bodies.forEach(([kind, body], i) => write('api_body', `body-${i}`, withForm(kind, Buffer.from(JSON.stringify(body)))))
console.log('seeds written to fuzz/corpus/')
