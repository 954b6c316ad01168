//! The web app's binding to client-core.
//!
//! A thin layer: every method forwards to [`carclub_client::Device`] and only converts values at the
//! edge — JSON stays JSON text, byte frames become `Uint8Array`s, `i64` milliseconds travel as JS
//! numbers (exact up to 2^53, far beyond any date we meet), and a [`carclub_client::ClientError`]
//! becomes a JS `Error` carrying its message. The device does no IO: the page keeps its key/value
//! entries in IndexedDB and moves sync frames over a WebSocket; the protocol and the business rules
//! live in Rust, in client-core and shared.

use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;

/// Converts any displayable error into a JS `Error` with its message.
fn js_error(err: impl std::fmt::Display) -> JsValue {
    js_sys::Error::new(&err.to_string()).into()
}

/// A JS time in milliseconds as the device's `i64`.
fn millis(now_ms: f64) -> i64 {
    // Truncation is intended: JS times are whole milliseconds.
    now_ms as i64
}

/// Converts `(key, bytes)` entries into a JS array of `[key, Uint8Array]` pairs.
fn entries_to_js(entries: Vec<(String, Vec<u8>)>) -> Array {
    entries
        .into_iter()
        .map(|(key, bytes)| {
            let pair = Array::new();
            pair.push(&JsValue::from_str(&key));
            pair.push(&Uint8Array::from(bytes.as_slice()));
            JsValue::from(pair)
        })
        .collect()
}

/// Converts frames into a JS array of `Uint8Array`s.
fn frames_to_js(frames: Vec<Vec<u8>>) -> Array {
    frames
        .into_iter()
        .map(|frame| JsValue::from(Uint8Array::from(frame.as_slice())))
        .collect()
}

/// Reads a JS array of `[key, Uint8Array]` pairs.
fn entries_from_js(entries: &Array) -> Result<Vec<(String, Vec<u8>)>, JsValue> {
    entries
        .iter()
        .map(|entry| {
            let pair = Array::from(&entry);
            let key = pair
                .get(0)
                .as_string()
                .ok_or_else(|| js_error("a stored entry's key is not a string"))?;
            let value = pair.get(1);
            if !value.is_instance_of::<Uint8Array>() {
                return Err(js_error(format!(
                    "the stored entry {key:?} does not hold bytes"
                )));
            }
            Ok((key, Uint8Array::from(value).to_vec()))
        })
        .collect()
}

/// The device of this browser: its records, its sync state and its optimistic view of the members.
#[wasm_bindgen]
pub struct WebDevice(carclub_client::Device);

#[wasm_bindgen]
impl WebDevice {
    /// Opens the device from its stored entries, an array of `[key, Uint8Array]` pairs
    /// (empty: a device not registered yet).
    pub fn open(entries: Array) -> Result<WebDevice, JsValue> {
        let entries = entries_from_js(&entries)?;
        carclub_client::Device::open(entries)
            .map(WebDevice)
            .map_err(js_error)
    }

    /// Whether this device has been registered to a staff member.
    pub fn is_registered(&self) -> bool {
        self.0.is_registered()
    }

    /// Takes the server's answer to `POST /api/devices` (its JSON body).
    pub fn apply_registration(&mut self, response_json: &str) -> Result<(), JsValue> {
        self.0.apply_registration(response_json).map_err(js_error)
    }

    /// Who uses this device, as JSON: `{"user":{"name","role"},"store":{"name"},"device"}`.
    pub fn whoami_json(&self) -> String {
        self.0.whoami_json()
    }

    /// The tiers that can be bought in this store's program, as a JSON array.
    pub fn tiers_json(&self) -> String {
        self.0.tiers_json()
    }

    /// The next unused card number of this device's card block, if any is left.
    pub fn next_card(&self) -> Option<String> {
        self.0.next_card()
    }

    /// Starts a visit at a site (a company, a compound…); returns the visit id.
    pub fn start_visit(&mut self, site: &str, now_ms: f64) -> Result<String, JsValue> {
        self.0.start_visit(site, millis(now_ms)).map_err(js_error)
    }

    /// The companies the user may start visits at, as JSON: `[{"id", "name"}…]`.
    pub fn companies_json(&self) -> String {
        self.0.companies_json()
    }

    /// Starts a visit at a company (a corporate agreement's id; empty for none).
    pub fn start_visit_at(
        &mut self,
        site: &str,
        company: &str,
        now_ms: f64,
    ) -> Result<String, JsValue> {
        let company = match company.trim() {
            "" => None,
            raw => Some(
                raw.parse::<carclub_shared::CompanyId>()
                    .map_err(|e| JsValue::from_str(&e.to_string()))?,
            ),
        };
        self.0
            .start_visit_at(site, company, millis(now_ms))
            .map_err(js_error)
    }

    /// The visit under way, as JSON `{"id","site","started_at"}`, or `null`.
    pub fn current_visit_json(&self) -> String {
        self.0.current_visit_json()
    }

    /// Ends the visit under way with the staff member's notes.
    pub fn end_visit(&mut self, notes: &str, now_ms: f64) -> Result<(), JsValue> {
        self.0.end_visit(notes, millis(now_ms)).map_err(js_error)
    }

    /// Enrolls a member during the visit; `input_json` is
    /// `{"name","phone","vin","plate","tier","fee_fen","receipt","card"}`. Returns the member as JSON.
    pub fn enroll(&mut self, input_json: &str, now_ms: f64) -> Result<String, JsValue> {
        self.0.enroll(input_json, millis(now_ms)).map_err(js_error)
    }

    /// The members this device knows, with their sync state, as a JSON array.
    pub fn members_json(&self) -> String {
        self.0.members_json()
    }

    /// Members of the directory whose name, phone, card or plate contains `query`, as a JSON
    /// array of at most `limit`.
    pub fn find_members_json(&self, query: &str, limit: u32) -> String {
        self.0.find_members_json(query, limit as usize)
    }

    /// A member's vehicles and benefits left as this device knows them, as JSON (`null`: not
    /// a member the device knows).
    pub fn member_detail_json(&self, member: &str) -> String {
        self.0.member_detail_json(member)
    }

    /// Records a vehicle's pre-inspection; `input_json` is
    /// `{"member","vin","checks":[{"item","state","note"}…],"recommended"}`. Returns the event id.
    pub fn pre_inspect(&mut self, input_json: &str, now_ms: f64) -> Result<String, JsValue> {
        self.0
            .pre_inspect_json(input_json, millis(now_ms))
            .map_err(js_error)
    }

    /// Records a benefit used on site; `input_json` is `{"member","benefit","count","value_fen"}`.
    /// Returns the event id.
    pub fn use_benefit(&mut self, input_json: &str, now_ms: f64) -> Result<String, JsValue> {
        self.0
            .use_benefit_json(input_json, millis(now_ms))
            .map_err(js_error)
    }

    /// `{"pending_events":N,"last_sync_ms":…}` as JSON.
    pub fn sync_status_json(&self) -> String {
        self.0.sync_status_json()
    }

    /// The entries changed since the last call, as `[key, Uint8Array]` pairs to store.
    pub fn take_dirty(&mut self) -> Array {
        entries_to_js(self.0.take_dirty())
    }

    /// The WebSocket address of the sync endpoint for a page served from `base_http_url`.
    pub fn sync_url(&self, base_http_url: &str) -> String {
        self.0.sync_url(base_http_url)
    }

    /// Starts a sync session: the frames to send once the socket is open.
    pub fn sync_begin(&mut self) -> Array {
        frames_to_js(self.0.sync_begin())
    }

    /// Takes one frame received from the server; returns the frames to send back.
    pub fn sync_receive(&mut self, frame: &[u8]) -> Result<Array, JsValue> {
        self.0
            .sync_receive(frame)
            .map(frames_to_js)
            .map_err(js_error)
    }

    /// Whether the sync session has exchanged everything there was.
    pub fn sync_complete(&self) -> bool {
        self.0.sync_complete()
    }

    /// The last error the server reported in the sync session, if any.
    pub fn sync_error(&self) -> Option<String> {
        self.0.sync_error()
    }

    /// Ends the sync session (at `now_ms`, the time recorded as the last sync when it completed).
    pub fn sync_end(&mut self, now_ms: f64) {
        self.0.sync_end(millis(now_ms));
    }

    /// The member reports their card lost; returns the event id.
    pub fn report_card_lost(&mut self, now_ms: f64) -> Result<String, JsValue> {
        self.0.report_card_lost(millis(now_ms)).map_err(js_error)
    }

    /// The member asks to withdraw (`first_service_disappointing` or `other`); returns the event
    /// id.
    pub fn request_withdrawal(&mut self, reason: &str, now_ms: f64) -> Result<String, JsValue> {
        self.0
            .request_withdrawal(reason, millis(now_ms))
            .map_err(js_error)
    }

    /// The member answers the invitation to club event `activity`: coming or not; returns the
    /// event id.
    pub fn answer_invitation(
        &mut self,
        activity: &str,
        attending: bool,
        now_ms: f64,
    ) -> Result<String, JsValue> {
        self.0
            .answer_invitation(activity, attending, millis(now_ms))
            .map_err(js_error)
    }

    /// The member files a complaint (`channel`: `phone`, `counter`, `letter`…); returns the
    /// event id.
    pub fn file_complaint(
        &mut self,
        channel: &str,
        text: &str,
        now_ms: f64,
    ) -> Result<String, JsValue> {
        self.0
            .file_complaint(channel, text, millis(now_ms))
            .map_err(js_error)
    }

    /// The member asks the store to change their contact details: a new phone number, the
    /// times to call, SMS consent (whichever are given, at least one); returns the event id.
    pub fn request_contact_change(
        &mut self,
        phone: Option<String>,
        call_slots: Option<Vec<String>>,
        sms_consent: Option<bool>,
        now_ms: f64,
    ) -> Result<String, JsValue> {
        self.0
            .request_contact_change(
                phone.as_deref(),
                call_slots.as_deref(),
                sms_consent,
                millis(now_ms),
            )
            .map_err(js_error)
    }

    /// Whether this is a member's own phone (registered with a member's login).
    pub fn is_member_device(&self) -> bool {
        self.0.is_member_device()
    }

    /// What a member's phone shows at `now_ms`, as JSON (`null` before the first sync): the file,
    /// the state projected here, the server's, the ledger, reminders, invitations, partners,
    /// catalogue, tiers and the last sync.
    pub fn member_card_json(&self, now_ms: f64) -> String {
        self.0.member_card_json(millis(now_ms))
    }
}

/// `text` as a QR code, an SVG drawing (dark modules on white, with the quiet zone).
#[wasm_bindgen]
pub fn qr_svg(text: &str) -> Result<String, JsValue> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(js_error)?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(160, 160)
        .quiet_zone(true)
        .build())
}

/// `text` (printable ASCII, like a card number) as a Code 128 barcode, an SVG drawing `height`
/// units high whose width is the number of modules.
#[wasm_bindgen]
pub fn barcode_svg(text: &str, height: u32) -> Result<String, JsValue> {
    // Character set B covers letters and digits; the library wants it named first.
    let code =
        barcoders::sym::code128::Code128::new(format!("\u{0181}{text}")).map_err(js_error)?;
    barcoders::generators::svg::SVG::new(height.clamp(10, 400))
        .generate(code.encode())
        .map_err(js_error)
}

/// Parses an amount typed in yuan (`180`, `180.5`, `¥180.50`) into fen, with the domain's rules.
#[wasm_bindgen]
pub fn parse_yuan(text: &str) -> Result<f64, JsValue> {
    carclub_shared::Money::parse_yuan(text)
        // Fen amounts of at most 12 yuan digits are exact as JS numbers.
        .map(|money| money.fen() as f64)
        .map_err(js_error)
}
