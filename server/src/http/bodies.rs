//! Every JSON body the API takes, decoded as its handler decodes it, by one name.
//!
//! The fuzzing target `api_body` (fuzz/) and the regression test of the inputs it found
//! (tests/fuzz-regressions/api_body/) feed arbitrary bytes through [`decode`]: whatever arrives,
//! the answer is the body or an error, never a panic. A test checks that the list names the
//! schema of every request body in the API's description, so a new endpoint cannot be left out.

use carclub_shared::MemberId;
use serde::de::DeserializeOwned;

use super::{accounts, cards, cardstock, care, club, conflicts, imports, kpi, ops, session};
use crate::domain;

/// One kind of body: its schema's name in the API description, and its decoder.
pub struct Body {
    pub name: &'static str,
    pub decode: fn(&[u8]) -> Result<(), String>,
}

fn json<T: DeserializeOwned>(body: &[u8]) -> Result<(), String> {
    serde_json::from_slice::<T>(body)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// `POST /api/members/{id}/operations`: any JSON value, then read as an operation.
fn operation(body: &[u8]) -> Result<(), String> {
    let value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    ops::operation_of(value, MemberId::from_bytes([0; 16]))
        .map(drop)
        .map_err(|e| format!("{e:?}"))
}

macro_rules! bodies {
    ($($name:literal => $decode:expr,)*) => {
        /// Every request body, in a fixed order (the fuzzing target picks one by its first byte).
        pub const BODIES: &[Body] = &[$(Body { name: $name, decode: $decode },)*];
    };
}

bodies! {
    "LoginRequest" => json::<session::LoginRequest>,
    "DeviceRequest" => json::<session::DeviceRequest>,
    "NewStore" => json::<accounts::NewStore>,
    "NewUserRequest" => json::<accounts::NewUserRequest>,
    "Signup" => json::<accounts::Signup>,
    "AssignmentForm" => json::<domain::accounts::AssignmentForm>,
    "CheckOut" => json::<cards::CheckOut>,
    "LendRequest" => json::<cardstock::LendRequest>,
    "WriteOffRequest" => json::<cardstock::WriteOffRequest>,
    "ResolveRequest" => json::<conflicts::ResolveRequest>,
    "QuoteRequest" => json::<ops::QuoteRequest>,
    "OperationRequest" => operation,
    "NewPartner" => json::<domain::partners::NewPartner>,
    "NewAgreement" => json::<domain::partners::NewAgreement>,
    "NewEventBody" => json::<club::events::NewEventBody>,
    "RsvpBody" => json::<club::events::RsvpBody>,
    "AttendBody" => json::<club::events::AttendBody>,
    "SatisfactionBody" => json::<club::events::satisfaction::SatisfactionBody>,
    "NewComplaintBody" => json::<club::complaints::NewComplaintBody>,
    "EscalateBody" => json::<club::complaints::EscalateBody>,
    "AnswerBody" => json::<club::complaints::AnswerBody>,
    "CloseBody" => json::<club::complaints::CloseBody>,
    "NewAppointmentBody" => json::<care::appointments::NewAppointmentBody>,
    "ScriptBody" => json::<care::manage::ScriptBody>,
    "NewCampaignBody" => json::<care::manage::NewCampaignBody>,
    "RunBody" => json::<care::manage::RunBody>,
    "MileageBody" => json::<care::file::MileageBody>,
    "ServiceVisitBody" => json::<care::file::ServiceVisitBody>,
    "PersonFacts" => json::<carclub_shared::care::file::PersonFacts>,
    "VehicleFacts" => json::<carclub_shared::care::file::VehicleFacts>,
    "AssignBody" => json::<care::tasks::AssignBody>,
    "CallBody" => json::<care::tasks::CallBody>,
    "ComputeBody" => json::<kpi::ComputeBody>,
    "ImportRequest" => json::<imports::ImportRequest>,
}

/// Decodes `body` as the kind of body `kind` picks (any byte picks one).
pub fn decode(kind: u8, body: &[u8]) -> Result<(), String> {
    let chosen = &BODIES[usize::from(kind) % BODIES.len()];
    (chosen.decode)(body).map_err(|e| format!("{}: {e}", chosen.name))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use utoipa::openapi::{RefOr, Schema};

    use super::BODIES;

    /// The schema name of every JSON request body in the API description.
    fn described() -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        for item in super::super::description().paths.paths.values() {
            let ops = [&item.get, &item.put, &item.post, &item.delete, &item.patch];
            for op in ops.into_iter().flatten() {
                let Some(RefOr::T(body)) = &op.request_body else {
                    continue;
                };
                for content in body.content.values() {
                    let RefOr::T(content) = content else {
                        names.insert(format!(
                            "a body by reference in {}",
                            op.operation_id.clone().unwrap_or_default()
                        ));
                        continue;
                    };
                    match &content.schema {
                        Some(RefOr::Ref(r)) => {
                            names.insert(r.ref_location.rsplit('/').next().unwrap_or("").into());
                        }
                        Some(RefOr::T(Schema::Object(o))) if o.title.is_some() => {
                            names.insert(o.title.clone().unwrap_or_default());
                        }
                        _ => {
                            names.insert(format!(
                                "an inline body in {}",
                                op.operation_id.clone().unwrap_or_default()
                            ));
                        }
                    }
                }
            }
        }
        names
    }

    #[test]
    fn every_request_body_of_the_api_is_listed() {
        let listed: BTreeSet<String> = BODIES.iter().map(|b| b.name.to_owned()).collect();
        let missing: Vec<_> = described().difference(&listed).cloned().collect();
        assert!(
            missing.is_empty(),
            "request bodies not listed in http::bodies: {missing:?}"
        );
        let unknown: Vec<_> = listed.difference(&described()).cloned().collect();
        assert!(
            unknown.is_empty(),
            "listed but taken by no endpoint: {unknown:?}"
        );
    }

    /// Inputs the fuzzing target `api_body` failed on once, and hostile bodies, kept in
    /// `tests/fuzz-regressions/api_body/` (first byte: the kind): each is an error, never a panic.
    #[test]
    fn kept_bodies_are_errors() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fuzz-regressions/api_body");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("the kept inputs") {
            let path = entry.expect("an entry").path();
            let data = std::fs::read(&path).expect("an input");
            let (&kind, body) = data.split_first().expect("a kind byte");
            let decoded = std::panic::catch_unwind(|| super::decode(kind, body));
            match decoded {
                Ok(Err(_)) => seen += 1,
                Ok(Ok(())) => panic!("{}: decoded", path.display()),
                Err(_) => panic!("{}: decoding panicked", path.display()),
            }
        }
        assert!(seen > 0, "no inputs in {}", dir.display());
    }

    #[test]
    fn a_body_decodes_or_is_an_error() {
        assert!(super::decode(0, br#"{"username":"a","password":"b"}"#).is_ok());
        for kind in 0..BODIES.len() as u8 {
            assert!(super::decode(kind, b"{").is_err());
        }
    }
}
