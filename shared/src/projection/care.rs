//! Folding the lifelong service file (DOMAIN.md §1, §5) from events: the care events themselves,
//! and what enrollments, added vehicles and settled orders tell about the vehicles.
//!
//! A `purchase` enrollment's vehicle was delivered on the enrollment day and an enrollment's or
//! added vehicle's model is the vehicle's, unless the facts set say otherwise: these defaults are
//! kept beside the file, so facts set later without a delivery day or model keep them. A settled
//! order is a service visit of the card's vehicle (else the member's first): `regular_service`
//! for a maintenance order, `accident` with an accident-repair line, `insurance_claim` with an
//! insurance line, else `repair`; its odometer reading is a reading unless it would run the
//! odometer backwards (the order itself is never refused for it).
//!
//! Refused, as rejections with no effect: a care event about a vehicle not on the member's file,
//! a reading or visit dated after the event was recorded (or a birthday or delivery after it),
//! and a reading that runs the odometer backwards.

use time::Date;

use crate::care::file::mileage_fits;
use crate::care::{Inspection, MileageReading, ServiceVisit, VehicleCare, VisitKind};
use crate::events::{Category, Channel, Event, EventBody, Order, Vehicle};
use crate::types::*;

use super::apply::Engine;
use super::{Rejection, Status};

impl Engine<'_> {
    /// The enrollment's or added vehicle on the service file (once), with its plate and the
    /// defaults of its model and delivery.
    pub(super) fn care_vehicle(&mut self, vehicle: &Vehicle, delivered: Option<Date>) {
        let defaults = self.care_defaults.entry(vehicle.vin.clone()).or_default();
        if defaults.0.is_none() {
            defaults.0 = vehicle.model.clone();
        }
        if defaults.1.is_none() {
            defaults.1 = delivered;
        }
        let (model, delivered) = defaults.clone();
        let v = match self.care.vehicles.iter().position(|v| v.vin == vehicle.vin) {
            Some(i) => &mut self.care.vehicles[i],
            None => {
                self.care
                    .vehicles
                    .push(VehicleCare::new(vehicle.vin.clone()));
                let last = self.care.vehicles.len() - 1;
                &mut self.care.vehicles[last]
            }
        };
        v.plate = Some(vehicle.plate.clone());
        if v.facts.model.is_none() {
            v.facts.model = model;
        }
        if v.facts.delivered.is_none() {
            v.facts.delivered = delivered;
        }
    }

    /// Whether the enrollment delivered its vehicle (a car bought here).
    pub(super) fn delivered_by(channel: &Channel, day: Date) -> Option<Date> {
        matches!(channel, Channel::Purchase).then_some(day)
    }

    /// A settled order as a service visit, and its odometer as a reading.
    pub(super) fn care_order(&mut self, e: &Event, order: &Order, day: Date, paid: Money) {
        let by_card = order.card.as_ref().and_then(|n| {
            self.cards
                .iter()
                .find(|c| &c.number == n)
                .and_then(|c| c.vin.clone())
        });
        let Some(i) = by_card
            .and_then(|vin| self.care.vehicles.iter().position(|v| v.vin == vin))
            .or((!self.care.vehicles.is_empty()).then_some(0))
        else {
            return;
        };
        let has = |c: Category| order.lines.iter().any(|l| l.category == c);
        let kind = if order.maintenance {
            VisitKind::RegularService
        } else if has(Category::AccidentRepair) {
            VisitKind::Accident
        } else if has(Category::Insurance) {
            VisitKind::InsuranceClaim
        } else {
            VisitKind::Repair
        };
        let v = &mut self.care.vehicles[i];
        if let Some(km) = order.mileage_km
            && mileage_fits(&v.readings, day, km)
        {
            add_reading(v, day, km);
        }
        add_visit(
            v,
            ServiceVisit {
                id: e.id,
                vin: v.vin.clone(),
                on: day,
                km: order.mileage_km,
                kind,
                amount: paid,
                advisor: None,
                elsewhere: None,
            },
        );
    }

    /// The care events: facts, readings, service visits, pre-inspections.
    pub(super) fn care_event(&mut self, e: &Event) -> Result<(), Rejection> {
        if self.status == Status::NotMember {
            return Err(Rejection::NotAMember);
        }
        let recorded = e.at.date();
        match &e.body {
            EventBody::PersonFactsSet { facts, .. } => {
                if facts.birthday.is_some_and(|b| b > recorded) {
                    return Err(Rejection::DatedInFuture);
                }
                self.care.person = facts.clone();
            }
            EventBody::VehicleFactsSet { vin, facts, .. } => {
                if facts.delivered.is_some_and(|d| d > recorded) {
                    return Err(Rejection::DatedInFuture);
                }
                let (model, delivered) = self.care_defaults.get(vin).cloned().unwrap_or_default();
                let v = self.care_vehicle_mut(vin)?;
                v.facts = facts.clone();
                if v.facts.model.is_none() {
                    v.facts.model = model;
                }
                if v.facts.delivered.is_none() {
                    v.facts.delivered = delivered;
                }
            }
            EventBody::PreInspectionRecorded(p) => {
                let v = self.care_vehicle_mut(&p.vin)?;
                let inspection = Inspection {
                    id: e.id,
                    on: recorded,
                    by: e.author,
                    visit: p.visit,
                    checks: p.checks.clone(),
                    recommended: p.recommended.clone(),
                };
                let at = v
                    .inspections
                    .partition_point(|x| (x.on, x.id) <= (inspection.on, inspection.id));
                v.inspections.insert(at, inspection);
            }
            EventBody::MileageRecorded { vin, on, km, .. } => {
                if *on > recorded {
                    return Err(Rejection::DatedInFuture);
                }
                let v = self.care_vehicle_mut(vin)?;
                if !mileage_fits(&v.readings, *on, *km) {
                    return Err(Rejection::MileageDecreased);
                }
                add_reading(v, *on, *km);
            }
            EventBody::ServiceVisitRecorded {
                vin,
                on,
                km,
                kind,
                amount,
                advisor,
                elsewhere,
                ..
            } => {
                if *on > recorded {
                    return Err(Rejection::DatedInFuture);
                }
                let v = self.care_vehicle_mut(vin)?;
                if let Some(km) = km {
                    if !mileage_fits(&v.readings, *on, *km) {
                        return Err(Rejection::MileageDecreased);
                    }
                    add_reading(v, *on, *km);
                }
                add_visit(
                    v,
                    ServiceVisit {
                        id: e.id,
                        vin: vin.clone(),
                        on: *on,
                        km: *km,
                        kind: *kind,
                        amount: *amount,
                        advisor: *advisor,
                        elsewhere: elsewhere.clone(),
                    },
                );
            }
            _ => {}
        }
        Ok(())
    }

    fn care_vehicle_mut(&mut self, vin: &Vin) -> Result<&mut VehicleCare, Rejection> {
        self.care
            .vehicles
            .iter_mut()
            .find(|v| &v.vin == vin)
            .ok_or(Rejection::UnknownVehicle)
    }
}

fn add_reading(v: &mut VehicleCare, on: Date, km: u32) {
    let reading = MileageReading { on, km };
    if let Err(at) = v.readings.binary_search(&reading) {
        v.readings.insert(at, reading);
    }
}

fn add_visit(v: &mut VehicleCare, visit: ServiceVisit) {
    let at = v
        .visits
        .partition_point(|x| (x.on, x.id) <= (visit.on, visit.id));
    v.visits.insert(at, visit);
}
