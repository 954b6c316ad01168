//! Accounts' errors as responses.

use super::{ApiError, Code, Detail};
use crate::domain::accounts::AccountsError;
use crate::domain::auth::{AuthError, MAX_COMPANIES};

impl From<AccountsError> for ApiError {
    fn from(e: AccountsError) -> Self {
        let en = e.to_string();
        let said = |code, zh: String| Detail::new(code, en, zh);
        match e {
            AccountsError::BadText { field, max } => ApiError::BadRequest(said(
                Code::InvalidText,
                format!("{field} 须为 1 到 {max} 个字符，不能全是空白，不能含控制字符"),
            )),
            AccountsError::BadUsername => ApiError::BadRequest(said(
                Code::InvalidUsername,
                "用户名只能使用字母、数字和 '.'、'_'、'-'".into(),
            )),
            AccountsError::UnknownProgram(program) => ApiError::BadRequest(said(
                Code::UnknownProgram,
                format!("没有会员方案 {program:?}；请选择方案 A、B 或 C"),
            )),
            AccountsError::BadAssignment(why) => {
                let zh = if why.starts_with("assign at most") {
                    format!("最多分配 {MAX_COMPANIES} 家企业")
                } else {
                    "请至少分配一家企业，或分配整个门店".into()
                };
                ApiError::BadRequest(said(Code::InvalidAssignment, zh))
            }
            // Well-formed, but a member login asked of staff accounts, a scope and a list that do
            // not go together, or a code that opens nothing: rules the schema cannot state.
            AccountsError::MemberByInvitation => ApiError::Unprocessable(said(
                Code::MemberByInvitation,
                "会员账号须凭邀请码创建（POST /api/member-signup）".into(),
            )),
            AccountsError::ScopeMismatch(why) => {
                let zh = if why.starts_with("the whole store") {
                    "分配整个门店时不能再列出企业"
                } else {
                    "请列出要分配的企业"
                };
                ApiError::Unprocessable(said(Code::ScopeMismatch, zh.into()))
            }
            AccountsError::Auth(AuthError::BadInvitation) => ApiError::Unprocessable(said(
                Code::InvalidInvitation,
                "邀请码不存在、已使用或已过期；请向门店索取新的邀请码".into(),
            )),
            AccountsError::Outranked { creator, wanted } => ApiError::Forbidden(said(
                Code::Outranked,
                format!(
                    "您的角色（{}）不能创建{}账号",
                    creator.name_zh(),
                    wanted.name_zh()
                ),
            )),
            AccountsError::UnknownStore(s) => {
                ApiError::NotFound(said(Code::StoreNotFound, format!("门店 {s} 不存在")))
            }
            AccountsError::UnknownUser(u) => {
                ApiError::NotFound(said(Code::UserNotFound, format!("用户 {u} 不存在")))
            }
            AccountsError::UnknownDevice(d) => {
                ApiError::NotFound(said(Code::DeviceNotFound, format!("设备 {d} 不存在")))
            }
            AccountsError::NotOnFile(m) => {
                ApiError::NotFound(said(Code::MemberNotFound, format!("会员 {m} 不在档案中")))
            }
            AccountsError::NotFieldStaff { username, role } => ApiError::Unprocessable(said(
                Code::NotFieldStaff,
                format!(
                    "只有会员维护专员才分配企业；{username} 是{}，按角色权限查看",
                    role.name_zh()
                ),
            )),
            AccountsError::NotOurCompany { company, username } => ApiError::Unprocessable(said(
                Code::UnknownCompany,
                format!("企业 {company} 与 {username} 所在门店没有大客户协议"),
            )),
            AccountsError::Auth(a) => a.into(),
            AccountsError::Denied(d) => d.into(),
            AccountsError::Store(s) => s.into(),
        }
    }
}
