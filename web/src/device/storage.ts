// The device's records in this browser: an IndexedDB database (`carclub` for the field app,
// `carclub-member` for the member's phone), object store `kv`, one entry per key the device asks to
// keep (bytes). Nothing here understands the bytes: client-core does.

const DB_NAME = 'carclub'
const DB_STORE = 'kv'

/** A stored entry: its key and its bytes. */
export type Entry = [string, Uint8Array]

/** Opens (and on first use creates) the device's database. */
export function openDb(name: string = DB_NAME): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1)
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(DB_STORE)) req.result.createObjectStore(DB_STORE)
    }
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
    req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab of this app'))
  })
}

/** Every stored entry, as `[key, Uint8Array]`. */
export function readAll(db: IDBDatabase): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: Entry[] = []
    const tx = db.transaction(DB_STORE, 'readonly')
    const req = tx.objectStore(DB_STORE).openCursor()
    req.onsuccess = () => {
      const cursor = req.result
      if (!cursor) return
      const value = cursor.value as ArrayBuffer | Uint8Array
      entries.push([String(cursor.key), value instanceof Uint8Array ? value : new Uint8Array(value)])
      cursor.continue()
    }
    tx.oncomplete = () => resolve(entries)
    tx.onerror = () => reject(tx.error)
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'))
  })
}

/**
 * Writes `entries` in one transaction with strict durability (an empty value removes its key);
 * resolves once the transaction has committed.
 */
export function writeEntries(db: IDBDatabase, entries: Entry[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(DB_STORE, 'readwrite', { durability: 'strict' })
    const store = tx.objectStore(DB_STORE)
    for (const [key, bytes] of entries) {
      if (bytes.length === 0) store.delete(key)
      else store.put(bytes, key)
    }
    tx.oncomplete = () => resolve()
    tx.onerror = () => reject(tx.error)
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'))
  })
}

/** Removes every stored entry (the device is forgotten on this phone). */
export function clearAll(db: IDBDatabase): Promise<void> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(DB_STORE, 'readwrite', { durability: 'strict' })
    tx.objectStore(DB_STORE).clear()
    tx.oncomplete = () => resolve()
    tx.onerror = () => reject(tx.error)
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'))
  })
}
