//! The import's errors as responses.

use super::{ApiError, Code, Detail};
use crate::domain::import::ImportError;

impl From<ImportError> for ApiError {
    fn from(e: ImportError) -> Self {
        let en = e.to_string();
        match e {
            ImportError::Denied(d) => d.into(),
            ImportError::Store(s) => s.into(),
            ImportError::NoFiles => ApiError::BadRequest(Detail::new(
                Code::InvalidValue,
                en,
                "没有提供文件：请提供客户、车辆或进厂记录文件",
            )),
            ImportError::Read(r) => ApiError::Unprocessable(Detail::new(
                Code::ImportFileUnreadable,
                en,
                r.describe_zh(),
            )),
        }
    }
}
