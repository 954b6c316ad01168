//! Graded permissions (DOMAIN.md §7): one table of role × operation → scope, used by every API
//! route and by the fold of events arriving through sync, so both paths refuse the same things.
//!
//! `docs/permissions.md` holds the same table for people; a test checks that it matches
//! [`markdown_table`] character for character.

use carclub_shared::{CompanyId, EventBody, MemberId, StoreId};

use crate::domain::auth::{Principal, Role};

/// Something a person may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// Create stores (branches) of the group.
    ManageStores,
    /// Create staff accounts, revoke their sessions and devices.
    ManageStaff,
    /// Search and list members (contact fields masked unless `SeeContact`).
    ListMembers,
    /// Open a member's full file (audited).
    ViewMemberFile,
    /// See phone and ID numbers unmasked.
    SeeContact,
    /// Export member data.
    Export,
    /// Query the audit log.
    ViewAudit,
    /// See sync conflicts.
    ViewConflicts,
    /// Decide a conflict raised by offline devices.
    ResolveConflicts,
    /// Check out card stock to a device (001 会员卡管理制度: a manager signs).
    ManageCards,
    /// Write off a sold card against the receipt of its fee (finance reconciles, 001).
    WriteOffCards,
    /// Hand a member an invitation code for the member app.
    InviteMember,
    /// Record an on-site visit.
    Visit,
    /// Enroll a member.
    Enroll,
    /// Approve or reject an enrollment.
    DecideEnrollment,
    /// Settle an order into points (and quote it).
    SettleOrder,
    /// Register a benefit used.
    UseBenefit,
    /// Redeem points from the catalogue.
    RedeemPoints,
    /// Renew a membership.
    Renew,
    /// Sell a tier or approve an upgrade application.
    Upgrade,
    /// Grant a tier or points by hand.
    ManualGrant,
    /// Report a card lost.
    ReportCardLost,
    /// Issue a temporary card or reissue a lost one.
    ReissueCard,
    /// Ask to withdraw.
    RequestWithdrawal,
    /// Decide a withdrawal request.
    DecideWithdrawal,
    /// Ask the store to change a member's contact details (the member on their phone, or the
    /// counter for them).
    RequestContactChange,
    /// Confirm or decline a contact change request; confirmed, the new details apply.
    DecideContactChange,
    /// Record a referral and its conversion.
    Referral,
    /// Add a vehicle to a member's file.
    AddVehicle,
    /// Record attendance at a club event.
    Attendance,
    /// Reward a forum contribution with points.
    ForumReward,
    /// Record that a membership expired (the server's own bookkeeping).
    RecordExpiry,
    /// File a complaint (at the counter, by phone, letter, comments book or hotline).
    FileComplaint,
    /// See complaints.
    ViewComplaints,
    /// Escalate, answer and close complaints (within the level's owner, see `club.rs`).
    HandleComplaint,
    /// Create club events and their invitation lists.
    ManageClubEvents,
    /// See club events (a member: those they are invited to).
    ViewClubEvents,
    /// Answer an invitation to a club event.
    Rsvp,
    /// Add and deactivate partner merchants.
    ManagePartners,
    /// See partner merchants (a member: those of their store valid today).
    ViewPartners,
    /// Sign corporate agreements.
    ManageCorporate,
    /// See corporate agreements.
    ViewCorporate,
    /// Set or change the company (corporate agreement) a member belongs to.
    SetCompany,
    /// Read the club program a store runs (a member: their own store's).
    ViewProgram,
    /// Edit a member's service file: person and vehicle care facts, mileage, service visits.
    EditServiceFile,
    /// Record an on-site pre-inspection of a member's vehicle at a company (DOMAIN.md §6).
    PreInspect,
    /// See customer care: call tasks, scripts, campaigns and the lost-customer list.
    ViewCare,
    /// Work call tasks: record the outcome of a care call (reached, appointment, no answer…).
    WorkCalls,
    /// Manage customer care (the care manager): scripts, campaigns, assigning tasks, running the
    /// reminder rules now.
    ManageCare,
    /// See the appointment register (reception, service advisors, customer care).
    ViewAppointments,
    /// Book an appointment in the register, mark it arrived or cancelled.
    BookAppointment,
    /// See the monthly figures (数据看板) and the members behind them, and export them.
    ViewKpis,
    /// Compute a month's figures again.
    ComputeKpis,
    /// See the notification outbox: messages and their delivery states.
    ViewOutbox,
    /// Put a dead, unknown or failed message back in the outbox for delivery.
    RetryMessages,
    /// Date a member operation more than a day back (a paper record keyed in later): points and
    /// tiers follow the date, so only managers may.
    Backdate,
    /// Bring customers, vehicles and service visits in from the dealer management system.
    ImportCustomers,
    /// Export service visits and care call outcomes.
    ExportCare,
}

/// How far a permission reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Not at all.
    None,
    /// Only the caller's own member file (a member).
    Own,
    /// The members and staff of the caller's store (for field staff assigned to companies, the
    /// members of those companies only).
    Store,
    /// Every store of the group.
    Group,
}

impl Scope {
    /// The scope as the table and the API write it.
    pub fn label(self) -> &'static str {
        match self {
            Scope::None => "—",
            Scope::Own => "own",
            Scope::Store => "store",
            Scope::Group => "group",
        }
    }
}

/// Every role, in the order of the table's columns.
pub const ROLES: [Role; 10] = Role::ALL;

const N: Scope = Scope::None;
const O: Scope = Scope::Own;
const S: Scope = Scope::Store;
const G: Scope = Scope::Group;

/// The matrix: each operation, its name, and the scope of each role in [`ROLES`] order
/// (admin, general manager, club manager, care, activity, field, service advisor, finance,
/// reception, member).
pub const MATRIX: &[(Op, &str, [Scope; 10])] = &[
    (
        Op::ManageStores,
        "manage_stores",
        [G, N, N, N, N, N, N, N, N, N],
    ),
    (
        Op::ManageStaff,
        "manage_staff",
        [G, S, S, N, N, N, N, N, N, N],
    ),
    (
        Op::ListMembers,
        "list_members",
        [G, S, S, S, S, S, S, S, S, N],
    ),
    (
        Op::ViewMemberFile,
        "view_member_file",
        [G, S, S, S, S, S, S, S, N, O],
    ),
    (
        Op::SeeContact,
        "see_contact",
        [G, S, S, S, N, S, N, N, N, O],
    ),
    (Op::Export, "export", [G, S, S, N, N, N, N, N, N, N]),
    (Op::ViewAudit, "view_audit", [G, S, S, N, N, N, N, N, N, N]),
    (
        Op::ViewConflicts,
        "view_conflicts",
        [G, S, S, S, N, N, N, S, N, N],
    ),
    (
        Op::ResolveConflicts,
        "resolve_conflicts",
        [G, S, S, S, N, N, N, N, N, N],
    ),
    (
        Op::ManageCards,
        "manage_cards",
        [G, S, S, N, N, N, N, N, N, N],
    ),
    (
        Op::WriteOffCards,
        "write_off_cards",
        [G, S, S, N, N, N, N, S, N, N],
    ),
    (
        Op::InviteMember,
        "invite_member",
        [G, S, S, S, N, S, N, N, S, N],
    ),
    (Op::Visit, "visit", [G, S, S, S, S, S, N, N, N, N]),
    (Op::Enroll, "enroll", [G, S, S, S, N, S, N, N, S, N]),
    (
        Op::DecideEnrollment,
        "decide_enrollment",
        [G, S, S, N, N, N, N, N, N, N],
    ),
    (
        Op::SettleOrder,
        "settle_order",
        [G, S, S, N, N, N, S, S, N, N],
    ),
    (
        Op::UseBenefit,
        "use_benefit",
        [G, S, S, S, N, S, S, N, S, N],
    ),
    (
        Op::RedeemPoints,
        "redeem_points",
        [G, S, S, N, N, N, N, S, N, N],
    ),
    (Op::Renew, "renew", [G, S, S, S, N, S, N, S, N, N]),
    (Op::Upgrade, "upgrade", [G, S, S, N, N, N, N, N, N, N]),
    (
        Op::ManualGrant,
        "manual_grant",
        [G, S, S, N, N, N, N, N, N, N],
    ),
    (
        Op::ReportCardLost,
        "report_card_lost",
        [G, S, S, S, N, S, N, N, S, O],
    ),
    (
        Op::ReissueCard,
        "reissue_card",
        [G, S, S, S, N, N, N, N, N, N],
    ),
    (
        Op::RequestWithdrawal,
        "request_withdrawal",
        [G, S, S, S, N, N, N, N, N, O],
    ),
    (
        Op::DecideWithdrawal,
        "decide_withdrawal",
        [G, S, S, N, N, N, N, N, N, N],
    ),
    (
        Op::RequestContactChange,
        "request_contact_change",
        [G, S, S, S, N, N, N, N, S, O],
    ),
    (
        Op::DecideContactChange,
        "decide_contact_change",
        [G, S, S, S, N, N, N, N, N, N],
    ),
    (Op::Referral, "referral", [G, S, S, S, N, S, S, N, N, N]),
    (
        Op::AddVehicle,
        "add_vehicle",
        [G, S, S, S, N, S, S, N, N, N],
    ),
    (Op::Attendance, "attendance", [G, S, S, N, S, N, N, N, N, N]),
    (
        Op::ForumReward,
        "forum_reward",
        [G, S, S, N, S, N, N, N, N, N],
    ),
    (
        Op::RecordExpiry,
        "record_expiry",
        [N, N, N, N, N, N, N, N, N, N],
    ),
    (
        Op::FileComplaint,
        "file_complaint",
        [G, S, S, S, S, S, S, S, S, O],
    ),
    (
        Op::ViewComplaints,
        "view_complaints",
        [G, S, S, S, N, N, N, N, S, O],
    ),
    (
        Op::HandleComplaint,
        "handle_complaint",
        [G, S, S, S, N, N, N, N, S, N],
    ),
    (
        Op::ManageClubEvents,
        "manage_club_events",
        [G, S, S, N, S, N, N, N, N, N],
    ),
    (
        Op::ViewClubEvents,
        "view_club_events",
        [G, S, S, S, S, S, S, S, S, O],
    ),
    (Op::Rsvp, "rsvp", [G, S, S, S, S, N, N, N, S, O]),
    (
        Op::ManagePartners,
        "manage_partners",
        [G, S, S, N, S, N, N, N, N, N],
    ),
    (
        Op::ViewPartners,
        "view_partners",
        [G, S, S, S, S, S, S, S, S, O],
    ),
    (
        Op::ManageCorporate,
        "manage_corporate",
        [G, S, S, N, N, N, N, N, N, N],
    ),
    (
        Op::ViewCorporate,
        "view_corporate",
        [G, S, S, S, N, S, S, N, N, N],
    ),
    (
        Op::SetCompany,
        "set_company",
        [G, S, S, N, N, N, N, N, N, N],
    ),
    (
        Op::ViewOutbox,
        "view_outbox",
        [G, S, S, S, N, N, N, N, N, N],
    ),
    (
        Op::RetryMessages,
        "retry_messages",
        [G, S, S, S, N, N, N, N, N, N],
    ),
    (Op::Backdate, "backdate", [G, S, S, N, N, N, N, N, N, N]),
    (
        Op::ImportCustomers,
        "import_customers",
        [G, S, S, N, N, N, N, N, N, N],
    ),
    (
        Op::ExportCare,
        "export_care",
        [G, S, S, N, N, N, N, N, N, N],
    ),
    (
        Op::ViewProgram,
        "view_program",
        [G, S, S, S, S, S, S, S, S, O],
    ),
    (
        Op::EditServiceFile,
        "edit_service_file",
        [G, S, S, S, N, N, S, N, N, N],
    ),
    (
        Op::PreInspect,
        "pre_inspect",
        [G, S, S, S, N, S, S, N, N, N],
    ),
    (Op::ViewCare, "view_care", [G, S, S, S, N, S, S, N, N, N]),
    (Op::WorkCalls, "work_calls", [G, S, S, S, N, S, S, N, N, N]),
    (
        Op::ManageCare,
        "manage_care",
        [G, S, S, N, N, N, N, N, N, N],
    ),
    (
        Op::ViewAppointments,
        "view_appointments",
        [G, S, S, S, N, N, S, N, S, N],
    ),
    (
        Op::BookAppointment,
        "book_appointment",
        [G, S, S, S, N, N, S, N, S, N],
    ),
    (Op::ViewKpis, "view_kpis", [G, S, S, N, N, N, N, N, N, N]),
    (
        Op::ComputeKpis,
        "compute_kpis",
        [G, S, S, N, N, N, N, N, N, N],
    ),
];

/// The scope `role` has for `op`.
pub fn scope(role: Role, op: Op) -> Scope {
    let col = ROLES.iter().position(|r| *r == role).unwrap_or(ROLES.len());
    MATRIX
        .iter()
        .find(|(o, _, _)| *o == op)
        .and_then(|(_, _, row)| row.get(col).copied())
        .unwrap_or(Scope::None)
}

/// The name of an operation as the table writes it.
pub fn name(op: Op) -> &'static str {
    MATRIX
        .iter()
        .find(|(o, _, _)| *o == op)
        .map_or("unknown", |(_, n, _)| n)
}

/// The operation an event records.
pub fn op_of(body: &EventBody) -> Op {
    use EventBody::*;
    match body {
        VisitStarted(_) | VisitEnded(_) => Op::Visit,
        PreInspectionRecorded(_) => Op::PreInspect,
        Enrolled(_) => Op::Enroll,
        CustomerImported(_) => Op::ImportCustomers,
        EnrollmentApproved { .. } | EnrollmentRejected { .. } => Op::DecideEnrollment,
        OrderSettled { .. } => Op::SettleOrder,
        EventAttended { .. } => Op::Attendance,
        InvitationAnswered { .. } => Op::Rsvp,
        ComplaintFiled { .. } => Op::FileComplaint,
        ForumRewarded { .. } => Op::ForumReward,
        ReferralRecorded { .. } | ReferralConverted { .. } => Op::Referral,
        VehicleAdded { .. } => Op::AddVehicle,
        BenefitUsed { .. } => Op::UseBenefit,
        PointsRedeemed { .. } => Op::RedeemPoints,
        Renewed { .. } => Op::Renew,
        TierPurchased { .. } | UpgradeApproved { .. } => Op::Upgrade,
        ManualGrant { .. } => Op::ManualGrant,
        CardLost { .. } => Op::ReportCardLost,
        TemporaryCardIssued { .. } | CardReissued { .. } => Op::ReissueCard,
        WithdrawalRequested { .. } => Op::RequestWithdrawal,
        WithdrawalDecided { .. } => Op::DecideWithdrawal,
        ContactChangeRequested { .. } => Op::RequestContactChange,
        ContactChangeDecided { .. } => Op::DecideContactChange,
        Expired { .. } => Op::RecordExpiry,
        CompanyChanged { .. } => Op::SetCompany,
        PersonFactsSet { .. }
        | VehicleFactsSet { .. }
        | MileageRecorded { .. }
        | ServiceVisitRecorded { .. } => Op::EditServiceFile,
    }
}

/// Why an operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("your role ({role}) does not allow {op}")]
    Role {
        role: &'static str,
        op: &'static str,
    },
    #[error("your role allows {op} only in your own store")]
    OtherStore { op: &'static str },
    #[error("you are allowed {op} only for your own membership")]
    NotYours { op: &'static str },
    #[error(
        "you are assigned to some companies of your store; {op} is allowed only for their members"
    )]
    OtherCompany { op: &'static str },
}

impl Denied {
    /// The refusal in Chinese, naming the operation refused as [`op_zh`] does.
    pub fn describe_zh(&self) -> String {
        match self {
            Denied::Role { role, op } => {
                let role = role.parse::<Role>().map_or(*role, Role::name_zh);
                format!("您的角色（{role}）无权{}", op_zh(op))
            }
            Denied::OtherStore { op } => format!("您的角色只能在本门店{}", op_zh(op)),
            Denied::NotYours { op } => format!("此操作（{}）只能针对您本人的会籍", op_zh(op)),
            Denied::OtherCompany { op } => format!(
                "您被分配负责本门店的部分企业，只能为这些企业的会员{}",
                op_zh(op)
            ),
        }
    }
}

/// An operation of the permission table (named as [`perm::MATRIX`] names it) in Chinese, as a
/// verb phrase ("审批入会"): what a refusal says may not be done; `name` itself when unknown (a
/// unit test checks every operation of the table has its phrase).
pub fn op_zh(name: &str) -> &str {
    match name {
        "manage_stores" => "管理门店",
        "manage_staff" => "管理员工账号",
        "list_members" => "查询会员名单",
        "view_member_file" => "查看会员档案",
        "see_contact" => "查看完整的联系方式",
        "export" => "导出会员数据",
        "view_audit" => "查看审计日志",
        "view_conflicts" => "查看同步冲突",
        "resolve_conflicts" => "处理同步冲突",
        "manage_cards" => "领用会员卡号段",
        "write_off_cards" => "核销已售会员卡",
        "invite_member" => "发放会员邀请码",
        "visit" => "登记上门服务",
        "enroll" => "办理入会",
        "decide_enrollment" => "审批入会",
        "settle_order" => "结算订单积分",
        "use_benefit" => "登记权益使用",
        "pre_inspect" => "登记车辆预检",
        "redeem_points" => "兑换积分",
        "renew" => "办理续费",
        "upgrade" => "办理升级",
        "manual_grant" => "人工授予等级或积分",
        "report_card_lost" => "挂失会员卡",
        "reissue_card" => "补卡或发放临时卡",
        "request_withdrawal" => "申请退会",
        "decide_withdrawal" => "审批退会",
        "request_contact_change" => "申请变更联系方式",
        "decide_contact_change" => "确认或驳回联系方式变更",
        "referral" => "登记推荐",
        "add_vehicle" => "添加车辆",
        "attendance" => "登记活动签到",
        "forum_reward" => "发放论坛奖励积分",
        "record_expiry" => "记录会籍到期",
        "file_complaint" => "登记投诉",
        "view_complaints" => "查看投诉",
        "handle_complaint" => "处理投诉",
        "manage_club_events" => "管理俱乐部活动",
        "view_club_events" => "查看俱乐部活动",
        "rsvp" => "回复活动邀请",
        "manage_partners" => "管理合作商户",
        "view_partners" => "查看合作商户",
        "manage_corporate" => "签订大客户协议",
        "view_corporate" => "查看大客户协议",
        "set_company" => "设置会员所属企业",
        "backdate" => "补录一天以前的操作",
        "view_program" => "查看会员方案",
        "edit_service_file" => "编辑终身维修档案",
        "view_outbox" => "查看消息发件箱",
        "retry_messages" => "重发消息",
        "view_care" => "查看客户关怀",
        "work_calls" => "登记关怀回访电话",
        "manage_care" => "管理客户关怀（话术、关怀活动、分派任务、运行提醒）",
        "view_appointments" => "查看预约登记",
        "book_appointment" => "登记或变更预约",
        "view_kpis" => "查看数据看板",
        "compute_kpis" => "重新计算月度指标",
        "import_customers" => "导入经销商系统的客户资料",
        "export_care" => "导出进厂记录和关怀回访结果",
        other => other,
    }
}

/// What an operation is done to: a store, and maybe one member with the company they belong to.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub store: StoreId,
    pub member: Option<MemberId>,
    /// The company the member belongs to (`None` for no member, or a member of no company).
    pub company: Option<CompanyId>,
}

impl Target {
    /// A store-level target (no member).
    pub fn store(store: StoreId) -> Self {
        Self {
            store,
            member: None,
            company: None,
        }
    }

    /// A member of `store` belonging to `company`.
    pub fn member(store: StoreId, member: MemberId, company: Option<CompanyId>) -> Self {
        Self {
            store,
            member: Some(member),
            company,
        }
    }
}

/// Whether `p` may do `op` to `target`.
pub fn check(p: &Principal, op: Op, target: Target) -> Result<(), Denied> {
    let op_name = name(op);
    match scope(p.user.role, op) {
        Scope::Group => Ok(()),
        Scope::Store if target.store != p.user.store => Err(Denied::OtherStore { op: op_name }),
        Scope::Store if target.member.is_some() && !p.assignment.admits(target.company) => {
            Err(Denied::OtherCompany { op: op_name })
        }
        Scope::Store => Ok(()),
        Scope::Own if target.member.is_some() && target.member == p.member => Ok(()),
        Scope::Own => Err(Denied::NotYours { op: op_name }),
        Scope::None => Err(Denied::Role {
            role: p.user.role.as_str(),
            op: op_name,
        }),
    }
}

/// Whether `p` may do `op` somewhere (for routes that filter by scope afterwards).
pub fn check_any(p: &Principal, op: Op) -> Result<Scope, Denied> {
    match scope(p.user.role, op) {
        Scope::None => Err(Denied::Role {
            role: p.user.role.as_str(),
            op: name(op),
        }),
        s => Ok(s),
    }
}

/// Whether a record of `store` (and maybe about `member`) is within `scope` for `p`. A record
/// about a member is outside the reach of field staff assigned to companies, who do not know its
/// company: use [`within_member`] for member records.
pub fn within(p: &Principal, scope: Scope, store: StoreId, member: Option<MemberId>) -> bool {
    match scope {
        Scope::Group => true,
        Scope::Store => {
            store == p.user.store && (member.is_none() || p.assignment.companies().is_none())
        }
        Scope::Own => member.is_some() && member == p.member,
        Scope::None => false,
    }
}

/// Whether `member` of `store`, belonging to `company`, is within `scope` for `p`: as
/// [`within`], and for field staff assigned to companies, only members of those companies.
pub fn within_member(
    p: &Principal,
    scope: Scope,
    store: StoreId,
    member: MemberId,
    company: Option<CompanyId>,
) -> bool {
    match scope {
        Scope::Store => store == p.user.store && p.assignment.admits(company),
        s => within(p, s, store, Some(member)),
    }
}

/// The matrix as JSON: for each operation, each role's scope.
pub fn matrix_json() -> serde_json::Value {
    let ops: serde_json::Map<String, serde_json::Value> = MATRIX
        .iter()
        .map(|(_, name, row)| {
            let roles: serde_json::Map<String, serde_json::Value> = ROLES
                .iter()
                .zip(row)
                .map(|(r, s)| (r.as_str().to_owned(), s.label().into()))
                .collect();
            ((*name).to_owned(), roles.into())
        })
        .collect();
    serde_json::json!({ "operations": ops })
}

/// The matrix as the markdown table in `docs/permissions.md`.
#[cfg(test)]
pub fn markdown_table() -> String {
    let mut out = String::from("| operation |");
    for r in ROLES {
        out.push_str(&format!(" {} |", r.as_str()));
    }
    out.push_str("\n| --- |");
    for _ in ROLES {
        out.push_str(" --- |");
    }
    out.push('\n');
    for (_, name, row) in MATRIX {
        out.push_str(&format!("| `{name}` |"));
        for s in row {
            out.push_str(&format!(" {} |", s.label()));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::auth::Assignment;

    #[test]
    fn the_documented_table_is_the_code_table() {
        let doc = include_str!("../../../docs/permissions.md");
        assert!(
            doc.contains(&markdown_table()),
            "docs/permissions.md must contain exactly this table:\n{}",
            markdown_table()
        );
    }

    #[test]
    fn every_operation_has_one_row() {
        let mut names: Vec<&str> = MATRIX.iter().map(|(_, n, _)| *n).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), MATRIX.len());
    }

    #[test]
    fn rows_follow_the_handbook() {
        // 001: only managers approve; finance settles and redeems (003); members act on their own file.
        assert_eq!(scope(Role::FieldStaff, Op::DecideEnrollment), Scope::None);
        assert_eq!(scope(Role::ClubManager, Op::DecideEnrollment), Scope::Store);
        assert_eq!(scope(Role::Finance, Op::RedeemPoints), Scope::Store);
        assert_eq!(scope(Role::Member, Op::ViewMemberFile), Scope::Own);
        assert_eq!(scope(Role::Member, Op::ListMembers), Scope::None);
        assert_eq!(scope(Role::Admin, Op::RecordExpiry), Scope::None);
    }

    fn staff(role: Role, store: StoreId, assignment: Assignment) -> Principal {
        Principal {
            user: crate::domain::auth::User {
                id: carclub_shared::UserId::new(),
                username: "x".into(),
                name: "x".into(),
                role,
                store,
                password_hash: String::new(),
                disabled: false,
            },
            device: None,
            member: None,
            assignment,
        }
    }

    fn assigned(companies: &[CompanyId]) -> Assignment {
        Assignment::Companies {
            companies: companies.to_vec().try_into().unwrap(),
        }
    }

    #[test]
    fn company_scoped_field_staff_reach_only_their_companies_members() {
        let store = StoreId::new();
        let (mine, other) = (CompanyId::new(), CompanyId::new());
        let p = staff(Role::FieldStaff, store, assigned(&[mine]));
        let m = MemberId::new();
        assert!(check(&p, Op::ViewMemberFile, Target::member(store, m, Some(mine))).is_ok());
        assert_eq!(
            check(
                &p,
                Op::ViewMemberFile,
                Target::member(store, m, Some(other))
            ),
            Err(Denied::OtherCompany {
                op: "view_member_file"
            })
        );
        assert!(check(&p, Op::ViewMemberFile, Target::member(store, m, None)).is_err());
        assert!(matches!(
            check(&p, Op::Renew, Target::member(StoreId::new(), m, Some(mine))),
            Err(Denied::OtherStore { .. })
        ));
        // Store-level operations are unchanged.
        assert!(check(&p, Op::Visit, Target::store(store)).is_ok());
        assert!(check(&p, Op::ViewPartners, Target::store(store)).is_ok());

        let list = scope(p.user.role, Op::ListMembers);
        assert!(within_member(&p, list, store, m, Some(mine)));
        assert!(!within_member(&p, list, store, m, Some(other)));
        assert!(!within_member(&p, list, store, m, None));
        assert!(!within(&p, list, store, Some(m)));
        assert!(within(&p, list, store, None));
    }

    #[test]
    fn store_wide_staff_and_managers_are_unaffected_by_companies() {
        let store = StoreId::new();
        let m = MemberId::new();
        let company = Some(CompanyId::new());
        for p in [
            staff(Role::FieldStaff, store, Assignment::Store),
            staff(Role::ClubManager, store, Assignment::Store),
        ] {
            let target = Target::member(store, m, company);
            assert!(check(&p, Op::ViewMemberFile, target).is_ok());
            assert!(check(&p, Op::ViewMemberFile, Target::member(store, m, None)).is_ok());
            let list = scope(p.user.role, Op::ListMembers);
            assert!(within_member(&p, list, store, m, company));
            assert!(within(&p, list, store, Some(m)));
        }
        let manager = staff(Role::ClubManager, store, Assignment::Store);
        assert!(check(&manager, Op::SetCompany, Target::member(store, m, None)).is_ok());
        let field = staff(Role::FieldStaff, store, Assignment::Store);
        assert!(check(&field, Op::SetCompany, Target::member(store, m, None)).is_err());
    }

    #[test]
    fn the_service_file_is_edited_by_advisors_and_care() {
        let member = MemberId::new();
        let vin = carclub_shared::Vin::parse("LSVAU2180N2183294").expect("a VIN");
        let on = time::macros::date!(2026 - 03 - 01);
        let bodies = [
            EventBody::PersonFactsSet {
                member,
                facts: Default::default(),
            },
            EventBody::VehicleFactsSet {
                member,
                vin: vin.clone(),
                facts: Default::default(),
            },
            EventBody::MileageRecorded {
                member,
                vin: vin.clone(),
                on,
                km: 1000,
            },
            EventBody::ServiceVisitRecorded {
                member,
                vin,
                on,
                km: None,
                kind: carclub_shared::care::VisitKind::Repair,
                amount: carclub_shared::Money::ZERO,
                advisor: None,
                elsewhere: None,
            },
        ];
        for body in &bodies {
            assert_eq!(op_of(body), Op::EditServiceFile, "{}", body.kind());
        }
        let op = Op::EditServiceFile;
        assert_eq!(scope(Role::Admin, op), Scope::Group);
        for role in [
            Role::GeneralManager,
            Role::ClubManager,
            Role::CareSpecialist,
            Role::ServiceAdvisor,
        ] {
            assert_eq!(scope(role, op), Scope::Store, "{role:?}");
        }
        for role in [
            Role::ActivitySpecialist,
            Role::FieldStaff,
            Role::Finance,
            Role::Reception,
            Role::Member,
        ] {
            assert_eq!(scope(role, op), Scope::None, "{role:?}");
        }
    }
}
