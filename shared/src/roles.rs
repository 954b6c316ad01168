//! Roles and their seniority (DOMAIN.md §7, handbooks 001 and 003).
//!
//! The handbooks name the roles and, for complaints, who answers what; the club adds that nobody
//! creates an account as senior as their own. Both questions used to be answered by two tables in
//! the server that disagreed about where reception and customer care stand. Here one ladder,
//! [`Seniority`], answers both:
//!
//! - [`Role::may_handle_complaint_owned_by`]: a role answers and closes complaints owned by its
//!   own rung or a lower one (003: a grumble the reception, a complaint the department manager,
//!   claims, major cases and crises the general manager; 001: customer care handles complaints).
//! - [`Role::may_create`]: managers create accounts strictly below their own rung, the
//!   administrator any staff account; member logins come only from invitation codes.
//!
//! What a role may do at all (which stores, which operations) is the permission matrix's business,
//! in the server; these rules sit on top of it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A role with its graded permissions (DOMAIN.md §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The group's administrator: every store, every operation.
    Admin,
    /// The store's general manager (总经理), also the sales/service director of 003.
    GeneralManager,
    /// The club (department) manager (部门经理).
    ClubManager,
    /// A customer-care specialist (客户管理专员).
    CareSpecialist,
    /// An activity specialist: club events.
    ActivitySpecialist,
    /// Field staff or a sales consultant (会员维护专员), often offline.
    FieldStaff,
    /// A service advisor.
    ServiceAdvisor,
    /// Finance: settles, redeems, reconciles receipts.
    Finance,
    /// Lounge reception (接待人员).
    Reception,
    /// A member using the member app.
    Member,
}

/// A rung of the one seniority ladder, from lowest to highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Seniority {
    /// Members, activity specialists, field staff, service advisors and finance: own no
    /// complaints and create no accounts.
    Ordinary,
    /// Reception and customer care: own minor grumbles (003 接待人员; 001 客户管理专员 handles
    /// complaints).
    FrontLine,
    /// The club (department) manager: owns complaints (003 部门经理), creates front-line and
    /// ordinary staff accounts.
    Manager,
    /// The general manager: owns claims, major cases and crises (003 销售总监/服务总监, 总经理).
    GeneralManager,
    /// The group's administrator: handles everything, creates any staff account.
    Admin,
}

/// A role name that is not one of [`Role::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "{0:?} is not a role; expected one of admin, general_manager, club_manager, care_specialist, activity_specialist, field_staff, service_advisor, finance, reception, member"
)]
pub struct UnknownRole(pub String);

/// Why a role may not create an account of another role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum CreateRefused {
    /// Member logins come from an invitation code, never from staff creating them.
    #[error("member logins are created from an invitation code")]
    MemberByInvitation,
    /// The wanted role is as senior as the creator's, or more, or the creator is no manager.
    #[error("your role ({creator}) may not create a {wanted} account")]
    NotSenior {
        /// The role of the person creating the account.
        creator: Role,
        /// The role of the account they asked for.
        wanted: Role,
    },
}

impl Role {
    /// Every role, in the order of the permission matrix's columns.
    pub const ALL: [Role; 10] = [
        Role::Admin,
        Role::GeneralManager,
        Role::ClubManager,
        Role::CareSpecialist,
        Role::ActivitySpecialist,
        Role::FieldStaff,
        Role::ServiceAdvisor,
        Role::Finance,
        Role::Reception,
        Role::Member,
    ];

    /// The role's name as the API and the permission table write it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::GeneralManager => "general_manager",
            Role::ClubManager => "club_manager",
            Role::CareSpecialist => "care_specialist",
            Role::ActivitySpecialist => "activity_specialist",
            Role::FieldStaff => "field_staff",
            Role::ServiceAdvisor => "service_advisor",
            Role::Finance => "finance",
            Role::Reception => "reception",
            Role::Member => "member",
        }
    }

    /// The role's name in Chinese, as the handbooks call it.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::GeneralManager => "总经理",
            Role::ClubManager => "俱乐部经理",
            Role::CareSpecialist => "客服专员",
            Role::ActivitySpecialist => "活动专员",
            Role::FieldStaff => "会员维护专员",
            Role::ServiceAdvisor => "服务顾问",
            Role::Finance => "财务",
            Role::Reception => "休息区接待",
            Role::Member => "会员",
        }
    }

    /// The rung of the seniority ladder this role stands on.
    pub const fn seniority(self) -> Seniority {
        match self {
            Role::Admin => Seniority::Admin,
            Role::GeneralManager => Seniority::GeneralManager,
            Role::ClubManager => Seniority::Manager,
            Role::CareSpecialist | Role::Reception => Seniority::FrontLine,
            Role::ActivitySpecialist
            | Role::FieldStaff
            | Role::ServiceAdvisor
            | Role::Finance
            | Role::Member => Seniority::Ordinary,
        }
    }

    /// Whether this role stands on a strictly higher rung than `other`.
    pub fn outranks(self, other: Role) -> bool {
        self.seniority() > other.seniority()
    }

    /// Whether someone of this role may create an account of `wanted`, and why not.
    pub fn check_create(self, wanted: Role) -> Result<(), CreateRefused> {
        if wanted == Role::Member {
            return Err(CreateRefused::MemberByInvitation);
        }
        let allowed = match self.seniority() {
            Seniority::Admin => true,
            s => s >= Seniority::Manager && self.outranks(wanted),
        };
        if allowed {
            Ok(())
        } else {
            Err(CreateRefused::NotSenior {
                creator: self,
                wanted,
            })
        }
    }

    /// Whether someone of this role may create an account of `wanted`.
    pub fn may_create(self, wanted: Role) -> bool {
        self.check_create(wanted).is_ok()
    }

    /// Whether this role may answer and close a complaint that `owner` owns.
    pub fn may_handle_complaint_owned_by(self, owner: Role) -> bool {
        self.seniority() >= owner.seniority()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}
