//! Devices enroll and sync concurrently while the server is killed with SIGKILL at random moments
//! and restarted on the same store, many times over. Every enrollment a device saw acknowledged is
//! on the server after every restart, and at the end every device converges on the same members.
//!
//! The moments are drawn from a seeded generator; the seed is printed, and `SIGKILL_SEED=N`
//! replays a run.

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
const KILLS: usize = 10;
/// Enrollments per device at most (well inside its block of 200 cards).
const PER_DEVICE: usize = 60;

/// A small deterministic generator (xorshift64*), so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Acknowledged enrollments: member id → (device, name).
type Acked = Arc<Mutex<BTreeMap<String, (usize, String)>>>;

fn enrollment(device: usize, n: usize) -> EnrollInput {
    let i = device * 1000 + n;
    EnrollInput {
        name: format!("会员{device}-{n}"),
        phone: format!("1390000{i:04}"),
        vin: format!("LSVKL1180N2{i:06}"),
        plate: format!("粤B{i:05}"),
        tier: "standard".into(),
        fee_fen: 18000,
        receipt: Some(format!("R-KILL-{i}")),
        card: None,
        id_number: None,
        model: None,
        documents_seen: Vec::new(),
    }
}

/// Records every enrollment the device's status shows an outcome for; all must be accepted.
fn record_acks(index: usize, device: &Device, acked: &Acked) {
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
            Some(Outcome::Rejected { reason }) => {
                panic!("device {index}: enrollment {} rejected: {reason}", event.id)
            }
            None => {}
        }
    }
}

/// The members the back office lists, by id.
fn listed(server: &Server) -> BTreeMap<String, Value> {
    let token = server.login("admin", ADMIN_PASSWORD);
    let (status, body) = server.get("/api/members?limit=1000", Some(&token));
    assert_eq!(status, 200, "member list after restart: {body}");
    body["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| (m["id"].as_str().unwrap().to_owned(), m.clone()))
        .collect()
}

/// Checks every acknowledged enrollment is listed; how many were checked.
fn assert_all_acked_present(server: &Server, acked: &Acked, when: &str) -> usize {
    let snapshot = acked.lock().unwrap().clone();
    let on_server = listed(server);
    for (id, (device, name)) in &snapshot {
        assert!(
            on_server.contains_key(id),
            "{when}: device {device} saw {name} ({id}) acknowledged, but the server lost it"
        );
    }
    snapshot.len()
}

fn open_device(server: &Server, home: &std::path::Path, name: &str) -> (Device, DirStore) {
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

/// Syncs against whatever server is up now (its address changes on each restart).
fn sync_once(device: &mut Device, store: &DirStore, base: &RwLock<String>) -> bool {
    let url = base.read().unwrap().clone();
    device.set_server(&url).unwrap();
    native::sync(device, store, Duration::from_secs(30)).is_ok()
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

    let mut server = TestServer::start_on(backend, &[]);
    let base = Arc::new(RwLock::new(server.base.clone()));
    let acked: Acked = Arc::default();
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
                    for _ in 0..=rng.below(3) {
                        if enrolled < PER_DEVICE {
                            device
                                .enroll_input(enrollment(index, enrolled), native::now_ms())
                                .unwrap();
                            enrolled += 1;
                        }
                    }
                    store.write(device.take_dirty()).unwrap();
                    if sync_once(&mut device, &store, &base) {
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

    let mut checked = 0;
    for kill in 0..KILLS {
        std::thread::sleep(Duration::from_millis(200 + rng.below(1300)));
        server.kill();
        // Down for a moment: devices fail to connect and keep working offline.
        std::thread::sleep(Duration::from_millis(rng.below(200)));
        // Starting waits until the reopened store answers; then nothing acknowledged is missing.
        server.start_again("127.0.0.1:0");
        *base.write().unwrap() = server.base.clone();
        let n =
            assert_all_acked_present(&server, &acked, &format!("after kill {kill} (seed {seed})"));
        println!("kill {kill}: all {n} enrollments acknowledged so far are on the server");
        checked = checked.max(n);
    }
    assert!(
        checked > 0,
        "no enrollment was acknowledged between kills (seed {seed})"
    );
    stop.store(true, Ordering::Relaxed);
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
            while !sync_once(device, store, &base) || device.pending_events() > 0 {
                assert!(
                    Instant::now() < deadline,
                    "device {index} cannot finish syncing (round {round}, seed {seed})"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
            record_acks(index, device, &acked);
        }
    }

    let on_server = listed(&server);
    let acked = acked.lock().unwrap().clone();
    assert_all_acked_present(&server, &Arc::new(Mutex::new(acked.clone())), "at the end");
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
