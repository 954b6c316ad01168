// Decodes frames encoded by carclub-protocol with the library's own CBOR decoder and checks each
// reads back as the library's message. Usage:
//   CARCLUB_RUST_FRAMES=/tmp/rust-frames.json cargo test -p carclub-protocol --test js_fixtures
//   node check-rust-frames.mjs /tmp/rust-frames.json
import { readFileSync } from "node:fs"
import { cbor, isValidDocumentId } from "@automerge/automerge-repo"
import { Automerge } from "@automerge/automerge-repo/slim"

const frames = JSON.parse(readFileSync(process.argv[2], "utf8"))
const hex = b => Buffer.from(b).toString("hex")
// The fixtures' JSON view: bytes as {hex}, undefined/null properties dropped; a BigInt (which
// cbor-x makes of a CBOR uint64) is kept visible so it fails the comparison.
const plain = v => {
  if (typeof v === "bigint") return `BigInt(${v})`
  if (v instanceof Uint8Array) return { hex: hex(v) }
  if (Array.isArray(v)) return v.map(plain)
  if (v && typeof v === "object")
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== undefined && x !== null)
        .map(([k, x]) => [k, plain(x)])
    )
  return v
}
let failures = 0
for (const { name, hex: frameHex, decoded: expected } of frames) {
  const message = cbor.decode(Buffer.from(frameHex, "hex"))
  const problems = []
  for (const [key, want] of Object.entries(expected)) {
    if (want === null) continue
    const got = JSON.stringify(plain(message[key]))
    if (got !== JSON.stringify(plain(want))) problems.push(`${key}: got ${got}`)
  }
  if (message.data instanceof Uint8Array && ["sync", "request"].includes(message.type))
    Automerge.decodeSyncMessage(message.data) // throws if not a sync message
  if ("documentId" in message && !isValidDocumentId(message.documentId))
    problems.push("documentId invalid")
  if (problems.length) {
    failures++
    console.error(`${name}: ${problems.join("; ")}`)
  } else console.log(`ok ${name}`)
}
process.exit(failures ? 1 : 0)
