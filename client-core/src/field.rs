//! The rest of the field visit (DOMAIN.md §2, §4, §6), offline: finding a member in the device's
//! directory (by name, phone or card), a member's vehicles and benefits left as the device knows
//! them, the on-site pre-inspection of a vehicle, and a benefit used on site.
//!
//! Benefits left are the server's count in the member file less this device's own uses the server
//! has not answered yet. Two devices offline may each use what is left; the server keeps both and
//! raises the overuse as a conflict for the back office, as it does for points.

use automerge::ROOT;
use carclub_protocol::DocumentId;
use carclub_protocol::docs::{Allowance, VehicleEntry};
use carclub_shared::care::{Checklist, InspectionCheck, PreInspection};
use carclub_shared::program::Program;
use carclub_shared::{BenefitId, CardNo, EventBody, MemberId, Money, Plate, ShortText, Vin};
use serde::{Deserialize, Serialize};

use crate::device::Device;
use crate::error::ClientError;
use crate::view::MemberView;

/// A benefit of the member's tier as the device knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BenefitLeft {
    pub id: String,
    pub name: String,
    /// `allowance`, `discount`, `free_km` or `service`.
    pub kind: String,
    /// Whether the member may use it today, as the server last said.
    pub available: bool,
    /// For counted allowances: the times left this membership year, less this device's uses the
    /// server has not answered yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u32>,
    /// This device's uses still pending.
    pub pending: u32,
}

/// A member as the field visit needs them: who, their vehicles and benefits.
#[derive(Debug, Clone, Serialize)]
pub struct MemberDetail {
    #[serde(flatten)]
    pub member: MemberView,
    pub vehicles: Vec<VehicleEntry>,
    pub benefits: Vec<BenefitLeft>,
    /// The pre-inspections this device recorded for the member.
    pub inspections: usize,
}

/// What a person fills in for a pre-inspection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InspectInput {
    pub member: String,
    pub vin: String,
    pub checks: Vec<InspectionCheck>,
    #[serde(default)]
    pub recommended: Option<String>,
}

/// What a person fills in for a benefit used on site.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenefitInput {
    pub member: String,
    pub benefit: String,
    #[serde(default = "one")]
    pub count: u32,
    /// The value of the service given, in fen.
    pub value_fen: i64,
}

fn one() -> u32 {
    1
}

fn invalid(field: &'static str, reason: impl Into<String>) -> ClientError {
    ClientError::Invalid {
        field,
        reason: reason.into(),
    }
}

impl Device {
    /// Members of the directory whose name, phone or card number contains `query` (digits of a
    /// phone or card compared without spaces; letters without case), at most `limit`.
    pub fn find_members(&self, query: &str, limit: usize) -> Vec<MemberView> {
        let q: String = query
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect();
        if q.is_empty() {
            return Vec::new();
        }
        crate::view::members(self)
            .into_iter()
            .filter(|m| {
                m.name.to_lowercase().replace(' ', "").contains(&q)
                    || m.card.to_lowercase().contains(&q)
                    || m.plate.to_lowercase().contains(&q)
                    || m.phone.as_deref().is_some_and(|p| p.contains(&q))
            })
            .take(limit)
            .collect()
    }

    /// `find_members` as JSON.
    pub fn find_members_json(&self, query: &str, limit: usize) -> String {
        serde_json::to_string(&self.find_members(query, limit)).unwrap_or_else(|_| "[]".into())
    }

    /// The member file the server sent for `member`, if this device holds it.
    fn member_file(&self, member: MemberId) -> Option<&automerge::Automerge> {
        let id: DocumentId = carclub_protocol::docs::member_id(member);
        self.docs.get(&id)
    }

    /// What is left of the member's benefits as the server last sent it.
    fn allowances(&self, member: MemberId) -> Option<Vec<Allowance>> {
        let doc = self.member_file(member)?;
        carclub_protocol::json_am::read_prop(doc, &ROOT, "allowances")
            .and_then(|v| serde_json::from_value(v).ok())
    }

    /// This device's uses of `benefit` for `member` the server has not answered.
    fn pending_uses(&self, member: MemberId, benefit: &BenefitId) -> u32 {
        let status = self.status();
        self.journal()
            .iter()
            .filter(|e| !status.events.contains_key(&e.id.to_string()))
            .filter_map(|e| match &e.body {
                EventBody::BenefitUsed {
                    member: m,
                    benefit: b,
                    count,
                    ..
                } if *m == member && b == benefit => Some(*count),
                _ => None,
            })
            .sum()
    }

    /// The member's vehicles and benefits as this device knows them (`None`: not in the
    /// directory).
    pub fn member_detail(&self, member: &str) -> Option<MemberDetail> {
        let view = crate::view::members(self)
            .into_iter()
            .find(|m| m.id == member)?;
        let id: MemberId = member.parse().ok()?;
        let vehicles: Vec<VehicleEntry> = self
            .member_file(id)
            .and_then(|doc| carclub_protocol::json_am::read_prop(doc, &ROOT, "vehicles"))
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_else(|| {
                // Enrolled on this device and not synced yet: the enrollment's vehicle.
                match (
                    Vin::parse(&view.vin),
                    Plate::parse(&view.plate),
                    CardNo::parse(&view.card),
                ) {
                    (Ok(vin), Ok(plate), Ok(card)) => vec![VehicleEntry { vin, plate, card }],
                    _ => Vec::new(),
                }
            });
        // Names and kinds come from the store's program, which the device holds; what is left
        // of each, from the member file.
        let program = self
            .reg
            .as_ref()
            .and_then(|r| Program::preset(&r.store.program));
        let benefits = self
            .allowances(id)
            .unwrap_or_default()
            .into_iter()
            .map(|a| {
                let benefit = BenefitId::parse(&a.benefit).ok();
                let known = program.as_ref().zip(benefit.as_ref()).and_then(|(p, b)| {
                    let tier = p.tiers.iter().find(|t| t.id.as_str() == view.tier);
                    tier.and_then(|t| t.benefit(b))
                        .or_else(|| p.tiers.iter().find_map(|t| t.benefit(b)))
                });
                let pending = benefit.as_ref().map_or(0, |b| self.pending_uses(id, b));
                BenefitLeft {
                    name: known.map_or_else(|| a.benefit.clone(), |b| b.name().to_owned()),
                    kind: known.map(|b| b.kind().to_owned()).unwrap_or_default(),
                    id: a.benefit,
                    available: a.available,
                    remaining: a.remaining.map(|r| r.saturating_sub(pending)),
                    pending,
                }
            })
            .collect();
        let inspections = self
            .journal()
            .iter()
            .filter(|e| matches!(&e.body, EventBody::PreInspectionRecorded(p) if p.member == id))
            .count();
        Some(MemberDetail {
            member: view,
            vehicles,
            benefits,
            inspections,
        })
    }

    /// `member_detail` as JSON (`null` for a member the device does not know).
    pub fn member_detail_json(&self, member: &str) -> String {
        serde_json::to_string(&self.member_detail(member)).unwrap_or_else(|_| "null".into())
    }

    fn known_member(&self, member: &str) -> Result<(MemberId, MemberDetail), ClientError> {
        let id: MemberId = member
            .trim()
            .parse()
            .map_err(|e: carclub_shared::ParseError| invalid("member", e.to_string()))?;
        let detail = self
            .member_detail(&id.to_string())
            .ok_or_else(|| invalid("member", format!("{id} is not a member this device knows")))?;
        Ok((id, detail))
    }

    /// Records the pre-inspection of one of a member's vehicles, during the visit in progress
    /// if any; returns the event's id.
    pub fn pre_inspect(&mut self, input: InspectInput, now_ms: i64) -> Result<String, ClientError> {
        let (member, detail) = self.known_member(&input.member)?;
        let vin = Vin::parse(input.vin.trim()).map_err(|e| invalid("vin", e.to_string()))?;
        if !detail.vehicles.iter().any(|v| v.vin == vin) {
            return Err(invalid(
                "vin",
                format!("{vin} is not a vehicle of {}", detail.member.name),
            ));
        }
        let checks = Checklist::try_from(input.checks).map_err(|e| invalid("checks", e))?;
        let recommended = match input.recommended.as_deref().map(str::trim) {
            Some(r) if !r.is_empty() => {
                Some(ShortText::parse(r).map_err(|e| invalid("recommended", e.to_string()))?)
            }
            _ => None,
        };
        let visit = self.current_visit().map(|v| v.id);
        let event = self.record(
            EventBody::PreInspectionRecorded(PreInspection {
                member,
                vin,
                visit,
                checks,
                recommended,
            }),
            now_ms,
        )?;
        Ok(event.id.to_string())
    }

    /// `pre_inspect` from JSON.
    pub fn pre_inspect_json(
        &mut self,
        input_json: &str,
        now_ms: i64,
    ) -> Result<String, ClientError> {
        let input: InspectInput = crate::device::read_json(input_json)
            .map_err(|e| invalid("inspection", e.to_string()))?;
        self.pre_inspect(input, now_ms)
    }

    /// Records a benefit used on site against what this device knows is left; returns the
    /// event's id. What another device used meanwhile is the server's to find (a conflict).
    pub fn use_benefit(&mut self, input: BenefitInput, now_ms: i64) -> Result<String, ClientError> {
        let (member, detail) = self.known_member(&input.member)?;
        let benefit = BenefitId::parse(input.benefit.trim())
            .map_err(|e| invalid("benefit", e.to_string()))?;
        let left = detail
            .benefits
            .iter()
            .find(|b| b.id == benefit.as_str())
            .ok_or_else(|| {
                invalid(
                    "benefit",
                    format!(
                        "{} has no benefit {benefit} this device knows of",
                        detail.member.name
                    ),
                )
            })?;
        if !left.available {
            return Err(invalid(
                "benefit",
                format!("{} cannot use {} today", detail.member.name, left.name),
            ));
        }
        if input.count == 0 {
            return Err(invalid("count", "use it at least once"));
        }
        if let Some(remaining) = left.remaining
            && input.count > remaining
        {
            return Err(invalid(
                "count",
                format!(
                    "{} has {remaining} of {} left this year",
                    detail.member.name, left.name
                ),
            ));
        }
        if input.value_fen < 0 {
            return Err(invalid("value", "the value cannot be negative"));
        }
        let event = self.record(
            EventBody::BenefitUsed {
                member,
                benefit,
                count: input.count,
                value: Money::from_fen(input.value_fen),
            },
            now_ms,
        )?;
        Ok(event.id.to_string())
    }

    /// `use_benefit` from JSON.
    pub fn use_benefit_json(
        &mut self,
        input_json: &str,
        now_ms: i64,
    ) -> Result<String, ClientError> {
        let input: BenefitInput =
            crate::device::read_json(input_json).map_err(|e| invalid("benefit", e.to_string()))?;
        self.use_benefit(input, now_ms)
    }
}
