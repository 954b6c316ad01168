//! The shape of a request as responses: a route or method the server does not have, a path, query
//! or body it cannot read. The English is what axum and serde say; the Chinese says the same from
//! the parts (field, position, value) wherever they can be read.

use axum::extract::path::ErrorKind;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use carclub_shared::ParseError;

use super::{ApiError, Code, Detail, Problem};
use crate::domain::BadId;

/// The answer to a path no route takes.
pub async fn not_found(uri: Uri) -> Problem {
    let path = uri.path();
    Problem::new(
        StatusCode::NOT_FOUND,
        Detail::new(
            Code::NotFound,
            format!("there is no {path} on this server; the API is described at /api/docs"),
            format!("服务器上没有 {path}；接口说明见 /api/docs"),
        ),
    )
}

/// The answer to a method a route does not take.
pub async fn method_not_allowed(method: Method, uri: Uri) -> Problem {
    let path = uri.path();
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        Detail::new(
            Code::MethodNotAllowed,
            format!("{path} does not take {method}; the API is described at /api/docs"),
            format!("{path} 不支持 {method} 请求；接口说明见 /api/docs"),
        ),
    )
}

/// The answer to a request on the sync endpoint that is not a WebSocket upgrade.
pub fn websocket_refused(r: WebSocketUpgradeRejection) -> Response {
    Problem::new(
        r.status(),
        Detail::new(
            Code::NotAWebsocket,
            format!("sync is a WebSocket: {}", r.body_text()),
            "同步接口只接受 WebSocket 连接（GET 请求，带 Upgrade: websocket）",
        ),
    )
    .into_response()
}

/// The first error of type `T` in the cause chain of `e`.
fn find<'a, T: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut next = Some(e);
    while let Some(cur) = next {
        if let Some(found) = cur.downcast_ref::<T>() {
            return Some(found);
        }
        next = cur.source();
    }
    None
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        // A body that is not JSON, or not the JSON the operation takes, is a malformed request
        // (400) whatever axum would call it; only a body over the limit is 413.
        let en = r.body_text();
        match &r {
            JsonRejection::JsonDataError(e) => {
                let found = find::<serde_path_to_error::Error<serde_json::Error>>(e);
                let (path, message, at) = match found {
                    Some(e) => (
                        e.path().to_string(),
                        e.inner().to_string(),
                        position(e.inner()),
                    ),
                    None => (String::new(), en.clone(), String::new()),
                };
                let (code, said) = value_zh(strip_position(&message));
                let zh = if path.is_empty() || path == "." {
                    format!("请求正文{at}：{said}")
                } else {
                    format!("请求正文的字段 {path}{at}：{said}")
                };
                ApiError::BadRequest(Detail::new(code, en, zh))
            }
            JsonRejection::JsonSyntaxError(e) => {
                let at = find::<serde_path_to_error::Error<serde_json::Error>>(e)
                    .map(|e| position(e.inner()))
                    .or_else(|| find::<serde_json::Error>(e).map(position))
                    .unwrap_or_default();
                ApiError::BadRequest(Detail::new(
                    Code::MalformedBody,
                    en,
                    format!("请求正文不是有效的 JSON{at}"),
                ))
            }
            JsonRejection::MissingJsonContentType(_) => ApiError::BadRequest(Detail::new(
                Code::ExpectedJson,
                "send the body as JSON (Content-Type: application/json)",
                "请以 JSON 格式发送请求正文（Content-Type: application/json）",
            )),
            _ if r.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large(),
            _ => ApiError::BadRequest(Detail::new(Code::MalformedBody, en, "无法读取请求正文")),
        }
    }
}

/// A body over the limit.
fn too_large() -> ApiError {
    ApiError::PayloadTooLarge(Detail::new(
        Code::BodyTooLarge,
        "the request body is too large",
        format!(
            "请求正文太大（最多 {} KB）",
            crate::http::MAX_BODY_BYTES / 1024
        ),
    ))
}

/// Where in the body a JSON error is, in Chinese (empty when not known).
fn position(e: &serde_json::Error) -> String {
    if e.line() == 0 {
        String::new()
    } else {
        format!("（第 {} 行第 {} 列）", e.line(), e.column())
    }
}

/// A serde_json message without the position it ends with.
fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(i) if message[i..].contains(" column ") => &message[..i],
        _ => message,
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        let en = r.body_text();
        let zh = match &r {
            PathRejection::FailedToDeserializePathParams(e) => match e.kind() {
                ErrorKind::ParseErrorAtKey { key, value, .. }
                | ErrorKind::DeserializeError { key, value, .. } => {
                    format!("路径中的 {key}（“{value}”）无效：{}", reason_zh(e.kind()))
                }
                ErrorKind::ParseErrorAtIndex { value, .. }
                | ErrorKind::ParseError { value, .. } => {
                    format!("路径中的“{value}”无效：{}", reason_zh(e.kind()))
                }
                ErrorKind::InvalidUtf8InPathParam { key } => {
                    format!("路径中的 {key} 不是有效的 UTF-8 文字")
                }
                _ => "路径无效".into(),
            },
            _ => "路径无效".into(),
        };
        ApiError::BadRequest(Detail::new(Code::InvalidPath, en, zh))
    }
}

/// Why a path parameter could not be read, in Chinese.
fn reason_zh(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::DeserializeError { message, .. } => value_zh(message).1,
        ErrorKind::ParseErrorAtKey { expected_type, .. }
        | ErrorKind::ParseErrorAtIndex { expected_type, .. }
        | ErrorKind::ParseError { expected_type, .. } => {
            format!("应为{}", expected_zh(expected_type))
        }
        _ => "格式不对".into(),
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        let en = r.body_text();
        // "Failed to deserialize query string: limit: invalid digit found in string"
        let said = en.split_once(": ").map_or(en.as_str(), |(_, s)| s);
        let (field, message) = match said.split_once(": ") {
            Some((f, m)) if !f.is_empty() && f.chars().all(|c| c.is_alphanumeric() || c == '_') => {
                (f, m)
            }
            _ => ("", said),
        };
        let (_, said) = value_zh(message);
        let zh = if field.is_empty() {
            format!("查询参数：{said}")
        } else {
            format!("查询参数 {field}：{said}")
        };
        ApiError::BadRequest(Detail::new(Code::InvalidQuery, en, zh))
    }
}

impl From<BadId> for ApiError {
    fn from(e: BadId) -> Self {
        let what = match e.what {
            "card loan" => "借卡记录",
            "club event" => "俱乐部活动",
            "complaint" => "投诉",
            "partner" => "合作商户",
            "corporate agreement" => "大客户协议",
            other => other,
        };
        let zh = format!("{what}编号 {:?} 无效（应为 UUID）", e.raw);
        ApiError::BadRequest(Detail::new(Code::InvalidId, e.to_string(), zh))
    }
}

/// A deserializer's `message` in Chinese, with its code.
pub(crate) fn value_zh(message: &str) -> (Code, String) {
    let quoted = |s: &str| -> String { s.split('`').nth(1).unwrap_or(s).to_owned() };
    let (code, said) = if let Some(rest) = message.strip_prefix("unknown field ") {
        let name = quoted(rest);
        let known = rest
            .split_once(", expected ")
            .map(|(_, list)| format!("（可用字段：{}）", list_zh(list)))
            .unwrap_or_default();
        (Code::UnknownField, format!("不接受字段 {name}{known}"))
    } else if let Some(rest) = message.strip_prefix("missing field ") {
        (Code::MissingField, format!("缺少字段 {}", quoted(rest)))
    } else if let Some(rest) = message.strip_prefix("unknown variant ") {
        let known = rest
            .split_once(", expected ")
            .map(|(_, list)| format!("（可选：{}）", list_zh(list)))
            .unwrap_or_default();
        (
            Code::InvalidValue,
            format!("“{}”不是可选的值{known}", quoted(rest)),
        )
    } else if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (got, wanted) = rest.split_once(", expected ").unwrap_or((rest, ""));
        (
            Code::InvalidValue,
            format!(
                "类型不对：应为{}，收到的是{}",
                expected_zh(wanted),
                unexpected_zh(got)
            ),
        )
    } else if let Some(rest) = message.strip_prefix("invalid value: ") {
        let (got, wanted) = rest.split_once(", expected ").unwrap_or((rest, ""));
        (
            Code::InvalidValue,
            format!(
                "取值无效：应为{}，收到的是{}",
                expected_zh(wanted),
                unexpected_zh(got)
            ),
        )
    } else if let Some(rest) = message.strip_prefix("invalid length ") {
        let (got, wanted) = rest.split_once(", expected ").unwrap_or((rest, ""));
        (
            Code::InvalidValue,
            format!("长度不对：应为{}，收到 {got} 项", expected_zh(wanted)),
        )
    } else if let Some(zh) = ParseError::message_zh(message) {
        (Code::InvalidValue, zh)
    } else if message.starts_with("UUID parsing failed") {
        (Code::InvalidValue, "不是有效的编号（UUID）".into())
    } else if message.starts_with("data did not match any variant") {
        (Code::InvalidValue, "不符合任何一种可接受的格式".into())
    } else {
        let zh = match message {
            "invalid digit found in string" => "应为整数".to_owned(),
            "cannot parse integer from empty string" => "不能为空，应为整数".to_owned(),
            "number too large to fit in target type" => "数值过大".to_owned(),
            "number too small to fit in target type" => "数值过小".to_owned(),
            "invalid float literal" => "应为数字".to_owned(),
            "provided string was not `true` or `false`" => "应为 true 或 false".to_owned(),
            other => format!("取值无效（{other}）"),
        };
        (Code::InvalidValue, zh)
    };
    (code, said)
}

/// A list of names as serde writes it ("one of `a`, `b`", "`a` or `b`"), in Chinese.
fn list_zh(list: &str) -> String {
    let list = list.strip_prefix("one of ").unwrap_or(list);
    if list == "there are no fields" {
        return "无".into();
    }
    list.replace('`', "")
        .replace(", ", "、")
        .replace(" or ", "、")
}

/// What serde says it expected ("u32", "a string", "struct Login"), in Chinese as far as known.
fn expected_zh(wanted: &str) -> String {
    let w = wanted.trim();
    let zh = match w {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "非负整数",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "整数",
        "f32" | "f64" => "数字",
        "a string" | "a borrowed string" | "string" => "字符串",
        "a boolean" | "bool" => "布尔值（true 或 false）",
        "a sequence" => "数组",
        "a map" => "对象",
        "a UUID string" => "UUID 编号",
        "" => "其他值",
        _ if w.starts_with("struct ") || w.starts_with("a map") => "对象",
        _ if w.starts_with("internally tagged enum") || w.starts_with("adjacently tagged enum") => {
            "带 \"type\" 字段的对象"
        }
        _ if w.starts_with("enum ") || w.starts_with("variant identifier") => "可选的值之一",
        _ if w.starts_with("a whole number") || w.contains("integer") => "整数",
        _ if w.contains("date") => "日期",
        _ => return format!(" {w}"),
    };
    zh.to_owned()
}

/// What serde says it got ("integer `5`", "string \"x\""), in Chinese.
fn unexpected_zh(got: &str) -> String {
    const KINDS: &[(&str, &str)] = &[
        ("boolean", "布尔值"),
        ("integer", "整数"),
        ("floating point", "小数"),
        ("character", "字符"),
        ("string", "字符串"),
        ("byte array", "字节串"),
        ("unit value", "空值"),
        ("null", "null"),
        ("sequence", "数组"),
        ("map", "对象"),
        ("Option value", "可选值"),
        ("unit variant", "枚举值"),
    ];
    for (en, zh) in KINDS {
        if let Some(rest) = got.strip_prefix(en) {
            return format!("{zh}{}", rest.replace('`', ""));
        }
    }
    format!(" {got}")
}
