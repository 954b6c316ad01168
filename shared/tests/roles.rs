//! Roles (DOMAIN.md §7) and the one seniority ladder: who creates which accounts, who answers
//! which complaints. Each row names the DOMAIN.md line or handbook it comes from; the exhaustive
//! tables check every (role, role) pair against the two tables the server had before.

use std::str::FromStr;

use carclub_shared::complaints::Level;
use carclub_shared::roles::{CreateRefused, Role, Seniority, UnknownRole};

use Role::*;

fn report(what: &str, failures: Vec<String>) {
    assert!(failures.is_empty(), "{what}:\n{}", failures.join("\n"));
}

#[test]
fn names_order_and_parsing() {
    // DOMAIN.md l.140-141 lists the roles; the API and the permission matrix write them so.
    let rows: &[(&str, Role, &str)] = &[
        ("server auth.rs: the group's administrator", Admin, "admin"),
        ("l.140 general manager", GeneralManager, "general_manager"),
        ("l.140 club manager", ClubManager, "club_manager"),
        (
            "l.140 customer-care specialist",
            CareSpecialist,
            "care_specialist",
        ),
        (
            "l.140 activity specialist",
            ActivitySpecialist,
            "activity_specialist",
        ),
        (
            "l.141 field staff / sales consultant",
            FieldStaff,
            "field_staff",
        ),
        ("l.141 service advisor", ServiceAdvisor, "service_advisor"),
        ("l.141 finance", Finance, "finance"),
        ("l.141 lounge reception", Reception, "reception"),
        ("l.141 member", Member, "member"),
    ];
    let mut failures = Vec::new();
    for (i, (line, role, name)) in rows.iter().enumerate() {
        let json = serde_json::to_value(role).unwrap();
        let back: Result<Role, _> = serde_json::from_value(serde_json::json!(name));
        let checks = [
            (role.as_str() == *name, "as_str"),
            (role.to_string() == *name, "Display"),
            (json == serde_json::json!(name), "serde name"),
            (back.ok() == Some(*role), "serde parse"),
            (Role::from_str(name) == Ok(*role), "FromStr"),
            (Role::ALL[i] == *role, "ALL order (the matrix's columns)"),
        ];
        for (ok, what) in checks {
            if !ok {
                failures.push(format!("DOMAIN.md {line}: {what} of {role:?}"));
            }
        }
    }
    report("role names", failures);
    assert_eq!(Role::ALL.len(), rows.len());
    assert_eq!(
        Role::from_str("Admin"),
        Err(UnknownRole("Admin".into())),
        "names are exact, as in serde"
    );
    assert_eq!(Role::from_str(""), Err(UnknownRole(String::new())));
    assert!(serde_json::from_value::<Role>(serde_json::json!("director")).is_err());
}

#[test]
fn the_ladder() {
    let rows: &[(&str, Role, Seniority)] = &[
        (
            "server: the administrator stands above all",
            Admin,
            Seniority::Admin,
        ),
        (
            "003 l.8-9: 总经理 owns major cases and crises",
            GeneralManager,
            Seniority::GeneralManager,
        ),
        (
            "003 l.2: 部门经理 owns complaints",
            ClubManager,
            Seniority::Manager,
        ),
        (
            "003 l.99: 接待人员 own grumbles",
            Reception,
            Seniority::FrontLine,
        ),
        (
            "001 l.251: 客户管理专员 handles member complaints",
            CareSpecialist,
            Seniority::FrontLine,
        ),
        (
            "§7 l.140: activity specialist",
            ActivitySpecialist,
            Seniority::Ordinary,
        ),
        ("§7 l.141: field staff", FieldStaff, Seniority::Ordinary),
        (
            "§7 l.141: service advisor",
            ServiceAdvisor,
            Seniority::Ordinary,
        ),
        ("§7 l.141: finance", Finance, Seniority::Ordinary),
        ("§7 l.141: member", Member, Seniority::Ordinary),
    ];
    let failures: Vec<String> = rows
        .iter()
        .filter(|(_, role, rung)| role.seniority() != *rung)
        .map(|(line, role, rung)| format!("{line}: {role} is {:?}, not {rung:?}", role.seniority()))
        .collect();
    report("seniority", failures);
    assert!(Seniority::Ordinary < Seniority::FrontLine);
    assert!(Seniority::FrontLine < Seniority::Manager);
    assert!(Seniority::Manager < Seniority::GeneralManager);
    assert!(Seniority::GeneralManager < Seniority::Admin);
}

#[test]
fn who_creates_which_accounts() {
    // (source, creator, wanted, allowed)
    let rows: &[(&str, Role, Role, bool)] = &[
        (
            "server accounts: admin may create anything",
            Admin,
            Admin,
            true,
        ),
        (
            "server accounts: admin may create anything",
            Admin,
            GeneralManager,
            true,
        ),
        (
            "server accounts: admin may create anything",
            Admin,
            FieldStaff,
            true,
        ),
        (
            "server accounts: a club manager cannot create a general manager",
            ClubManager,
            GeneralManager,
            false,
        ),
        (
            "server accounts: nobody creates an equal",
            ClubManager,
            ClubManager,
            false,
        ),
        (
            "server accounts: nobody creates an equal",
            GeneralManager,
            GeneralManager,
            false,
        ),
        (
            "server accounts: nobody creates a senior",
            GeneralManager,
            Admin,
            false,
        ),
        (
            "server accounts: a general manager creates club managers",
            GeneralManager,
            ClubManager,
            true,
        ),
        (
            "server accounts: a general manager creates staff",
            GeneralManager,
            Reception,
            true,
        ),
        (
            "server accounts: a club manager creates customer care",
            ClubManager,
            CareSpecialist,
            true,
        ),
        (
            "server accounts: a club manager creates reception",
            ClubManager,
            Reception,
            true,
        ),
        (
            "server accounts: a club manager creates field staff",
            ClubManager,
            FieldStaff,
            true,
        ),
        (
            "server accounts: a club manager creates finance",
            ClubManager,
            Finance,
            true,
        ),
        (
            "§7 l.139 graded permissions: reception creates nobody",
            Reception,
            FieldStaff,
            false,
        ),
        (
            "§7 l.139 graded permissions: customer care creates nobody",
            CareSpecialist,
            Finance,
            false,
        ),
        (
            "§7 l.139 graded permissions: field staff creates nobody",
            FieldStaff,
            FieldStaff,
            false,
        ),
        (
            "§7 l.139 graded permissions: a member creates nobody",
            Member,
            FieldStaff,
            false,
        ),
        (
            "server accounts: member logins come from invitations",
            Admin,
            Member,
            false,
        ),
        (
            "server accounts: member logins come from invitations",
            ClubManager,
            Member,
            false,
        ),
    ];
    let failures: Vec<String> = rows
        .iter()
        .filter(|(_, creator, wanted, allowed)| creator.may_create(*wanted) != *allowed)
        .map(|(line, creator, wanted, allowed)| {
            format!("{line}: {creator} creating {wanted} should be allowed={allowed}")
        })
        .collect();
    report("account creation", failures);

    assert_eq!(
        Admin.check_create(Member),
        Err(CreateRefused::MemberByInvitation)
    );
    let refused = ClubManager.check_create(GeneralManager).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "your role (club_manager) may not create a general_manager account"
    );
}

#[test]
fn who_answers_which_complaints() {
    // (source, role, level, may answer and close)
    let rows: &[(&str, Role, Level, bool)] = &[
        (
            "§6 l.133 minor grumble → receptionist",
            Reception,
            Level::Grumble,
            true,
        ),
        (
            "001 l.251 customer care handles member complaints",
            CareSpecialist,
            Level::Grumble,
            true,
        ),
        (
            "§6 l.133 complaint → department manager, above reception",
            Reception,
            Level::Complaint,
            false,
        ),
        (
            "§6 l.133 complaint → department manager, above customer care",
            CareSpecialist,
            Level::Complaint,
            false,
        ),
        (
            "§6 l.133 complaint → department manager",
            ClubManager,
            Level::Complaint,
            true,
        ),
        (
            "§6 l.133 a manager answers what the reception owns",
            ClubManager,
            Level::Grumble,
            true,
        ),
        (
            "§6 l.133 claim for loss → sales/service director (general manager)",
            ClubManager,
            Level::Claim,
            false,
        ),
        (
            "§6 l.133 claim for loss → sales/service director (general manager)",
            GeneralManager,
            Level::Claim,
            true,
        ),
        (
            "§6 l.134 major → general manager",
            GeneralManager,
            Level::Major,
            true,
        ),
        (
            "§6 l.134 crisis → general manager",
            GeneralManager,
            Level::Crisis,
            true,
        ),
        (
            "§6 l.134 crisis, above the club manager",
            ClubManager,
            Level::Crisis,
            false,
        ),
        (
            "server: the administrator handles everything",
            Admin,
            Level::Crisis,
            true,
        ),
        (
            "§7 l.138 staff see only what their role needs: field staff",
            FieldStaff,
            Level::Grumble,
            false,
        ),
        (
            "§7 l.138 staff see only what their role needs: finance",
            Finance,
            Level::Grumble,
            false,
        ),
        (
            "§7 l.138 staff see only what their role needs: activity",
            ActivitySpecialist,
            Level::Grumble,
            false,
        ),
        (
            "§7 l.138 staff see only what their role needs: service advisor",
            ServiceAdvisor,
            Level::Grumble,
            false,
        ),
        (
            "§6 a member files complaints, never answers them",
            Member,
            Level::Grumble,
            false,
        ),
    ];
    let failures: Vec<String> = rows
        .iter()
        .filter(|(_, role, level, ok)| role.may_handle_complaint_owned_by(level.owner()) != *ok)
        .map(|(line, role, level, ok)| {
            format!(
                "{line}: {role} on a {level:?} (owner {}) should be {ok}",
                level.owner()
            )
        })
        .collect();
    report("complaint handling", failures);
}

/// The server's `accounts_api.rs` `rank` and its rule, before the ladder.
fn old_may_create(creator: Role, wanted: Role) -> bool {
    fn rank(role: Role) -> u8 {
        match role {
            Admin => 3,
            GeneralManager => 2,
            ClubManager => 1,
            _ => 0,
        }
    }
    // The server refused member accounts before asking the rank.
    wanted != Member && (rank(wanted) < rank(creator) || creator == Admin)
}

/// The server's `club/complaints.rs` `handling_rank` and its rule, before the ladder.
fn old_may_handle(role: Role, owner: Role) -> bool {
    fn handling_rank(role: Role) -> u8 {
        match role {
            Admin => 4,
            GeneralManager => 3,
            ClubManager => 2,
            Reception | CareSpecialist => 1,
            _ => 0,
        }
    }
    handling_rank(role) >= handling_rank(owner)
}

#[test]
fn every_pair_keeps_the_servers_outcome() {
    let mut failures = Vec::new();
    for a in Role::ALL {
        for b in Role::ALL {
            if a.may_create(b) != old_may_create(a, b) {
                failures.push(format!("may_create({a}, {b})"));
            }
            if a.may_handle_complaint_owned_by(b) != old_may_handle(a, b) {
                failures.push(format!("may_handle_complaint_owned_by({a}, {b})"));
            }
            if a.may_create(b) && a != Admin && b.may_create(a) {
                failures.push(format!("{a} and {b} create each other"));
            }
        }
    }
    report("changed outcomes", failures);
}
