//! How far back a moment may be dated (paper records keyed in later), as a table. Each row names
//! the rule it checks: the server's `club.rs` `moment` and `ops.rs` backdate check, which the
//! commit "dating a member operation more than a day back needs the backdate permission
//! (managers); operations are never dated in the future" introduced.

use carclub_shared::Timestamp;
use carclub_shared::dating::*;

const NOW: i64 = 1_772_416_800_000; // 2026-03-02T10:00:00+08:00

/// The outcome a row expects.
#[derive(Debug, PartialEq)]
enum Want {
    /// Accepted; whether an operation this old needs the backdate permission.
    Ok {
        needs_permission: bool,
    },
    InFuture,
    TooFarBack,
}

#[test]
fn dating_table() {
    let far = MAX_BACKDATE_DAYS * DAY_MS;
    // (source, requested moment as an offset from now in ms (None: not given), outcome)
    let rows: &[(&str, Option<i64>, Want)] = &[
        (
            "none given: now",
            None,
            Want::Ok {
                needs_permission: false,
            },
        ),
        (
            "now",
            Some(0),
            Want::Ok {
                needs_permission: false,
            },
        ),
        (
            "within the clock skew of 60 s",
            Some(SKEW_MS),
            Want::Ok {
                needs_permission: false,
            },
        ),
        (
            "never in the future, beyond the skew",
            Some(SKEW_MS + 1),
            Want::InFuture,
        ),
        (
            "never in the future: tomorrow",
            Some(DAY_MS),
            Want::InFuture,
        ),
        (
            "an hour back: anyone",
            Some(-3_600_000),
            Want::Ok {
                needs_permission: false,
            },
        ),
        (
            "exactly a day back: anyone",
            Some(-DAY_MS),
            Want::Ok {
                needs_permission: false,
            },
        ),
        (
            "more than a day back needs the backdate permission",
            Some(-DAY_MS - 1),
            Want::Ok {
                needs_permission: true,
            },
        ),
        (
            "a letter keyed in a month later",
            Some(-30 * DAY_MS),
            Want::Ok {
                needs_permission: true,
            },
        ),
        (
            "at most 3 years (3 × 366 days) back",
            Some(-far),
            Want::Ok {
                needs_permission: true,
            },
        ),
        (
            "not more than 3 years back",
            Some(-far - 1),
            Want::TooFarBack,
        ),
        (
            "not ten years back",
            Some(-10 * 366 * DAY_MS),
            Want::TooFarBack,
        ),
    ];
    let now = Timestamp::from_millis(NOW);
    let mut failures = Vec::new();
    for (line, offset, want) in rows {
        let requested = offset.map(|o| Timestamp::from_millis(NOW + o));
        let got = match date_operation(requested, now) {
            Ok(d) => {
                if d.at != requested.unwrap_or(now) {
                    failures.push(format!("{line}: dated {} instead", d.at));
                }
                Want::Ok {
                    needs_permission: d.needs_backdate_permission,
                }
            }
            Err(DatingError::InFuture { .. }) => Want::InFuture,
            Err(DatingError::TooFarBack { .. }) => Want::TooFarBack,
        };
        if got != *want {
            failures.push(format!("{line}: {got:?}, expected {want:?}"));
        }
        let plain = moment(requested, now);
        if plain.is_ok() != matches!(want, Want::Ok { .. }) {
            failures.push(format!("{line}: moment gives {plain:?}"));
        }
    }
    assert!(failures.is_empty(), "dating:\n{}", failures.join("\n"));
    assert_eq!(MAX_BACKDATE_DAYS, 1098);
    assert_eq!(earliest(now).millis(), NOW - MAX_BACKDATE_DAYS * DAY_MS);
}

#[test]
fn extreme_moments_do_not_overflow() {
    let lo = Timestamp::from_millis(i64::MIN);
    let hi = Timestamp::from_millis(i64::MAX);
    assert!(moment(Some(hi), hi).is_ok());
    assert!(moment(Some(lo), lo).is_ok());
    assert!(matches!(
        moment(Some(lo), hi),
        Err(DatingError::TooFarBack { .. })
    ));
    assert!(matches!(
        moment(Some(hi), lo),
        Err(DatingError::InFuture { .. })
    ));
    assert!(!needs_backdate_permission(lo, lo));
}

#[test]
fn errors_say_what_happened() {
    let now = Timestamp::from_millis(NOW);
    let e = moment(Some(Timestamp::from_millis(NOW + DAY_MS)), now).unwrap_err();
    assert_eq!(
        e.to_string(),
        "2026-03-03T10:00:00+08:00 is in the future (now is 2026-03-02T10:00:00+08:00)"
    );
    let e = moment(Some(Timestamp::from_millis(0)), now).unwrap_err();
    assert!(
        e.to_string().contains("more than 1098 days in the past"),
        "{e}"
    );
}
