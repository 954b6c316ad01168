//! Builders for test scripts: one member's events, written the way staff would record them.
#![allow(dead_code)]

/// Fails a table case with a message unless the condition holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

pub mod table;

use carclub_shared::events::*;
use carclub_shared::program::Program;
use carclub_shared::projection::{MemberState, project};
use carclub_shared::*;
use time::Date;

/// A day written as `YYYY-MM-DD`.
pub fn day(text: &str) -> Date {
    Timestamp::parse(text).unwrap().date()
}

/// A valid VIN numbered `n` (0..100).
pub fn vin(n: u32) -> Vin {
    Vin::parse(&format!("LSVAU2180N21832{n:02}")).unwrap()
}

/// A mobile number numbered `n`.
pub fn phone(n: u32) -> Phone {
    Phone::parse(&format!("1380013{n:04}")).unwrap()
}

pub fn card(text: &str) -> CardNo {
    CardNo::parse(text).unwrap()
}

pub fn receipt(text: &str) -> ReceiptNo {
    ReceiptNo::parse(text).unwrap()
}

pub fn tier(text: &str) -> TierId {
    TierId::parse(text).unwrap()
}

pub fn benefit(text: &str) -> BenefitId {
    BenefitId::parse(text).unwrap()
}

pub fn yuan(y: i64) -> Money {
    Money::from_yuan(y)
}

/// One member's events, recorded on one device in sequence.
pub struct Member {
    pub id: MemberId,
    pub events: Vec<Event>,
    pub card: CardNo,
    device: DeviceId,
    seq: u64,
    next_id: u128,
}

impl Member {
    /// Member number `n`, with card `C0000000n`.
    pub fn new(n: u128) -> Self {
        Self {
            id: MemberId(uuid::Uuid::from_u128(n)),
            events: Vec::new(),
            card: card(&format!("C{n:08}")),
            device: DeviceId(uuid::Uuid::from_u128(1000 + n)),
            seq: 0,
            next_id: n << 32,
        }
    }

    /// Records an event at 10:00 on `day`.
    pub fn push(&mut self, on: &str, body: EventBody) -> EventId {
        self.seq += 1;
        self.next_id += 1;
        let id = EventId(uuid::Uuid::from_u128(self.next_id));
        self.events.push(Event {
            id,
            at: Timestamp::parse(&format!("{on}T10:00:00+08:00")).unwrap(),
            device: self.device,
            seq: self.seq,
            author: UserId(uuid::Uuid::from_u128(7)),
            body,
        });
        id
    }

    /// Enrolls with the member's card and vehicle 0.
    pub fn enroll(&mut self, on: &str, tier_id: &str, channel: Channel, fee_yuan: i64) -> EventId {
        let fee = yuan(fee_yuan);
        let body = EventBody::Enrolled(Enrollment {
            member: self.id,
            person: Person {
                name: PersonName::parse("张三").unwrap(),
                phone: phone(1),
                id_number: None,
            },
            vehicle: Vehicle {
                vin: vin(self.id.0.as_u128() as u32 % 100),
                plate: Plate::parse("粤B12345").unwrap(),
                model: None,
            },
            tier: tier(tier_id),
            channel,
            documents_seen: vec![DocumentKind::IdCard, DocumentKind::VehicleLicence],
            visit: None,
            fee,
            receipt: (fee > Money::ZERO).then(|| receipt(&format!("F-{}-{on}", self.seq + 1))),
            card: self.card.clone(),
        });
        self.push(on, body)
    }

    /// Enrolls at the desk for the fee and is approved the same day.
    pub fn join(&mut self, on: &str, tier_id: &str, fee_yuan: i64) {
        self.enroll(on, tier_id, Channel::Desk, fee_yuan);
        self.approve(on);
    }

    pub fn approve(&mut self, on: &str) -> EventId {
        let member = self.id;
        self.push(on, EventBody::EnrollmentApproved { member })
    }

    /// Settles an order with the member's card, its lines in whole yuan.
    pub fn order(&mut self, on: &str, lines: &[(Category, i64)]) -> EventId {
        let order = Order {
            lines: lines
                .iter()
                .map(|(category, y)| OrderLine {
                    category: *category,
                    amount: yuan(*y),
                })
                .collect(),
            card: Some(self.card.clone()),
            ..Order::default()
        };
        self.settle(on, order)
    }

    pub fn settle(&mut self, on: &str, order: Order) -> EventId {
        let member = self.id;
        self.push(on, EventBody::OrderSettled { member, order })
    }

    /// A maintenance visit at a mileage.
    pub fn maintenance(&mut self, on: &str, km: u32) -> EventId {
        let order = Order {
            lines: vec![OrderLine {
                category: Category::Parts,
                amount: yuan(300),
            }],
            card: Some(self.card.clone()),
            maintenance: true,
            mileage_km: Some(km),
            ..Order::default()
        };
        self.settle(on, order)
    }

    /// A referral of prospect `n`, recorded and converted the same day.
    pub fn refer(&mut self, on: &str, n: u32) {
        let member = self.id;
        self.push(
            on,
            EventBody::ReferralRecorded {
                member,
                prospect: phone(100 + n),
                name: None,
            },
        );
        self.push(
            on,
            EventBody::ReferralConverted {
                member,
                prospect: phone(100 + n),
            },
        );
    }

    pub fn attend(&mut self, on: &str) -> EventId {
        let member = self.id;
        self.push(
            on,
            EventBody::EventAttended {
                member,
                activity: None,
            },
        )
    }

    pub fn grant_points(&mut self, on: &str, points: u64) -> EventId {
        let member = self.id;
        self.push(
            on,
            EventBody::ManualGrant {
                member,
                tier: None,
                points: Some(Points::new(points)),
                reason: ShortText::parse("test").unwrap(),
            },
        )
    }

    pub fn grant_tier(&mut self, on: &str, tier_id: &str) -> EventId {
        let member = self.id;
        self.push(
            on,
            EventBody::ManualGrant {
                member,
                tier: Some(tier(tier_id)),
                points: None,
                reason: ShortText::parse("special contribution").unwrap(),
            },
        )
    }

    pub fn use_benefit(&mut self, on: &str, id: &str, value_yuan: i64) -> EventId {
        let member = self.id;
        self.push(
            on,
            EventBody::BenefitUsed {
                member,
                benefit: benefit(id),
                count: 1,
                value: yuan(value_yuan),
            },
        )
    }

    pub fn redeem(&mut self, on: &str, points: u64) -> EventId {
        let member = self.id;
        self.push(
            on,
            EventBody::PointsRedeemed {
                member,
                points: Points::new(points),
                item: None,
            },
        )
    }

    pub fn renew(&mut self, on: &str, fee_yuan: i64) -> EventId {
        let member = self.id;
        let fee = yuan(fee_yuan);
        let receipt = (fee > Money::ZERO).then(|| receipt(&format!("RN-{on}")));
        self.push(
            on,
            EventBody::Renewed {
                member,
                fee,
                receipt,
            },
        )
    }

    pub fn project(&self, program: &Program, on: &str) -> MemberState {
        project(program, &self.events, day(on))
    }
}

/// Preset by name.
pub fn preset(name: &str) -> Program {
    Program::preset(name).unwrap()
}
