//! Complaints (DOMAIN.md §6 l.132-135, handbooks 001 and 003) as a table: channels, levels and
//! owners, the answer deadline, escalation, answering and closing. Each row names its source.

mod common;

use carclub_shared::Timestamp;
use carclub_shared::complaints::*;
use carclub_shared::dating::DAY_MS;
use carclub_shared::roles::Role;

/// A case that fails with a message.
type Check = fn() -> Result<(), String>;

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn plus(t: Timestamp, ms: i64) -> Timestamp {
    Timestamp::from_millis(t.millis() + ms)
}

const FILED: &str = "2026-03-02T10:00:00+08:00";

/// A grumble filed at [`FILED`].
fn grumble() -> ComplaintState {
    ComplaintState::filed(Level::Grumble, at(FILED))
}

fn run(cases: &[(&str, Check)]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(line, check)| check().err().map(|e| format!("{line}: {e}")))
        .collect();
    assert!(failures.is_empty(), "complaints:\n{}", failures.join("\n"));
}

#[test]
fn channels_and_levels() {
    let channels: &[(&str, Channel, &str)] = &[
        (
            "§6 l.132 counter (001 l.352 柜台)",
            Channel::Counter,
            "counter",
        ),
        ("§6 l.132 phone (001 l.353)", Channel::Phone, "phone"),
        (
            "§6 l.132 letter (001 l.354 写信及发传真)",
            Channel::Letter,
            "letter",
        ),
        (
            "§6 l.132 comments book (001 l.355 意见本)",
            Channel::CommentsBook,
            "comments_book",
        ),
        ("§6 l.132 hotline", Channel::Hotline, "hotline"),
    ];
    let mut failures = Vec::new();
    for (line, channel, name) in channels {
        let back: Option<Channel> = serde_json::from_value(serde_json::json!(name)).ok();
        if channel.as_str() != *name
            || serde_json::to_value(channel).unwrap() != serde_json::json!(name)
            || back != Some(*channel)
        {
            failures.push(format!("{line}: {channel:?} is not written {name:?}"));
        }
    }
    assert_eq!(Channel::ALL.len(), channels.len());

    // (source, level, API name, owner)
    let levels: &[(&str, Level, &str, Role)] = &[
        (
            "§6 l.133 minor grumble → receptionist (003 l.99)",
            Level::Grumble,
            "grumble",
            Role::Reception,
        ),
        (
            "§6 l.133 complaint → department manager (003 l.2)",
            Level::Complaint,
            "complaint",
            Role::ClubManager,
        ),
        (
            "§6 l.133 claim for loss → sales/service director (003 l.5)",
            Level::Claim,
            "claim",
            Role::GeneralManager,
        ),
        (
            "§6 l.134 major → general manager (003 l.6-8)",
            Level::Major,
            "major",
            Role::GeneralManager,
        ),
        (
            "§6 l.134 crisis → general manager (003 l.6-9)",
            Level::Crisis,
            "crisis",
            Role::GeneralManager,
        ),
    ];
    for (i, (line, level, name, owner)) in levels.iter().enumerate() {
        let back: Option<Level> = serde_json::from_value(serde_json::json!(name)).ok();
        if level.as_str() != *name
            || serde_json::to_value(level).unwrap() != serde_json::json!(name)
            || back != Some(*level)
        {
            failures.push(format!("{line}: {level:?} is not written {name:?}"));
        }
        if level.owner() != *owner {
            failures.push(format!("{line}: {level:?} is owned by {}", level.owner()));
        }
        if Level::ALL[i] != *level || (i > 0 && levels[i - 1].1 >= *level) {
            failures.push(format!(
                "{line}: {level:?} out of order (least to most serious)"
            ));
        }
    }
    assert_eq!(Level::ALL.len(), levels.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn deadline_answer_escalation_close() {
    run(&[
        ("§6 l.135 answer within 3 days (001 l.116)", || {
            let c = grumble();
            ensure!(ANSWER_DAYS == 3, "{ANSWER_DAYS}");
            ensure!(
                c.deadline == at("2026-03-05T10:00:00+08:00"),
                "{}",
                c.deadline
            );
            ensure!(answer_deadline(at(FILED)) == c.deadline, "answer_deadline");
            Ok(())
        }),
        ("§6 l.135 an answer on the third day is in time", || {
            let mut c = grumble();
            let late = c
                .answer(Role::Reception, c.deadline)
                .map_err(|e| e.to_string())?;
            ensure!(!late, "flagged late at the deadline");
            ensure!(c.answered_late() == Some(false), "{:?}", c.answered_late());
            Ok(())
        }),
        (
            "§6 l.135 an answer after 3 days is kept, flagged late",
            || {
                let mut c = grumble();
                let when = plus(c.deadline, 1);
                let late = c.answer(Role::Reception, when).map_err(|e| e.to_string())?;
                ensure!(late && is_late(when, c.deadline), "not late");
                ensure!(c.answered_at == Some(when), "answer not kept");
                Ok(())
            },
        ),
        (
            "§6 l.135 overdue: open, unanswered, past the deadline",
            || {
                let c = grumble();
                ensure!(!c.is_overdue(c.deadline), "overdue at the deadline");
                ensure!(c.is_overdue(plus(c.deadline, 1)), "not overdue after it");
                Ok(())
            },
        ),
        (
            "§6 l.135 an answered complaint is not overdue, even if late",
            || {
                let mut c = grumble();
                c.answer(Role::Reception, plus(c.deadline, DAY_MS))
                    .map_err(|e| e.to_string())?;
                ensure!(!c.is_overdue(plus(c.deadline, 2 * DAY_MS)), "overdue");
                Ok(())
            },
        ),
        ("§6 l.135 record, escalate: only upwards", || {
            let mut c = ComplaintState::filed(Level::Complaint, at(FILED));
            for lower in [Level::Grumble, Level::Complaint] {
                ensure!(
                    c.escalate(lower)
                        == Err(ComplaintError::NotHigher {
                            current: Level::Complaint,
                            requested: lower
                        }),
                    "escalated to {lower:?}"
                );
            }
            ensure!(c.escalate(Level::Claim) == Ok(Level::Complaint), "to claim");
            ensure!(
                c.level == Level::Claim && c.owner() == Role::GeneralManager,
                "{c:?}"
            );
            Ok(())
        }),
        (
            "§6 l.133 escalation hands the complaint to the new level's owner",
            || {
                let mut c = grumble();
                c.escalate(Level::Complaint).map_err(|e| e.to_string())?;
                ensure!(
                    c.answer(Role::Reception, at(FILED))
                        == Err(ComplaintError::NotOwner {
                            level: Level::Complaint,
                            owner: Role::ClubManager,
                            role: Role::Reception
                        }),
                    "reception answered a complaint"
                );
                ensure!(
                    c.answer(Role::ClubManager, at(FILED)).is_ok(),
                    "manager refused"
                );
                Ok(())
            },
        ),
        ("§6 l.135 escalation keeps the deadline of filing", || {
            let mut c = grumble();
            let deadline = c.deadline;
            c.escalate(Level::Crisis).map_err(|e| e.to_string())?;
            ensure!(c.deadline == deadline, "deadline moved");
            Ok(())
        }),
        ("§6 l.133 a senior answers what a junior owns", || {
            let mut c = grumble();
            ensure!(c.answer(Role::GeneralManager, at(FILED)).is_ok(), "refused");
            Ok(())
        }),
        ("§6 l.135 answered once", || {
            let mut c = grumble();
            c.answer(Role::Reception, at(FILED))
                .map_err(|e| e.to_string())?;
            ensure!(
                c.answer(Role::Reception, at(FILED)) == Err(ComplaintError::AlreadyAnswered),
                "answered twice"
            );
            Ok(())
        }),
        ("§6 l.135 an answer is not dated before the filing", || {
            let mut c = grumble();
            ensure!(
                c.answer(Role::Reception, plus(at(FILED), -1))
                    == Err(ComplaintError::AnswerBeforeFiling),
                "answered before filing"
            );
            ensure!(c.answered_at.is_none(), "kept a refused answer");
            Ok(())
        }),
        ("§6 l.135 close only once answered", || {
            let mut c = grumble();
            ensure!(
                c.close(Role::Reception, at(FILED)) == Err(ComplaintError::Unanswered),
                "closed unanswered"
            );
            c.answer(Role::Reception, plus(at(FILED), 10))
                .map_err(|e| e.to_string())?;
            ensure!(
                c.close(Role::Reception, plus(at(FILED), 9))
                    == Err(ComplaintError::CloseBeforeAnswer),
                "closed before the answer"
            );
            ensure!(
                c.close(Role::Reception, plus(at(FILED), 10)).is_ok(),
                "refused"
            );
            ensure!(!c.is_open(), "still open");
            Ok(())
        }),
        ("§6 l.133 only the owner or a senior closes", || {
            let mut c = ComplaintState::filed(Level::Major, at(FILED));
            c.answer(Role::GeneralManager, at(FILED))
                .map_err(|e| e.to_string())?;
            ensure!(
                matches!(
                    c.close(Role::ClubManager, at(FILED)),
                    Err(ComplaintError::NotOwner { .. })
                ),
                "club manager closed a major case"
            );
            ensure!(c.close(Role::Admin, at(FILED)).is_ok(), "admin refused");
            Ok(())
        }),
        ("§6 l.135 a closed complaint changes no more", || {
            let mut c = grumble();
            c.answer(Role::Reception, at(FILED))
                .map_err(|e| e.to_string())?;
            c.close(Role::Reception, at(FILED))
                .map_err(|e| e.to_string())?;
            ensure!(
                c.escalate(Level::Crisis) == Err(ComplaintError::Closed),
                "escalated"
            );
            ensure!(
                c.answer(Role::Admin, at(FILED)) == Err(ComplaintError::Closed),
                "answered"
            );
            ensure!(
                c.close(Role::Admin, at(FILED)) == Err(ComplaintError::Closed),
                "closed"
            );
            ensure!(!c.is_overdue(plus(c.deadline, DAY_MS)), "overdue");
            Ok(())
        }),
        (
            "server: a closed complaint is refused before the owner is asked",
            || {
                let mut c = ComplaintState::filed(Level::Crisis, at(FILED));
                c.answer(Role::GeneralManager, at(FILED))
                    .map_err(|e| e.to_string())?;
                c.close(Role::GeneralManager, at(FILED))
                    .map_err(|e| e.to_string())?;
                ensure!(
                    c.answer(Role::Reception, at(FILED)) == Err(ComplaintError::Closed),
                    "order"
                );
                Ok(())
            },
        ),
        ("server: the owner is asked before a second answer", || {
            let mut c = ComplaintState::filed(Level::Claim, at(FILED));
            c.answer(Role::GeneralManager, at(FILED))
                .map_err(|e| e.to_string())?;
            ensure!(
                matches!(
                    c.answer(Role::Reception, at(FILED)),
                    Err(ComplaintError::NotOwner { .. })
                ),
                "order"
            );
            Ok(())
        }),
    ]);
}
