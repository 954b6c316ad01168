//! The API's OpenAPI 3.1 description, derived from the handlers and their types (utoipa): routes
//! are registered with `routes!`, which puts each handler in the router and in the description at
//! once, so the two cannot drift. Served at `/api/openapi.json`, with an interactive reference at
//! `/api/docs` whose assets are compiled into the server (it works with no internet).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::error::Problem;

/// The description's fixed parts; the operations come from the routers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "carclub API",
        description = "The membership club of a car dealership group (车友汇): members, operations at the counter, card stock, complaints, club events, partners, accounts and audit. Errors are application/problem+json.",
        license(name = "MIT OR Apache-2.0")
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(Problem)),
    tags(
        (name = "session", description = "Signing in, devices"),
        (name = "members", description = "Member files, search and operations"),
        (name = "program", description = "The club program a store runs"),
        (name = "accounts", description = "Stores, staff, devices and member logins"),
        (name = "cards", description = "Card blocks and card stock"),
        (name = "conflicts", description = "What offline devices did together that breaks an invariant"),
        (name = "complaints", description = "Complaints, their owners and deadlines"),
        (name = "club events", description = "Club events, invitations, RSVPs and attendance"),
        (name = "partners", description = "Partner merchants and corporate agreements"),
        (name = "care", description = "Customer care: the service file, reminders, call tasks, appointments, scripts, campaigns and the notification outbox"),
        (name = "kpis", description = "The monthly figures (数据看板): first- and regular-service return, appointments, lost customers, reminders, activities, renewals, members, points, benefits, complaints — per store and for the group, with the members behind each"),
        (name = "imports", description = "Bringing customers, vehicles and service visits in from the dealer management system (DMS), and exporting service visits and care outcomes"),
        (name = "audit", description = "The audit log"),
    )
)]
pub struct ApiDoc;

/// Every operation takes a bearer token from `POST /api/login` or `POST /api/devices`.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("opaque token")
                        .build(),
                ),
            );
    }
}
