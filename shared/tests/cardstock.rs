//! Card stock (DOMAIN.md §2 l.42-44, handbook 001 会员卡管理制度 l.289-294) as a table: sample and
//! borrowed loans, their due times, late returns, overdue loans, and write-offs of sold cards.

mod common;

use carclub_shared::cardstock::*;
use carclub_shared::{MemberId, Timestamp};
use common::receipt;

const HOUR: i64 = 3_600_000;

/// A row of the lending table: source, issued to, open loan due, outcome.
type LendRow = (
    &'static str,
    Option<MemberId>,
    Option<Timestamp>,
    Result<(), LoanError>,
);

fn lent_at() -> Timestamp {
    Timestamp::parse("2026-03-02T09:30:00+08:00").unwrap()
}

fn plus(t: Timestamp, ms: i64) -> Timestamp {
    Timestamp::from_millis(t.millis() + ms)
}

#[test]
fn loans_table() {
    // (source, kind, API name, hours allowed)
    let kinds: &[(&str, LoanKind, &str, i64)] = &[
        (
            "l.43 sample cards at most 24 h (001 l.291)",
            LoanKind::Sample,
            "sample",
            24,
        ),
        (
            "l.43 borrowed cards at most 36 h (001 l.293)",
            LoanKind::Borrowed,
            "borrowed",
            36,
        ),
    ];
    let mut failures = Vec::new();
    for (line, kind, name, hours) in kinds {
        let loan = LoanState::lent(*kind, lent_at());
        let due = plus(lent_at(), hours * HOUR);
        let back: Option<LoanKind> = serde_json::from_value(serde_json::json!(name)).ok();
        let checks = [
            (kind.as_str() == *name, "as_str"),
            (
                serde_json::to_value(kind).unwrap() == serde_json::json!(name),
                "serde name",
            ),
            (back == Some(*kind), "serde parse"),
            (kind.limit_hours() == *hours, "limit"),
            (
                kind.due_at(lent_at()) == due && loan.due_at == due,
                "due time",
            ),
            (loan.is_open(), "open when lent"),
            (!loan.is_overdue(due), "not overdue at the limit"),
            (loan.is_overdue(plus(due, 1)), "overdue past the limit"),
            (!is_late(due, due), "back at the limit is in time"),
            (is_late(plus(due, 1), due), "back past the limit is late"),
        ];
        for (ok, what) in checks {
            if !ok {
                failures.push(format!("DOMAIN.md {line}: {what}"));
            }
        }
        // Returned: in time, then late, then never twice.
        let mut in_time = loan;
        if in_time.give_back(due) != Ok(false) || in_time.returned_late() != Some(false) {
            failures.push(format!("DOMAIN.md {line}: back at the limit"));
        }
        if in_time.is_overdue(plus(due, HOUR)) || in_time.is_open() {
            failures.push(format!("DOMAIN.md {line}: a returned card is overdue"));
        }
        if in_time.give_back(due) != Err(LoanError::AlreadyReturned) {
            failures.push(format!("DOMAIN.md {line}: returned twice"));
        }
        let mut late = loan;
        if late.give_back(plus(due, 1)) != Ok(true) || late.returned_late() != Some(true) {
            failures.push(format!("DOMAIN.md {line}: late return not flagged"));
        }
    }
    assert_eq!(LoanKind::ALL.len(), kinds.len());
    assert!(failures.is_empty(), "card loans:\n{}", failures.join("\n"));
}

#[test]
fn what_may_be_lent() {
    let member = MemberId::from_bytes([7; 16]);
    let due = plus(lent_at(), 24 * HOUR);
    // (source, issued to, open loan due, outcome)
    let rows: &[LendRow] = &[
        (
            "l.42 cards in the drawer are numbered stock",
            None,
            None,
            Ok(()),
        ),
        (
            "l.43 a sold card is a member's, not stock",
            Some(member),
            None,
            Err(LoanError::IssuedToMember { member }),
        ),
        (
            "001 l.290 a card out is not lent again until back",
            None,
            Some(due),
            Err(LoanError::AlreadyOut { due_at: due }),
        ),
    ];
    let failures: Vec<String> = rows
        .iter()
        .filter(|(_, issued, open, want)| check_lend(*issued, *open) != *want)
        .map(|(line, issued, open, want)| {
            format!(
                "DOMAIN.md {line}: {:?}, expected {want:?}",
                check_lend(*issued, *open)
            )
        })
        .collect();
    assert!(failures.is_empty(), "lending:\n{}", failures.join("\n"));
}

#[test]
fn write_offs_table() {
    let r1 = receipt("R-0001");
    let r2 = receipt("R-0002");
    // (source, sold against, receipt handed in, already written off, outcome)
    let rows: &[(&str, Option<&_>, &_, bool, Result<(), WriteOffError>)] = &[
        (
            "l.43 a sold card is written off against its receipt (001 l.294)",
            Some(&r1),
            &r1,
            false,
            Ok(()),
        ),
        (
            "l.43 only against its own receipt",
            Some(&r1),
            &r2,
            false,
            Err(WriteOffError::ReceiptMismatch {
                sold_against: Some(r1.clone()),
                given: r2.clone(),
            }),
        ),
        (
            "l.43 a card sold without a receipt is not written off",
            None,
            &r2,
            false,
            Err(WriteOffError::ReceiptMismatch {
                sold_against: None,
                given: r2.clone(),
            }),
        ),
        (
            "l.43 written off once",
            Some(&r1),
            &r1,
            true,
            Err(WriteOffError::AlreadyWrittenOff),
        ),
    ];
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|(line, sold, given, done, want)| {
            let got = check_write_off(*sold, given, *done);
            (got != *want).then(|| format!("DOMAIN.md {line}: {got:?}, expected {want:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "write-offs:\n{}", failures.join("\n"));
    let e = check_write_off(None, &r2, false).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the card was sold against receipt none, not R-0002"
    );
}
