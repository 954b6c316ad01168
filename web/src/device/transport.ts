// One sync session of a device over a WebSocket, for the field app and the member's phone alike:
// binary frames in and out of client-core, a timeout, and what the server said when it failed.
import type { WebDevice } from '../../pkg/carclub_web.js'

const SYNC_TIMEOUT_MS = 20_000

/** Why a sync failed: a code the screens put in words, and the server's words if any. */
export interface SyncFailure {
  code: 'timeout' | 'closed' | 'network' | 'server'
  detail: string
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/**
 * Runs one sync session of `d` with the server this page came from; `persist` stores what the
 * device changed once the session ended. Resolves to the failure, or null when it completed.
 */
export function syncSession(d: WebDevice, persist: () => Promise<unknown>): Promise<SyncFailure | null> {
  return new Promise((resolve) => {
    let socket: WebSocket | null = null
    let done = false
    const finish = async (failure: SyncFailure | null) => {
      if (done) return
      done = true
      clearTimeout(timeout)
      if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000)
      // What the server said went wrong explains a failure better than the socket can.
      const reported = failure ? d.sync_error() : undefined
      d.sync_end(Date.now())
      await persist()
      resolve(failure ? (reported ? { code: 'server', detail: reported } : failure) : null)
    }
    const timeout = setTimeout(() => void finish({ code: 'timeout', detail: '' }), SYNC_TIMEOUT_MS)
    try {
      socket = new WebSocket(d.sync_url(location.origin))
    } catch (err) {
      void finish({ code: 'network', detail: messageOf(err) })
      return
    }
    socket.binaryType = 'arraybuffer'
    socket.onopen = () => {
      for (const frame of d.sync_begin() as Uint8Array[]) socket?.send(frame)
    }
    socket.onmessage = (event: MessageEvent) => {
      if (done || !(event.data instanceof ArrayBuffer)) return
      try {
        for (const frame of d.sync_receive(new Uint8Array(event.data)) as Uint8Array[]) socket?.send(frame)
      } catch (err) {
        void finish({ code: 'server', detail: messageOf(err) })
        return
      }
      if (d.sync_complete()) void finish(null)
    }
    socket.onerror = () => void finish({ code: 'network', detail: '' })
    socket.onclose = () => void finish({ code: 'closed', detail: '' })
  })
}
