//! Devices enroll and sync concurrently, and the back office records operations through the API,
//! while the server is killed with SIGKILL at random moments and restarted on the same store, many
//! times over. Every enrollment a device saw acknowledged and every operation the API answered
//! 200 for is on the server after every restart, and at the end every device converges on the
//! same members.
//!
//! The moments are drawn from a seeded generator; the seed is printed, and `SIGKILL_SEED=N`
//! replays a run. The test command kills 10 times; `SIGKILL_KILLS=N` (scripts/kill-loop) more.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use carclub_client::native::{self, DirStore};
use carclub_client::{Device, EnrollInput};
use carclub_protocol::docs::Outcome;
use carclub_tests::{ADMIN_PASSWORD, Backend, Server, TestServer};
use serde_json::{Value, json};

const DEVICES: usize = 3;
/// Kills in the test command's run; `SIGKILL_KILLS` sets another number.
const KILLS: usize = 10;
/// Enrollments per device at most (well inside its block of 200 cards).
const PER_DEVICE: usize = 60;

/// A small deterministic generator (xorshift64*), so a failing run can be replayed.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Acknowledged enrollments: member id → (device, name).
pub(super) type Acked = Arc<Mutex<BTreeMap<String, (usize, String)>>>;
/// Operations the API answered 200 for: (member id, event id).
pub(super) type ApiAcked = Arc<Mutex<Vec<(String, String)>>>;

pub(super) fn enrollment(device: usize, n: usize) -> EnrollInput {
    let i = device * 1000 + n;
    // What the enrollment form sends; every field left out takes its default.
    serde_json::from_value(json!({
        "name": format!("会员{device}-{n}"),
        "phone": format!("1390000{i:04}"),
        "vin": format!("LSVKL1180N2{i:06}"),
        "plate": format!("粤B{i:05}"),
        "tier": "standard",
        "fee_fen": 18000,
        "receipt": format!("R-KILL-{i}"),
    }))
    .expect("an enrollment")
}

/// Records one to three more enrollments of device `index` (at most `most` in all, `enrolled`
/// so far) and writes them to its store, as a person enrolling between syncs would.
pub(super) fn enroll_a_few(
    device: &mut Device,
    store: &DirStore,
    rng: &mut Rng,
    index: usize,
    enrolled: &mut usize,
    most: usize,
) {
    for _ in 0..=rng.below(3) {
        if *enrolled < most {
            device
                .enroll_input(enrollment(index, *enrolled), native::now_ms())
                .unwrap();
            *enrolled += 1;
        }
    }
    store.write(device.take_dirty()).unwrap();
}

/// Records every enrollment the device's status shows an outcome for; all must be accepted.
pub(super) fn record_acks(index: usize, device: &Device, acked: &Acked) {
    let outcomes = device.outcomes();
    let mut acked = acked.lock().unwrap();
    for event in device.journal_events() {
        let carclub_shared::EventBody::Enrolled(e) = &event.body else {
            continue;
        };
        match outcomes.get(&event.id.to_string()) {
            Some(Outcome::Accepted { .. }) => {
                acked.insert(e.member.to_string(), (index, e.person.name.to_string()));
            }
            Some(Outcome::Rejected { reason, .. }) => {
                panic!("device {index}: enrollment {} rejected: {reason}", event.id)
            }
            None => {}
        }
    }
}

/// The members the back office lists, by id, read with `token` (signing in writes a session, which
/// a full disk refuses).
pub(super) fn listed(server: &Server, token: &str) -> BTreeMap<String, Value> {
    let (status, body) = server.get("/api/members?limit=1000", Some(token));
    assert_eq!(status, 200, "member list after restart: {body}");
    body["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| (m["id"].as_str().unwrap().to_owned(), m.clone()))
        .collect()
}

/// Checks every acknowledged enrollment is listed; how many were checked.
pub(super) fn assert_all_acked_present(
    server: &Server,
    token: &str,
    acked: &Acked,
    when: &str,
) -> usize {
    let snapshot = acked.lock().unwrap().clone();
    let on_server = listed(server, token);
    for (id, (device, name)) in &snapshot {
        assert!(
            on_server.contains_key(id),
            "{when}: device {device} saw {name} ({id}) acknowledged, but the server lost it"
        );
    }
    snapshot.len()
}

/// One API call against whatever server is up now; `None` when none answers.
pub(super) fn api(
    base: &RwLock<String>,
    path: &str,
    body: Option<&Value>,
    token: Option<&str>,
) -> Option<(u16, Value)> {
    let url = format!("{}{path}", base.read().unwrap());
    let agent = carclub_tests::agent(Duration::from_secs(10));
    let answer = match body {
        Some(body) => {
            let mut req = agent.post(url).header("Content-Type", "application/json");
            if let Some(t) = token {
                req = req.header("Authorization", format!("Bearer {t}"));
            }
            req.send(body.to_string().as_bytes())
        }
        None => {
            let mut req = agent.get(url);
            if let Some(t) = token {
                req = req.header("Authorization", format!("Bearer {t}"));
            }
            req.call()
        }
    };
    let mut answer = answer.ok()?;
    let status = answer.status().as_u16();
    let text = answer.body_mut().read_to_string().ok()?;
    Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// What the back office saw: grants cut off unacknowledged (no answer, or a 5xx), and among
/// them the ones refused because the server's disk was full (507 `disk_full`).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Office {
    pub(super) refused: usize,
    pub(super) disk_full: usize,
}

/// The back office at work: grants a point to an acknowledged member, again and again, noting
/// each grant the API acknowledged (200 with the event's id). A 507 must say, in both languages,
/// that the disk is full.
pub(super) fn office_worker(
    base: Arc<RwLock<String>>,
    acked: Acked,
    api_acked: ApiAcked,
    stop: Arc<AtomicBool>,
    mut rng: Rng,
) -> Office {
    let mut token: Option<String> = None;
    let mut seen = Office::default();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(rng.below(30)));
        let Some(t) = token.clone() else {
            let login = json!({"username": "admin", "password": ADMIN_PASSWORD});
            if let Some((200, v)) = api(&base, "/api/login", Some(&login), None) {
                token = v["token"].as_str().map(str::to_owned);
            }
            continue;
        };
        let member = {
            let acked = acked.lock().unwrap();
            if acked.is_empty() {
                continue;
            }
            let n = rng.below(acked.len() as u64) as usize;
            acked.keys().nth(n).cloned().expect("a member")
        };
        let grant = json!({"type": "manual_grant", "points": 1, "reason": "补录积分"});
        let path = format!("/api/members/{member}/operations");
        match api(&base, &path, Some(&grant), Some(&t)) {
            Some((200, v)) => {
                let event = v["event"]
                    .as_str()
                    .expect("the recorded event's id")
                    .to_owned();
                api_acked.lock().unwrap().push((member, event));
            }
            Some((401, _)) => token = None,
            Some((507, v)) => {
                assert_eq!(v["code"], "disk_full", "{v}");
                let en = v["detail"].as_str().unwrap_or_default();
                let zh = v["detail_zh"].as_str().unwrap_or_default();
                assert!(en.contains("disk is full"), "{v}");
                assert!(zh.contains("磁盘已满"), "{v}");
                seen.disk_full += 1;
                seen.refused += 1;
            }
            // Cut off by a kill, or refused while the server starts: not acknowledged.
            Some((status, _)) if status >= 500 => seen.refused += 1,
            Some((status, v)) => panic!("a grant to {member} was refused ({status}): {v}"),
            None => seen.refused += 1,
        }
    }
    seen
}

/// Checks every operation the API acknowledged is in its member's history; how many.
pub(super) fn assert_api_acked_present(
    server: &Server,
    token: &str,
    api_acked: &ApiAcked,
    when: &str,
) -> usize {
    let snapshot = api_acked.lock().unwrap().clone();
    let mut by_member: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (member, event) in &snapshot {
        by_member.entry(member).or_default().push(event);
    }
    for (member, events) in by_member {
        let (status, history) = server.get(&format!("/api/members/{member}/history"), Some(token));
        assert_eq!(status, 200, "{when}: history of {member}: {history}");
        let text = history.to_string();
        for event in events {
            assert!(
                text.contains(event),
                "{when}: the API acknowledged grant {event} to {member}, but the server lost it"
            );
        }
    }
    snapshot.len()
}

pub(super) fn open_device(
    server: &Server,
    home: &std::path::Path,
    name: &str,
) -> (Device, DirStore) {
    let (status, reg) = server.post(
        "/api/devices",
        &json!({"username": "admin", "password": ADMIN_PASSWORD, "name": name}),
        None,
    );
    assert_eq!(status, 200, "{reg}");
    let store = DirStore::open(home).unwrap();
    let mut device = Device::open(Vec::new()).unwrap();
    device.apply_registration(&reg.to_string()).unwrap();
    device.set_server(&server.base).unwrap();
    store.write(device.take_dirty()).unwrap();
    (device, store)
}

/// Syncs against whatever server is up now (its address changes on each restart); why not, when
/// it did not complete.
pub(super) fn sync_once(
    device: &mut Device,
    store: &DirStore,
    base: &RwLock<String>,
) -> Result<(), String> {
    let url = base.read().unwrap().clone();
    device.set_server(&url).unwrap();
    native::sync(device, store, Duration::from_secs(30)).map_err(|e| e.to_string())
}

#[test]
fn acknowledged_enrollments_survive_repeated_sigkill() {
    repeated_sigkill_on(Backend::Sled);
}

/// The same with the server on PostgreSQL, killed mid-sync while the database keeps running.
#[test]
fn on_postgres_acknowledged_enrollments_survive_repeated_sigkill() {
    repeated_sigkill_on(Backend::Postgres);
}

fn repeated_sigkill_on(backend: Backend) {
    let seed = std::env::var("SIGKILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| native::now_ms() as u64);
    println!("SIGKILL_SEED={seed}");
    let mut rng = Rng::new(seed);
    let kills = std::env::var("SIGKILL_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(KILLS);

    let mut server = TestServer::start_on(backend, &[]);
    let base = Arc::new(RwLock::new(server.base.clone()));
    let acked: Acked = Arc::default();
    let api_acked: ApiAcked = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));

    let mut devices = Vec::new();
    for d in 0..DEVICES {
        devices.push(open_device(
            &server,
            &server.path(&format!("device{d}")),
            &format!("field phone {d}"),
        ));
    }

    let workers: Vec<_> = devices
        .into_iter()
        .enumerate()
        .map(|(index, (mut device, store))| {
            let (base, acked, stop) = (base.clone(), acked.clone(), stop.clone());
            let mut rng = Rng::new(seed ^ (index as u64 + 1).wrapping_mul(0x9E37_79B9));
            std::thread::spawn(move || {
                let mut enrolled = 0;
                let mut syncs_ok = 0;
                while !stop.load(Ordering::Relaxed) {
                    enroll_a_few(
                        &mut device,
                        &store,
                        &mut rng,
                        index,
                        &mut enrolled,
                        PER_DEVICE,
                    );
                    if sync_once(&mut device, &store, &base).is_ok() {
                        syncs_ok += 1;
                    }
                    // Outcomes can arrive in a session the kill cut short: they count too.
                    record_acks(index, &device, &acked);
                    std::thread::sleep(Duration::from_millis(rng.below(40)));
                }
                (device, store, enrolled, syncs_ok)
            })
        })
        .collect();

    let office = {
        let (base, acked, api_acked, stop) =
            (base.clone(), acked.clone(), api_acked.clone(), stop.clone());
        let rng = Rng::new(seed ^ 0x0FF1_CE00);
        std::thread::spawn(move || office_worker(base, acked, api_acked, stop, rng))
    };

    let mut checked = 0;
    let mut granted = 0;
    let started = Instant::now();
    for kill in 0..kills {
        std::thread::sleep(Duration::from_millis(200 + rng.below(1300)));
        server.kill();
        // Down for a moment: devices fail to connect and keep working offline.
        std::thread::sleep(Duration::from_millis(rng.below(200)));
        // Starting waits until the reopened store answers; then nothing acknowledged is missing.
        server.start_again("127.0.0.1:0");
        *base.write().unwrap() = server.base.clone();
        let when = format!("after kill {kill} (seed {seed})");
        let token = server.login("admin", ADMIN_PASSWORD);
        let n = assert_all_acked_present(&server, &token, &acked, &when);
        let g = assert_api_acked_present(&server, &token, &api_acked, &when);
        println!(
            "kill {kill}: all {n} enrollments and {g} grants acknowledged so far are on the server"
        );
        checked = checked.max(n);
        granted = granted.max(g);
    }
    assert!(
        checked > 0,
        "no enrollment was acknowledged between kills (seed {seed})"
    );
    assert!(
        granted > 0,
        "no grant was acknowledged between kills (seed {seed})"
    );
    stop.store(true, Ordering::Relaxed);
    let cut_off = office.join().expect("office thread").refused;
    let mut devices: Vec<(Device, DirStore)> = Vec::new();
    for w in workers {
        let (device, store, enrolled, syncs_ok) = w.join().expect("device thread");
        println!("device enrolled {enrolled}, completed {syncs_ok} syncs");
        assert!(enrolled > 0);
        devices.push((device, store));
    }

    // Everything uploads, then everyone fetches everything.
    let deadline = Instant::now() + Duration::from_secs(300);
    for round in 0..2 {
        for (index, (device, store)) in devices.iter_mut().enumerate() {
            while sync_once(device, store, &base).is_err() || device.pending_events() > 0 {
                assert!(
                    Instant::now() < deadline,
                    "device {index} cannot finish syncing (round {round}, seed {seed})"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
            record_acks(index, device, &acked);
        }
    }

    let token = server.login("admin", ADMIN_PASSWORD);
    let on_server = listed(&server, &token);
    let grants = assert_api_acked_present(&server, &token, &api_acked, "at the end");
    println!(
        "{kills} kills in {:.0} s (seed {seed}): {} enrollments and {grants} grants acknowledged, \
         none lost; {cut_off} grants cut off unacknowledged",
        started.elapsed().as_secs_f64(),
        acked.lock().unwrap().len()
    );
    let acked = acked.lock().unwrap().clone();
    assert_all_acked_present(
        &server,
        &token,
        &Arc::new(Mutex::new(acked.clone())),
        "at the end",
    );
    let enrolled: usize = devices.iter().map(|(d, _)| d.journal_events().len()).sum();
    assert_eq!(
        acked.len(),
        enrolled,
        "every enrollment is acknowledged in the end"
    );
    assert_eq!(
        on_server.len(),
        enrolled,
        "the server holds each enrollment once (seed {seed})"
    );

    let views: Vec<Value> = devices
        .iter()
        .map(|(d, _)| serde_json::to_value(d.members()).unwrap())
        .collect();
    assert_eq!(views[0].as_array().unwrap().len(), enrolled);
    for (i, v) in views.iter().enumerate().skip(1) {
        assert_eq!(
            v, &views[0],
            "device {i} and device 0 disagree (seed {seed})"
        );
    }
    server.stop();
}
