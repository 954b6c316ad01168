// Prints real automerge-repo WebSocket frames as JSON, for protocol/tests/fixtures/js-messages.json.
//
// Two real Repos talk over a real WebSocket on 127.0.0.1 (the client with WebSocketClientAdapter,
// the server with WebSocketServerAdapter); every binary frame each side receives is recorded as hex.
// A few frames the run does not produce (error, a Uint8Array tagged by a default cbor-x encoder) are
// made with the library's own CBOR helpers. Usage: `node wire-fixtures.mjs > fixtures.json`.

import { WebSocketServer } from "ws"
import { Encoder } from "cbor-x"
import {
  Repo,
  cbor,
  generateAutomergeUrl,
  parseAutomergeUrl,
} from "@automerge/automerge-repo"
import {
  WebSocketClientAdapter,
  WebSocketServerAdapter,
} from "@automerge/automerge-repo-network-websocket"
import { readFileSync } from "node:fs"

const hex = bytes => Buffer.from(bytes).toString("hex")
const version = pkg =>
  JSON.parse(
    readFileSync(new URL(`./node_modules/${pkg}/package.json`, import.meta.url))
  ).version

// JSON-friendly view of a decoded frame: byte strings become {"hex": ...}.
const plain = value => {
  if (value instanceof Uint8Array) return { hex: hex(value) }
  if (Array.isArray(value)) return value.map(plain)
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, v === undefined ? null : plain(v)])
    )
  }
  return value
}

const frames = []
const record = (direction, bytes) => {
  const b = new Uint8Array(bytes)
  const decoded = cbor.decode(b)
  frames.push({ name: decoded.type, direction, hex: hex(b), decoded: plain(decoded) })
}

const sleep = ms => new Promise(r => setTimeout(r, ms))
const withTimeout = (p, ms, what) =>
  Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`timeout: ${what}`)))])

// Server side: a Repo behind WebSocketServerAdapter, recording what clients send.
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 })
await new Promise(r => wss.on("listening", r))
const serverAdapter = new WebSocketServerAdapter(wss)
const serverReceive = serverAdapter.receiveMessage.bind(serverAdapter)
serverAdapter.receiveMessage = (bytes, socket) => {
  record("client-to-server", bytes)
  serverReceive(bytes, socket)
}
const server = new Repo({
  network: [serverAdapter],
  peerId: "server-peer",
  sharePolicy: async () => false,
})

const serverDoc = server.create({ plate: "粤B12345", points: 42 })

// Client side: a Repo behind WebSocketClientAdapter, recording what the server sends.
const clientAdapter = new WebSocketClientAdapter(
  `ws://127.0.0.1:${wss.address().port}/sync`
)
const clientReceive = clientAdapter.receiveMessage.bind(clientAdapter)
clientAdapter.receiveMessage = bytes => {
  record("server-to-client", bytes)
  clientReceive(bytes)
}
const client = new Repo({
  network: [clientAdapter],
  peerId: "client-peer",
  enableRemoteHeadsGossiping: true,
})

const found = await withTimeout(client.find(serverDoc.url), 5000, "find existing")
const doc = found.doc()
if (doc.points !== 42) throw new Error("client did not receive the document")

// A document nobody has: the server answers doc-unavailable.
const missing = generateAutomergeUrl()
await withTimeout(
  client.find(missing).then(
    () => {
      throw new Error("missing document was found")
    },
    () => undefined
  ),
  5000,
  "find missing"
)

// Ephemeral message and a remote-heads subscription from the client.
found.broadcast({ cursor: 7 })
client.subscribeToRemotes(["3760df37-a4c6-4f66-9ecd-732039a9385d"])
await sleep(300)

// Frames the run does not produce.
const made = (name, message, encode = cbor.encode) => {
  const bytes = encode(message)
  frames.push({
    name,
    direction: "made",
    hex: hex(bytes),
    decoded: plain(cbor.decode(bytes)),
  })
}
made("error", {
  type: "error",
  senderId: "server-peer",
  message: "unsupported protocol version",
  targetId: "client-peer",
})
const firstSync = frames.find(f => f.name === "sync")
const taggedEncoder = new Encoder({ useRecords: false }) // cbor-x default: tags typed arrays
made(
  "sync-tagged-uint8array",
  {
    type: "sync",
    senderId: "client-peer",
    targetId: "server-peer",
    documentId: firstSync.decoded.documentId,
    data: Buffer.from(firstSync.decoded.data.hex, "hex"),
  },
  m => taggedEncoder.encode({ ...m, data: new Uint8Array(m.data) })
)
made("remote-heads-changed", {
  type: "remote-heads-changed",
  senderId: "server-peer",
  targetId: "client-peer",
  documentId: firstSync.decoded.documentId,
  newHeads: {
    "3760df37-a4c6-4f66-9ecd-732039a9385d": {
      heads: ["2W8ZuDNsXBrZdiGtc3Q8pYr8LUDv4wdZgGXMa2vWoxzBRJFHcD"],
      timestamp: Date.now(), // cbor-x writes this as a float64
    },
  },
})
made("unknown-type", {
  type: "future-thing",
  senderId: "client-peer",
  targetId: "server-peer",
  stuff: [1, 2, { x: 3 }],
})

// Document ids: binary and bs58check forms from the library itself.
const documentIds = [serverDoc.url, missing, generateAutomergeUrl()].map(url => {
  const { binaryDocumentId, documentId } = parseAutomergeUrl(url)
  return { url, documentId, hex: hex(binaryDocumentId) }
})

console.log(
  JSON.stringify(
    {
      generator: "tests/js/wire-fixtures.mjs",
      versions: {
        "@automerge/automerge-repo": version("@automerge/automerge-repo"),
        "@automerge/automerge-repo-network-websocket": version(
          "@automerge/automerge-repo-network-websocket"
        ),
        "@automerge/automerge": version("@automerge/automerge"),
        "cbor-x": version("cbor-x"),
      },
      documentIds,
      frames,
    },
    null,
    2
  )
)

client.shutdown()
server.shutdown()
wss.close()
setTimeout(() => process.exit(0), 100)
