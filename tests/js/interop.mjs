// Fetches one document from a sync server with the real JS client (@automerge/automerge-repo and its
// WebSocket client adapter), and prints it as JSON on stdout.
//
//   node interop.mjs --url ws://127.0.0.1:PORT/sync?token=TOKEN --doc automerge:XXXX \
//       [--expect-field name=VALUE]... [--timeout-ms N]
//
// Exit status: 0 the document was found (and every --expect-field matched);
//              1 bad arguments, or the document was found but an --expect-field did not match;
//              2 the document is unavailable, the connection was refused or closed, the server
//                sent an `error` message, or the timeout passed.
// On failure one line saying why goes to stderr. VALUE matches the field's JSON (`points=42`,
// `name="A"`) or, for strings, the bare text (`name=A`).

import {
  Repo,
  cbor,
  isValidAutomergeUrl,
  isValidDocumentId,
  stringifyAutomergeUrl,
} from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"

const USAGE =
  "usage: node interop.mjs --url ws://HOST:PORT/sync?token=TOKEN --doc automerge:ID " +
  "[--expect-field name=VALUE]... [--timeout-ms N]"

function finish(code, line, stdout) {
  if (line) process.stderr.write(line.replace(/\s+/g, " ").trim() + "\n")
  const exit = () => process.exit(code)
  if (stdout !== undefined) process.stdout.write(stdout + "\n", exit)
  else exit()
}

function parseArgs(argv) {
  const args = { expect: [], timeoutMs: 10000 }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    const value = argv[i + 1]
    if (value === undefined) finish(1, `missing value after ${flag}; ${USAGE}`)
    i++
    if (flag === "--url") args.url = value
    else if (flag === "--doc") args.doc = value
    else if (flag === "--timeout-ms") args.timeoutMs = Number(value)
    else if (flag === "--expect-field") {
      const eq = value.indexOf("=")
      if (eq <= 0) finish(1, `--expect-field wants name=VALUE, got ${value}`)
      args.expect.push([value.slice(0, eq), value.slice(eq + 1)])
    } else finish(1, `unknown argument ${flag}; ${USAGE}`)
  }
  if (!args.url || !args.doc) finish(1, USAGE)
  if (!/^wss?:\/\//.test(args.url)) finish(1, `--url must be ws:// or wss://, got ${args.url}`)
  if (!Number.isFinite(args.timeoutMs) || args.timeoutMs <= 0)
    finish(1, "--timeout-ms must be a positive number")
  if (isValidDocumentId(args.doc)) args.doc = stringifyAutomergeUrl(args.doc)
  if (!isValidAutomergeUrl(args.doc)) finish(1, `--doc is not an automerge URL: ${args.doc}`)
  return args
}

const args = parseArgs(process.argv.slice(2))

// What happened on the connection, to say why a document could not be had.
const seen = { opened: false, handshake: false, closed: false, unavailable: false }

const adapter = new WebSocketClientAdapter(args.url)

// Socket errors: the adapter retries ECONNREFUSED quietly and throws anything else (such as the
// server refusing the upgrade with 401) from an event handler. Record the first, fail on the rest.
adapter.onError = event => {
  const error = event?.error
  if (error?.code === "ECONNREFUSED") finish(2, `connection refused (${args.url})`)
  else finish(2, `connection failed: ${error?.message ?? "websocket error"}`)
}
const onOpen = adapter.onOpen
adapter.onOpen = () => {
  seen.opened = true
  onOpen()
}
const onClose = adapter.onClose
adapter.onClose = () => {
  seen.closed = true
  if (!seen.handshake) finish(2, "connection closed before the handshake")
  onClose()
}

// The adapter only logs an `error` message from the server; it ends the attempt here.
const receive = adapter.receiveMessage.bind(adapter)
adapter.receiveMessage = bytes => {
  let message
  try {
    message = cbor.decode(new Uint8Array(bytes))
  } catch {
    message = undefined
  }
  if (message?.type === "peer") seen.handshake = true
  if (message?.type === "doc-unavailable") seen.unavailable = true
  if (message?.type === "error") finish(2, `server sent error: ${message.message}`)
  receive(bytes)
}

function whyNot() {
  if (seen.unavailable) return "server sent doc-unavailable"
  if (seen.handshake) return "no peer has it"
  if (seen.opened) return "no answer to join"
  return "not connected"
}

const repo = new Repo({ network: [adapter] })

const timer = setTimeout(
  () => finish(2, `timed out after ${args.timeoutMs} ms waiting for ${args.doc} (${whyNot()})`),
  args.timeoutMs
)

// The adapter declares itself ready one second after connecting even if no `peer` came, and a
// find with no peer fails at once; wait for the handshake so a slow server is not "unavailable".
await new Promise(resolve => adapter.once("peer-candidate", resolve))

let handle
try {
  handle = await repo.find(args.doc)
} catch (e) {
  clearTimeout(timer)
  finish(2, `document ${args.doc} unavailable: ${whyNot()}`)
}

if (handle) {
  clearTimeout(timer)
  const doc = handle.doc()
  const json = JSON.stringify(doc, (_, v) =>
    typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v
  )
  const doc_ = JSON.parse(json)
  const mismatches = args.expect.filter(([name, want]) => {
    const got = doc_[name]
    return JSON.stringify(got) !== want && !(typeof got === "string" && got === want)
  })
  if (mismatches.length > 0) {
    const [name, want] = mismatches[0]
    finish(1, `field ${name} is ${JSON.stringify(doc_[name])}, expected ${want}`, json)
  } else finish(0, undefined, json)
}
