//! What operators watch: `/metrics` in the Prometheus text format moves when a device connects
//! and syncs, and `/readyz` fails while the store cannot be reached (`/healthz` stays liveness).

use std::time::{Duration, Instant};

use carclub_tests::journal::JournalDevice;
use carclub_tests::peer::Peer;
use carclub_tests::{ADMIN_PASSWORD, Backend, Server, TestServer};

/// The value of the series `name` (with its labels, as printed) in a scrape; 0 when absent.
fn value(scrape: &str, name: &str) -> f64 {
    scrape
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (series, v) = l.rsplit_once(' ')?;
            (series == name).then(|| v.parse().ok()).flatten()
        })
        .unwrap_or(0.0)
}

fn scrape(server: &Server) -> String {
    let (status, content_type, text) = server.get_text("/metrics", None);
    assert_eq!(status, 200, "{text}");
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    text
}

#[test]
fn the_connection_frame_and_latency_series_move_when_a_device_syncs() {
    let server = TestServer::start();
    let before = scrape(&server);
    assert_eq!(value(&before, "carclub_sync_connections"), 0.0, "{before}");
    let mut device = JournalDevice::register(&server, "admin", ADMIN_PASSWORD);

    let open = Peer::connect(&server, &device.token);
    let during = scrape(&server);
    assert_eq!(value(&during, "carclub_sync_connections"), 1.0, "{during}");
    drop(open);

    device.enroll(1, "指标会员", 1, "guest", 30000);
    device.sync(&server);
    let after = scrape(&server);
    for series in [
        "carclub_sync_frames_total{direction=\"in\"}",
        "carclub_sync_frames_total{direction=\"out\"}",
        "carclub_sync_fold_seconds_count",
        "carclub_store_flush_seconds_count",
    ] {
        assert!(
            value(&after, series) > value(&before, series),
            "{series} did not move:\n{after}"
        );
    }
    assert!(
        after.contains("carclub_sync_fold_seconds_bucket{le=\"0.001\"}"),
        "latencies are histograms:\n{after}"
    );
    assert!(value(&after, "carclub_store_bytes") > 0.0, "{after}");
    assert!(after.contains("carclub_outbox_backlog"), "{after}");
    // The closed connections are counted out.
    let deadline = Instant::now() + Duration::from_secs(10);
    while value(&scrape(&server), "carclub_sync_connections") != 0.0 {
        assert!(Instant::now() < deadline, "connections never counted out");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn readiness_fails_while_postgres_is_down_and_liveness_does_not() {
    let mut server = TestServer::start_on(Backend::Postgres, &[]);
    assert_eq!(server.get("/readyz", None).0, 200);
    server.postgres.as_mut().unwrap().stop();
    assert_eq!(
        server.get("/readyz", None).0,
        503,
        "not ready without the database"
    );
    assert_eq!(server.get("/healthz", None).0, 200, "but alive");
    server.postgres.as_mut().unwrap().start().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.get("/readyz", None).0 != 200 {
        assert!(Instant::now() < deadline, "never ready again");
        std::thread::sleep(Duration::from_millis(100));
    }
    let token = server.admin();
    assert!(server.members(&token, "").is_empty(), "serving again");
}
