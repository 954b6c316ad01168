//! What a device projects before the server has answered: the events the server accepted about
//! the member (as it keeps them, the same ones it projects from), plus the device's own events it
//! has not answered yet. An event the server refused is in neither, so the server's outcome stands
//! on the device as soon as the answer arrives; one it accepted moves from the second list to the
//! first, which changes nothing because the projection does not depend on arrival order.

use crate::events::{Event, EventBody};

/// Whether the server keeps `body` among the member's events, the ones it projects their state
/// from: an answer to an invitation changes the club event instead, a complaint goes to the
/// complaints register, and the device does not project them either.
pub fn kept_with_member(body: &EventBody) -> bool {
    !matches!(
        body,
        EventBody::InvitationAnswered { .. } | EventBody::ComplaintFiled { .. }
    )
}

/// The events a device projects: `accepted` (the server's, in any order) and those of `pending`
/// (the device's own, not yet answered) that the server would keep with the member.
pub fn optimistic<'a>(
    accepted: &[Event],
    pending: impl IntoIterator<Item = &'a Event>,
) -> Vec<Event> {
    let mut events = accepted.to_vec();
    events.extend(
        pending
            .into_iter()
            .filter(|e| kept_with_member(&e.body))
            .cloned(),
    );
    events
}
