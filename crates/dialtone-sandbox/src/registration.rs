//! webrtc-registration: POST/GET/PUT/DELETE `/sessions`, with expiry and refresh, as
//! each dialect has it (r2.2: no GET, a new POST replaces the device's registration;
//! next: a client-credentials token names its `phoneNumber`).

use crate::auth::require;
use crate::clock;
use crate::commons;
use crate::errors::{ApiError, ApiResult};
use crate::state::{Registration, Sandbox, lock};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use dialtone_core::signaling::camara::wire::{
    RegSessionRequest, RegSessionResponse, RegSessionUpdate, RegistrationEnds, RegistrationInformation,
    scopes,
};
use dialtone_core::signaling::camara::{Dialect, EventKind};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Shortest registration the sandbox grants (OUT_OF_RANGE below it).
const MIN_TTL: Duration = Duration::from_secs(60);

pub fn routes(dialect: Dialect) -> axum::Router<Arc<Sandbox>> {
    let base = dialect.registration_base();
    let (sessions, one) = if dialect.lists_registrations() {
        (post(create).get(list), get(read).put(update).delete(remove))
    } else {
        (post(create), put(update).delete(remove))
    };
    axum::Router::new()
        .route(
            &format!("{base}/sessions"),
            sessions.fallback(commons::wrong_method),
        )
        .route(
            &format!("{base}/sessions/{{registrationId}}"),
            one.fallback(commons::wrong_method),
        )
}

fn response(r: &Registration) -> RegSessionResponse {
    RegSessionResponse {
        registration_id: r.id.clone(),
        expires_at: Some(clock::format(r.expires_at)),
        reg_info: Some(RegistrationInformation {
            phone_number: Some(r.phone_number.clone()),
            reg_status: Some("Registered".into()),
        }),
    }
}

fn check_uuid(device_id: &str) -> ApiResult<()> {
    uuid::Uuid::parse_str(device_id)
        .map(|_| ())
        .map_err(|_| ApiError::invalid(format!("deviceId '{device_id}' is not a UUID")))
}

/// The expiry for a requested time: capped at the TTL, refused below the minimum.
fn expiry(s: &Sandbox, requested: Option<&str>) -> ApiResult<time::OffsetDateTime> {
    let max = clock::in_(s.config.registration_ttl);
    let Some(requested) = requested else {
        return Ok(max);
    };
    let t = clock::parse(requested)
        .ok_or_else(|| ApiError::invalid(format!("registrationExpireTime '{requested}' is not RFC 3339")))?;
    if t < clock::in_(MIN_TTL.min(s.config.registration_ttl)) {
        return Err(ApiError::out_of_range(
            "registrationExpireTime is earlier than the minimum registration time",
        ));
    }
    Ok(t.min(max))
}

async fn create(State(s): State<Arc<Sandbox>>, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    require(&s, &headers, scopes::REGISTRATION_CREATE)?;
    let dialect = s.dialect();
    let req: RegSessionRequest = commons::body(dialect, &body)?;
    check_uuid(&req.device_id)?;
    let expires_at = expiry(&s, req.registration_expire_time.as_deref())?;
    // Every sandbox token is a client-credentials (two-legged) one: in next it names the
    // number it registers, one of the client numbers.
    let phone_number = match (dialect.registration_names_phone_number(), &req.phone_number) {
        (true, None) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "MISSING_IDENTIFIER",
                "The phoneNumber must be provided in the request body when using a two-legged access token.",
            ));
        }
        (true, Some(n)) if !crate::far_end::is_client_number(n) => {
            return Err(ApiError::forbidden(
                "The API consumer is not authorized to register the requested phoneNumber.",
            ));
        }
        (true, Some(n)) => n.clone(),
        // Not a property before next, and those versions ignore what they do not define.
        (false, _) => s.allocate_number(),
    };
    let mut regs = lock(&s.registrations);
    let same = |r: &Registration| r.device_id == req.device_id && r.phone_number == phone_number;
    if dialect.lists_registrations() {
        // One active registration per (deviceId, phoneNumber); the client recovers with
        // GET ?deviceId= and DELETE. (The sandbox gives a device one number unless the
        // client names it.)
        let taken = if dialect.registration_names_phone_number() {
            regs.values().any(same)
        } else {
            regs.values().any(|r| r.device_id == req.device_id)
        };
        if taken {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "ALREADY_EXISTS",
                "An active registration already exists for the supplied deviceId and the phoneNumber resolved from the access token.",
            ));
        }
    } else {
        // r2.2: "only one registration is active per device"; a new one cleans up the stale.
        regs.retain(|_, r| r.device_id != req.device_id);
    }
    let r = Registration {
        id: uuid::Uuid::new_v4().to_string(),
        device_id: req.device_id,
        phone_number,
        expires_at,
        created: Instant::now(),
    };
    let body = response(&r);
    regs.insert(r.id.clone(), r.clone());
    drop(regs);
    schedule_expiry(s.clone(), r);
    let status = StatusCode::from_u16(dialect.registration_created_status()).unwrap_or(StatusCode::CREATED);
    Ok((status, Json(body)).into_response())
}

/// Ends a registration and tells its device (registration-ends).
pub async fn end(s: &Sandbox, id: &str, reason: &str, description: &str) {
    let Some(r) = lock(&s.registrations).remove(id) else {
        return;
    };
    let data = RegistrationEnds {
        registration_id: r.id.clone(),
        termination_reason: reason.into(),
        termination_description: Some(description.into()),
    };
    let target = crate::events::Target::registration(&r.device_id, &r.id);
    crate::events::notify(s, &target, EventKind::RegistrationEnds, &data).await;
}

/// Ends the registration when it expires, unless it was refreshed or deleted.
fn schedule_expiry(s: Arc<Sandbox>, r: Registration) {
    tokio::spawn(async move {
        loop {
            let left = {
                let regs = lock(&s.registrations);
                match regs.get(&r.id) {
                    Some(current) => current.expires_at - clock::now(),
                    None => return,
                }
            };
            if left.is_positive() {
                tokio::time::sleep(Duration::try_from(left).unwrap_or(Duration::from_secs(1))).await;
                continue;
            }
            end(
                &s,
                &r.id,
                "REGISTRATION_EXPIRED",
                "the registration was not refreshed in time",
            )
            .await;
            return;
        }
    });
}

async fn list(
    State(s): State<Arc<Sandbox>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Vec<RegSessionResponse>>> {
    require(&s, &headers, scopes::REGISTRATION_READ)?;
    let device = q
        .get("deviceId")
        .ok_or_else(|| ApiError::invalid("the deviceId query parameter is required"))?;
    check_uuid(device)?;
    let regs = lock(&s.registrations);
    Ok(Json(
        regs.values()
            .filter(|r| &r.device_id == device)
            .map(response)
            .collect(),
    ))
}

fn find(s: &Sandbox, id: &str) -> ApiResult<Registration> {
    lock(&s.registrations)
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("no registration '{id}'")))
}

async fn read(
    State(s): State<Arc<Sandbox>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<RegSessionResponse>> {
    require(&s, &headers, scopes::REGISTRATION_READ)?;
    Ok(Json(response(&find(&s, &id)?)))
}

async fn update(
    State(s): State<Arc<Sandbox>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<RegSessionResponse>> {
    require(&s, &headers, scopes::REGISTRATION_WRITE)?;
    let req: RegSessionUpdate = if body.is_empty() {
        RegSessionUpdate::default()
    } else {
        commons::body(s.dialect(), &body)?
    };
    find(&s, &id)?;
    let expires_at = expiry(&s, req.registration_expire_time.as_deref())?;
    let mut regs = lock(&s.registrations);
    let r = regs
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found(format!("no registration '{id}'")))?;
    r.expires_at = expires_at;
    Ok(Json(response(r)))
}

async fn remove(
    State(s): State<Arc<Sandbox>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    require(&s, &headers, scopes::REGISTRATION_DELETE)?;
    lock(&s.registrations)
        .remove(&id)
        .map(|_| StatusCode::NO_CONTENT)
        .ok_or_else(|| ApiError::not_found(format!("no registration '{id}'")))
}
