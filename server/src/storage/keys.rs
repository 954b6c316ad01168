//! Every key layout of the store, in one place.
//!
//! A [`Table`] is a key prefix, the type of its keys and the [`Format`] of its values; it builds
//! keys, encodes and decodes values and names the key of a record it cannot read. The rest of the
//! server reads and writes through these tables and never writes a prefix itself, so a second
//! backend, a migration or a backup sees the whole layout here.
//!
//! Key parts are written so that keys sort as their values do where order matters: sequence
//! numbers big-endian, ids (UUIDv7, time-ordered) as their text.

use std::marker::PhantomData;

use carclub_protocol::DocumentId;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::codec::{self, Format};
use super::{Batch, Order, Store, StoreError, Visitor};

/// How a value becomes (part of) a key.
pub trait KeyPart {
    /// Appends this part's bytes to `out`.
    fn write_key(&self, out: &mut Vec<u8>);
}

impl KeyPart for str {
    fn write_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
}

impl KeyPart for String {
    fn write_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
}

impl KeyPart for [u8] {
    fn write_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
}

impl KeyPart for [u8; 32] {
    fn write_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
}

/// Sequence numbers: big-endian, so keys sort by number.
impl KeyPart for u64 {
    fn write_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
}

impl KeyPart for DocumentId {
    fn write_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
}

/// Two parts joined by `/`.
impl<A: KeyPart, B: KeyPart> KeyPart for (A, B) {
    fn write_key(&self, out: &mut Vec<u8>) {
        self.0.write_key(out);
        out.push(b'/');
        self.1.write_key(out);
    }
}

impl<T: KeyPart + ?Sized> KeyPart for &T {
    fn write_key(&self, out: &mut Vec<u8>) {
        (**self).write_key(out);
    }
}

/// Makes types that key records by their text (`Display`) usable as key parts.
#[macro_export]
macro_rules! display_key {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::storage::KeyPart for $t {
            fn write_key(&self, out: &mut Vec<u8>) {
                use std::io::Write as _;
                let _ = write!(out, "{}", self);
            }
        }
    )*};
}

display_key!(
    carclub_shared::MemberId,
    carclub_shared::EventId,
    carclub_shared::StoreId,
    carclub_shared::UserId,
    carclub_shared::DeviceId,
    carclub_shared::CompanyId,
    carclub_shared::CardNo,
    uuid::Uuid,
);

/// What a visit of a table calls with each key and decoded record; `Ok(false)` stops the visit.
pub type RecordVisitor<'a, V> = dyn FnMut(&[u8], V) -> Result<bool, StoreError> + 'a;

/// A set of records under one key prefix.
pub struct Table<K: ?Sized> {
    prefix: &'static str,
    format: Format,
    key: PhantomData<fn(&K)>,
}

impl<K: KeyPart + ?Sized> Table<K> {
    const fn new(prefix: &'static str, format: Format) -> Self {
        Self {
            prefix,
            format,
            key: PhantomData,
        }
    }

    /// The prefix every key of this table starts with.
    pub fn prefix(&self) -> &'static [u8] {
        self.prefix.as_bytes()
    }

    /// The key of the record `k`.
    pub fn key(&self, k: &K) -> Vec<u8> {
        let mut out = self.prefix.as_bytes().to_vec();
        k.write_key(&mut out);
        out
    }

    /// The prefix of every record whose key starts with `part` followed by `/`.
    pub fn sub_prefix<P: KeyPart + ?Sized>(&self, part: &P) -> Vec<u8> {
        let mut out = self.prefix.as_bytes().to_vec();
        part.write_key(&mut out);
        out.push(b'/');
        out
    }

    /// The part of `key` after this table's prefix, if `key` is one of this table's.
    pub fn rest_of<'k>(&self, key: &'k [u8]) -> Option<&'k [u8]> {
        key.strip_prefix(self.prefix.as_bytes())
    }

    /// The record at the full `key` (one of this table's), if stored.
    pub fn get_at<V: DeserializeOwned>(
        &self,
        store: &dyn Store,
        key: &[u8],
    ) -> Result<Option<V>, StoreError> {
        store
            .get(key)?
            .map(|bytes| self.decode(key, &bytes))
            .transpose()
    }

    fn decode<V: DeserializeOwned>(&self, key: &[u8], bytes: &[u8]) -> Result<V, StoreError> {
        codec::decode_as(self.format, bytes).map_err(|e| StoreError::corrupt(key, e))
    }

    fn encode<V: Serialize + ?Sized>(&self, key: &[u8], value: &V) -> Result<Vec<u8>, StoreError> {
        codec::encode_as(self.format, value).map_err(|source| StoreError::Encode {
            key: String::from_utf8_lossy(key).into_owned(),
            source,
        })
    }

    /// The record `k`, if stored.
    pub fn get<V: DeserializeOwned>(
        &self,
        store: &dyn Store,
        k: &K,
    ) -> Result<Option<V>, StoreError> {
        let key = self.key(k);
        store
            .get(&key)?
            .map(|bytes| self.decode(&key, &bytes))
            .transpose()
    }

    /// The record `k` as the store will hold it once `batch` is committed.
    pub fn get_through<V: DeserializeOwned>(
        &self,
        store: &dyn Store,
        batch: &Batch,
        k: &K,
    ) -> Result<Option<V>, StoreError> {
        let key = self.key(k);
        match batch.pending(&key) {
            Some(Some(bytes)) => self.decode(&key, bytes).map(Some),
            Some(None) => Ok(None),
            None => self.get(store, k),
        }
    }

    /// Whether record `k` is stored.
    pub fn contains(&self, store: &dyn Store, k: &K) -> Result<bool, StoreError> {
        Ok(store.get(&self.key(k))?.is_some())
    }

    /// Writes record `k` into `batch`.
    pub fn put<V: Serialize + ?Sized>(
        &self,
        batch: &mut Batch,
        k: &K,
        value: &V,
    ) -> Result<(), StoreError> {
        let key = self.key(k);
        let bytes = self.encode(&key, value)?;
        batch.put(key, bytes);
        Ok(())
    }

    /// Removes record `k` in `batch`.
    pub fn delete(&self, batch: &mut Batch, k: &K) {
        batch.delete(self.key(k));
    }

    /// Visits the records under `prefix` (a key prefix of this table) until `f` returns `false`.
    pub fn visit_under<V: DeserializeOwned>(
        &self,
        store: &dyn Store,
        prefix: &[u8],
        order: Order,
        f: &mut RecordVisitor<'_, V>,
    ) -> Result<(), StoreError> {
        debug_assert!(prefix.starts_with(self.prefix.as_bytes()));
        store.visit(prefix, order, &mut |k, v| {
            let value = self.decode(k, v)?;
            f(k, value)
        })
    }

    /// Visits every record of the table until `f` returns `false`.
    pub fn visit<V: DeserializeOwned>(
        &self,
        store: &dyn Store,
        order: Order,
        f: &mut RecordVisitor<'_, V>,
    ) -> Result<(), StoreError> {
        self.visit_under(store, self.prefix.as_bytes(), order, f)
    }

    /// Every record of the table, in key order. A record that cannot be read is an error.
    pub fn all<V: DeserializeOwned>(&self, store: &dyn Store) -> Result<Vec<V>, StoreError> {
        let mut out = Vec::new();
        self.visit(store, Order::Forward, &mut |_, v| {
            out.push(v);
            Ok(true)
        })?;
        Ok(out)
    }

    /// Every record under `prefix`, as the store will hold them once `batch` is committed, in key
    /// order.
    pub fn all_through<V: DeserializeOwned>(
        &self,
        store: &dyn Store,
        batch: &Batch,
        prefix: &[u8],
    ) -> Result<Vec<V>, StoreError> {
        let mut map: std::collections::BTreeMap<Vec<u8>, Vec<u8>> =
            store.scan(prefix)?.into_iter().collect();
        for (k, v) in batch.pending_under(prefix) {
            match v {
                Some(v) => map.insert(k.to_vec(), v.to_vec()),
                None => map.remove(k),
            };
        }
        map.iter().map(|(k, v)| self.decode(k, v)).collect()
    }

    /// At most `limit` records after the key `after` (exclusive; from the start when `None`), in
    /// key order, with the key of each: one page of a listing.
    pub fn page<V: DeserializeOwned>(
        &self,
        store: &dyn Store,
        after: Option<&K>,
        limit: usize,
        keep: &mut dyn FnMut(&V) -> bool,
    ) -> Result<Vec<V>, StoreError> {
        let after = after.map(|a| self.key(a));
        let mut out = Vec::new();
        self.visit(store, Order::Forward, &mut |k, v: V| {
            if after.as_deref().is_some_and(|a| k <= a) {
                return Ok(true);
            }
            if keep(&v) {
                out.push(v);
            }
            Ok(out.len() < limit)
        })?;
        Ok(out)
    }

    /// The raw bytes of record `k` (tables of [`Format::Raw`] kind hold bytes the caller lays out).
    pub fn get_bytes(&self, store: &dyn Store, k: &K) -> Result<Option<Vec<u8>>, StoreError> {
        store.get(&self.key(k))
    }

    /// Writes raw bytes at record `k`.
    pub fn put_bytes(&self, batch: &mut Batch, k: &K, bytes: Vec<u8>) {
        batch.put(self.key(k), bytes);
    }

    /// Visits the raw records of the table.
    pub fn visit_bytes(
        &self,
        store: &dyn Store,
        order: Order,
        f: &mut Visitor<'_>,
    ) -> Result<(), StoreError> {
        let n = self.prefix.len();
        store.visit(self.prefix.as_bytes(), order, &mut |k, v| f(&k[n..], v))
    }
}

// ---- accounts (binary records) ----

/// Users by username.
pub const USERS: Table<str> = Table::new("user/", Format::Binary);
/// A user id's username (raw UTF-8).
pub const USER_IDS: Table<carclub_shared::UserId> = Table::new("user-id/", Format::Binary);
/// Stores (branches) by id.
pub const STORES: Table<carclub_shared::StoreId> = Table::new("store/", Format::Binary);
/// Registered devices by id.
pub const DEVICES: Table<carclub_shared::DeviceId> = Table::new("device/", Format::Binary);
/// Sessions by the SHA-256 of their token.
pub const TOKENS: Table<[u8; 32]> = Table::new("token/", Format::Binary);
/// When each user's login sessions were last revoked.
pub const REVOKED: Table<carclub_shared::UserId> = Table::new("revoked/", Format::Binary);
/// The member file each member login belongs to.
pub const MEMBER_LOGINS: Table<carclub_shared::UserId> =
    Table::new("member-login/", Format::Binary);
/// Member invitation codes by the SHA-256 of the code.
pub const INVITATIONS: Table<[u8; 32]> = Table::new("invite/", Format::Binary);
/// When each device last opened or closed a sync connection (milliseconds since the epoch).
pub const DEVICE_SYNCS: Table<carclub_shared::DeviceId> =
    Table::new("device-sync/", Format::Binary);
/// Field staff's company assignments.
pub const ASSIGNMENTS: Table<carclub_shared::UserId> = Table::new("assignment/", Format::Json);
/// The append-only audit log, by sequence number.
pub const AUDIT: Table<u64> = Table::new("audit/", Format::Json);

// ---- members, events and the fold ----

/// What each document is and whom it belongs to.
pub const DOC_META: Table<DocumentId> = Table::new("docmeta/", Format::Binary);
/// Member index records.
pub const MEMBERS: Table<carclub_shared::MemberId> = Table::new("member/", Format::Json);
/// Conflicts by id.
pub const CONFLICTS: Table<str> = Table::new("conflict/", Format::Json);
/// Decisions on conflicts.
pub const RESOLUTIONS: Table<str> = Table::new("resolution/", Format::Json);
/// How far each device's journal is folded (raw big-endian `u64`).
pub const JOURNAL_POS: Table<carclub_shared::DeviceId> = Table::new("journalpos/", Format::Json);
/// Every event the server received, with its outcome, by event id.
pub const EVENTS: Table<str> = Table::new("event/", Format::Json);
/// Each member's accepted events: (member, event).
pub const MEMBER_EVENTS: Table<(carclub_shared::MemberId, carclub_shared::EventId)> =
    Table::new("mev/", Format::Json);
/// Field visits by id.
pub const VISITS: Table<str> = Table::new("visit/", Format::Json);
/// Members holding a VIN, card or receipt: (index, value) → member ids.
pub const HOLDERS: Table<(&'static str, String)> = Table::new("idx/", Format::Json);
/// Server facts (raw): its peer id.
pub const SERVER_META: Table<str> = Table::new("meta/", Format::Binary);

// ---- club records ----

/// Sample and borrowed card loans.
pub const LOANS: Table<uuid::Uuid> = Table::new("loan/", Format::Json);
/// Sold cards written off against their receipts, by card.
pub const WRITE_OFFS: Table<carclub_shared::CardNo> = Table::new("writeoff/", Format::Json);
/// Complaints.
pub const COMPLAINTS: Table<uuid::Uuid> = Table::new("complaint/", Format::Json);
/// Club events.
pub const CLUB_EVENTS: Table<uuid::Uuid> = Table::new("club_event/", Format::Json);
/// Partner merchants.
pub const PARTNERS: Table<uuid::Uuid> = Table::new("partner/", Format::Json);
/// Corporate agreements by company.
pub const AGREEMENTS: Table<carclub_shared::CompanyId> = Table::new("corporate/", Format::Json);

// ---- customer care: the notification outbox ----

/// Outgoing messages (SMS, webhook deliveries) by id.
pub const OUTBOX: Table<uuid::Uuid> = Table::new("outbox/", Format::Json);
/// The message enqueued under each idempotency key.
pub const OUTBOX_KEYS: Table<str> = Table::new("outbox-key/", Format::Json);
/// Messages waiting for an attempt: (due, in milliseconds since the epoch, 0 for at once;
/// message id) → message id, so the first key is the next message to try.
pub const OUTBOX_DUE: Table<(u64, uuid::Uuid)> = Table::new("outbox-due/", Format::Json);
/// Attempts in flight: (deadline, in milliseconds since the epoch; message id) → message id. An
/// attempt still here after its deadline was interrupted (its server stopped), whichever instance
/// notices.
pub const OUTBOX_SENDING: Table<(u64, uuid::Uuid)> = Table::new("outbox-sending/", Format::Json);

// ---- customer care: tasks, appointments, scripts, campaigns ----

/// Care call tasks by id (`YYYYMMDD-<hash>`: the due day, then a hash of the reminder's identity),
/// so the scheduler writes each once and listings come in due order.
pub const CARE_TASKS: Table<str> = Table::new("care-task/", Format::Json);
/// The open care tasks: task id → its store, so a run looks only at what is still open.
pub const CARE_OPEN_TASKS: Table<str> = Table::new("care-open/", Format::Json);

// ---- contact changes awaiting the store ----

/// A contact change request not answered yet: the request's event id → what it asks. Answered,
/// it leaves (the member's events keep the request and the answer).
pub const CONTACT_CHANGES_OPEN: Table<str> = Table::new("contact-open/", Format::Json);
/// The appointment register by id.
pub const CARE_APPOINTMENTS: Table<uuid::Uuid> = Table::new("care-appt/", Format::Json);
/// Call scripts written by the care manager: (store, reminder kind) → script.
pub const CARE_SCRIPTS: Table<(carclub_shared::StoreId, &'static str)> =
    Table::new("care-script/", Format::Json);
/// Care campaigns (holiday, severe weather, other) by id.
pub const CARE_CAMPAIGNS: Table<uuid::Uuid> = Table::new("care-campaign/", Format::Json);

// ---- monthly figures ----

/// A store's kept monthly figures: (store, `YYYY-MM`) → the month's figures.
pub const KPI_MONTHS: Table<(carclub_shared::StoreId, String)> = Table::new("kpi/", Format::Json);
/// The members behind a kept figure: (store, `YYYY-MM/<figure>`) → counted and missed members.
pub const KPI_MEMBERS: Table<(carclub_shared::StoreId, String)> =
    Table::new("kpi-members/", Format::Binary);

// ---- import jobs of the back office ----

/// An import job: id → who started it, its files' names, its state, progress and report.
pub const IMPORT_JOBS: Table<str> = Table::new("import-job/", Format::Json);
/// A running import job's files: `<job>/<n>` → the file's bytes as uploaded (raw).
pub const IMPORT_FILES: Table<str> = Table::new("import-file/", Format::Binary);
/// The rows a running import job's committed chunks added or updated: `<job>/<chunk>` → rows.
pub const IMPORT_ROWS: Table<str> = Table::new("import-rows/", Format::Json);

// ---- documents (laid out by the document store) ----

/// Document chunks: (document, sequence), raw Automerge bytes.
pub const DOC_CHUNKS: Table<DocumentId> = Table::new("doc/", Format::Binary);
/// The change sequence: sequence → document id and heads (raw).
pub const CHANGES: Table<u64> = Table::new("chg/", Format::Binary);

/// The key of chunk `seq` of document `id`.
pub fn chunk_key(id: &DocumentId, seq: u64) -> Vec<u8> {
    let mut k = DOC_CHUNKS.key(id);
    seq.write_key(&mut k);
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_todays_layout() {
        let m: carclub_shared::MemberId = "0190f1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b".parse().unwrap();
        assert_eq!(
            MEMBERS.key(&m),
            b"member/0190f1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b".to_vec()
        );
        assert_eq!(AUDIT.key(&1), b"audit/\0\0\0\0\0\0\0\x01".to_vec());
        assert_eq!(
            HOLDERS.key(&("vin", "LSVAB".to_string())),
            b"idx/vin/LSVAB".to_vec()
        );
        assert_eq!(MEMBER_EVENTS.sub_prefix(&m).len(), b"mev/".len() + 36 + 1);
    }

    #[test]
    fn sequence_keys_sort_by_number() {
        assert!(AUDIT.key(&255) < AUDIT.key(&256));
        assert!(CHANGES.key(&9) < CHANGES.key(&10));
    }
}
