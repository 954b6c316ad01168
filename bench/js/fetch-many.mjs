// Fetches many documents from a sync server with the official JS client (@automerge/automerge-repo
// and its WebSocket client adapter), `--in-flight` at a time, and prints one JSON line: how many
// were fetched, the wall time, this process's CPU (user and system) and the bytes on the socket.
// `carclub-bench js-client` runs it against a populated server and prints the server's CPU beside.
//
//   node fetch-many.mjs --url ws://HOST:PORT/sync?token=TOKEN --docs FILE [--in-flight 100]
//
// FILE holds one automerge URL a line. Exits 2 when a document cannot be had or the connection
// fails, 1 on bad arguments.

import { readFileSync } from "node:fs"
import { Repo } from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"

const USAGE = "usage: node fetch-many.mjs --url ws://HOST:PORT/sync?token=TOKEN --docs FILE [--in-flight N]"

function fail(code, line) {
  process.stderr.write(line + "\n")
  process.exit(code)
}

const args = { inFlight: 100 }
const argv = process.argv.slice(2)
for (let i = 0; i < argv.length; i += 2) {
  const [flag, value] = [argv[i], argv[i + 1]]
  if (value === undefined) fail(1, `missing value after ${flag}; ${USAGE}`)
  if (flag === "--url") args.url = value
  else if (flag === "--docs") args.docs = value
  else if (flag === "--in-flight") args.inFlight = Number(value)
  else fail(1, `unknown argument ${flag}; ${USAGE}`)
}
if (!args.url || !args.docs || !(args.inFlight >= 1)) fail(1, USAGE)
const urls = readFileSync(args.docs, "utf8").split("\n").map(l => l.trim()).filter(Boolean)

const adapter = new WebSocketClientAdapter(args.url)
adapter.onError = event => fail(2, `connection failed: ${event?.error?.message ?? "websocket error"}`)
const repo = new Repo({ network: [adapter] })
await new Promise(resolve => adapter.once("peer-candidate", resolve))

const cpu0 = process.cpuUsage()
const started = performance.now()
let next = 0
let fetched = 0
async function worker() {
  while (next < urls.length) {
    const url = urls[next++]
    let handle
    try {
      handle = await repo.find(url)
    } catch (e) {
      fail(2, `document ${url} unavailable: ${e?.message ?? e}`)
    }
    if (handle.doc() === undefined) fail(2, `document ${url} is empty`)
    fetched++
  }
}
await Promise.all(Array.from({ length: Math.min(args.inFlight, urls.length) }, worker))
const wallMs = performance.now() - started
const cpu = process.cpuUsage(cpu0)
const tcp = adapter.socket?._socket
process.stdout.write(
  JSON.stringify({
    fetched,
    wall_ms: Math.round(wallMs),
    cpu_user_ms: Math.round(cpu.user / 1000),
    cpu_system_ms: Math.round(cpu.system / 1000),
    bytes_read: tcp?.bytesRead ?? null,
    bytes_written: tcp?.bytesWritten ?? null,
  }) + "\n",
  () => process.exit(0),
)
