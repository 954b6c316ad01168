//! Who is asking: sessions, permissions and the audit log's errors as responses; the store's.

use super::{ApiError, Code, Detail};
use crate::domain::audit::AuditError;
use crate::domain::auth::{AuthError, Role};
use crate::domain::perm::Denied;
use crate::storage::StoreError;

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::internal(e)
    }
}

impl From<AuditError> for ApiError {
    fn from(e: AuditError) -> Self {
        match e {
            AuditError::Denied(d) => d.into(),
            AuditError::Store(s) => s.into(),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        let en = e.to_string();
        let said = |code, zh: String| Detail::new(code, en, zh);
        match e {
            AuthError::BadCredentials => {
                ApiError::Unauthorized(said(Code::BadCredentials, "用户名或密码错误".into()))
            }
            AuthError::NoSession => ApiError::Unauthorized(said(
                Code::Unauthorized,
                "登录已失效（未登录、已过期或已被注销），请重新登录".into(),
            )),
            AuthError::UsernameTaken(name) => ApiError::Conflict(said(
                Code::UsernameTaken,
                format!("用户名 {name:?} 已被占用"),
            )),
            AuthError::WeakPassword => {
                ApiError::BadRequest(said(Code::WeakPassword, "密码须为 8 到 128 个字符".into()))
            }
            AuthError::BadInvitation => ApiError::BadRequest(said(
                Code::InvalidInvitation,
                "邀请码不存在、已使用或已过期；请向门店索取新的邀请码".into(),
            )),
            AuthError::Store(s) => s.into(),
            AuthError::Hash => ApiError::internal(e),
        }
    }
}

/// An operation of the permission table (named as [`perm::MATRIX`] names it) in Chinese, as a
/// verb phrase ("审批入会"): what a refusal says may not be done; `name` itself when unknown (a
/// unit test checks every operation of the table has its phrase).
pub(super) fn op_zh(name: &str) -> &str {
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

impl From<Denied> for ApiError {
    fn from(e: Denied) -> Self {
        let en = e.to_string();
        let (code, zh) = match &e {
            Denied::Role { role, op } => {
                let role = role.parse::<Role>().map_or(*role, Role::name_zh);
                (
                    Code::Forbidden,
                    format!("您的角色（{role}）无权{}", op_zh(op)),
                )
            }
            Denied::OtherStore { op } => (
                Code::ForbiddenOtherStore,
                format!("您的角色只能在本门店{}", op_zh(op)),
            ),
            Denied::NotYours { op } => (
                Code::ForbiddenNotYours,
                format!("此操作（{}）只能针对您本人的会籍", op_zh(op)),
            ),
            Denied::OtherCompany { op } => (
                Code::ForbiddenOtherCompany,
                format!(
                    "您被分配负责本门店的部分企业，只能为这些企业的会员{}",
                    op_zh(op)
                ),
            ),
        };
        ApiError::Forbidden(Detail::new(code, en, zh))
    }
}
