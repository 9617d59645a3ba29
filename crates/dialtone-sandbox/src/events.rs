//! webrtc-events (next: webrtc-events-subscriptions): subscriptions, and CloudEvents
//! POSTed to each subscriber's sink. wip and next key a subscription by device; r2.2 by
//! registration, and session-status by session too.

use crate::auth::require;
use crate::clock;
use crate::commons;
use crate::errors::{ApiError, ApiResult};
use crate::state::{Sandbox, SubscriptionRecord, lock};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use dialtone_core::signaling::camara::wire::{
    CloudEvent, Subscription, SubscriptionEnded, SubscriptionRequest, SubscriptionUpdateRequest,
    WebrtcSubscriptionDetail,
};
use dialtone_core::signaling::camara::{Dialect, EventKind};
use std::sync::Arc;

pub fn routes(dialect: Dialect) -> axum::Router<Arc<Sandbox>> {
    let base = dialect.events_base();
    axum::Router::new()
        .route(
            &format!("{base}/subscriptions"),
            post(create).get(list).fallback(commons::wrong_method),
        )
        .route(
            &format!("{base}/subscriptions/{{subscriptionId}}"),
            if dialect.updates_subscriptions() {
                get(read).put(update).delete(remove)
            } else {
                get(read).delete(remove)
            }
            .fallback(commons::wrong_method),
        )
}

/// Who an event is about: a device, and in r2.2 terms its registration and session.
pub struct Target<'a> {
    device_id: &'a str,
    /// Set when the registration itself is the subject (it may be gone already).
    registration_id: Option<&'a str>,
    session_id: Option<&'a str>,
}

impl<'a> Target<'a> {
    pub fn registration(device_id: &'a str, registration_id: &'a str) -> Self {
        Self {
            device_id,
            registration_id: Some(registration_id),
            session_id: None,
        }
    }

    pub fn session(device_id: &'a str, session_id: &'a str) -> Self {
        Self {
            device_id,
            registration_id: None,
            session_id: Some(session_id),
        }
    }

    fn wants(&self, s: &Sandbox, kind: EventKind, detail: &WebrtcSubscriptionDetail) -> bool {
        if !s.dialect().subscribes_per_registration() {
            return detail.device_id.as_deref() == Some(self.device_id);
        }
        let registration = match (&detail.registration_id, self.registration_id) {
            (Some(a), Some(b)) => a == b,
            (Some(a), None) => s.device_of_registration(a).as_deref() == Some(self.device_id),
            (None, _) => false,
        };
        registration && (kind != EventKind::SessionStatus || detail.session_id.as_deref() == self.session_id)
    }
}

/// The subscription's keys as the dialect wants them: 400 for a missing required key,
/// 422 for one the sandbox does not know.
fn check_detail(s: &Sandbox, kind: EventKind, detail: &WebrtcSubscriptionDetail) -> ApiResult<()> {
    let dialect = s.dialect();
    let unknown =
        |what: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "SERVICE_NOT_APPLICABLE", what);
    if !dialect.subscribes_per_registration() {
        if dialect.strict_bodies() && (detail.registration_id.is_some() || detail.session_id.is_some()) {
            return Err(ApiError::invalid(
                "config.subscriptionDetail takes only deviceId in this API version",
            ));
        }
        let device = detail
            .device_id
            .as_deref()
            .ok_or_else(|| ApiError::invalid("config.subscriptionDetail.deviceId is required"))?;
        let registered = lock(&s.registrations).values().any(|r| r.device_id == device);
        return match registered {
            true => Ok(()),
            false => Err(unknown(format!("device '{device}' has no active registration"))),
        };
    }
    let reg = detail
        .registration_id
        .as_deref()
        .ok_or_else(|| ApiError::invalid("config.subscriptionDetail.registrationId is required"))?;
    let device = s
        .device_of_registration(reg)
        .ok_or_else(|| unknown(format!("registration '{reg}' is not active")))?;
    if kind == EventKind::SessionStatus {
        let session = detail.session_id.as_deref().ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "MISSING_IDENTIFIER",
                "session-status needs the sessionId of the media session to follow",
            )
        })?;
        if s.session(session).is_none_or(|x| x.device_id != device) {
            return Err(unknown(format!(
                "session '{session}' is not a session of this registration"
            )));
        }
    }
    Ok(())
}

/// The sandbox accepts `http://` sinks on loopback only (the spec asks for https).
fn check_sink(sink: &str) -> ApiResult<()> {
    let ok = commons::https_url(sink) || commons::loopback_http(sink);
    if ok && sink.len() <= 1024 {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_SINK",
            format!("sink '{sink}' must be an https URL"),
        ))
    }
}

async fn create(State(s): State<Arc<Sandbox>>, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    let dialect = s.dialect();
    let req: SubscriptionRequest = commons::body(dialect, &body)?;
    if req.types.is_empty() || req.types.len() > dialect.max_types_per_subscription() {
        return Err(ApiError::invalid(format!(
            "types must name 1 to {} event types",
            dialect.max_types_per_subscription()
        )));
    }
    if req.types.len() != 1 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "MULTIEVENT_SUBSCRIPTION_NOT_SUPPORTED",
            "Multi event types subscription not managed",
        ));
    }
    let event_type = &req.types[0];
    let kind = EventKind::SUBSCRIBABLE
        .into_iter()
        .find(|k| dialect.event_type(*k) == *event_type)
        .ok_or_else(|| ApiError::invalid(format!("unknown event type '{event_type}'")))?;
    require(&s, &headers, &dialect.events_create_scope(event_type))?;
    if req.protocol != "HTTP" {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_PROTOCOL",
            "Only HTTP is supported",
        ));
    }
    check_sink(&req.sink)?;
    if let Some(c) = &req.sink_credential
        && c.credential_type != "ACCESSTOKEN"
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_CREDENTIAL",
            "Only Access token is supported",
        ));
    }
    check_detail(&s, kind, &req.config.subscription_detail)?;
    let sub = Subscription {
        protocol: req.protocol.clone(),
        sink: req.sink.clone(),
        types: req.types.clone(),
        config: req.config.clone(),
        id: uuid::Uuid::new_v4().to_string(),
        starts_at: Some(clock::format(clock::now())),
        expires_at: req.config.subscription_expire_time.clone(),
        status: Some("ACTIVE".into()),
    };
    let record = SubscriptionRecord {
        subscription: sub.clone(),
        access_token: req.sink_credential.as_ref().map(|c| c.access_token.clone()),
    };
    lock(&s.subscriptions).insert(sub.id.clone(), record);
    Ok((StatusCode::CREATED, Json(sub)).into_response())
}

async fn list(State(s): State<Arc<Sandbox>>, headers: HeaderMap) -> ApiResult<Json<Vec<Subscription>>> {
    require(&s, &headers, &s.dialect().events_read_scope())?;
    Ok(Json(
        lock(&s.subscriptions)
            .values()
            .map(|r| r.subscription.clone())
            .collect(),
    ))
}

async fn read(
    State(s): State<Arc<Sandbox>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Subscription>> {
    require(&s, &headers, &s.dialect().events_read_scope())?;
    lock(&s.subscriptions)
        .get(&id)
        .map(|r| Json(r.subscription.clone()))
        .ok_or_else(|| ApiError::not_found(format!("no subscription '{id}'")))
}

/// wip and next: a new sink credential or expiry; sink, types and keys stay.
async fn update(
    State(s): State<Arc<Sandbox>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Subscription>> {
    require(&s, &headers, &s.dialect().events_update_scope())?;
    let req: SubscriptionUpdateRequest = commons::body(s.dialect(), &body)?;
    if let Some(c) = &req.sink_credential
        && c.credential_type != "ACCESSTOKEN"
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_CREDENTIAL",
            "Only Access token is supported",
        ));
    }
    let expiry = req.config.and_then(|c| c.subscription_expire_time);
    if let Some(t) = &expiry
        && clock::parse(t).is_none()
    {
        return Err(ApiError::invalid(format!(
            "subscriptionExpireTime '{t}' is not RFC 3339"
        )));
    }
    let mut subs = lock(&s.subscriptions);
    let record = subs
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found(format!("no subscription '{id}'")))?;
    if let Some(c) = req.sink_credential {
        record.access_token = Some(c.access_token);
    }
    if let Some(t) = expiry {
        record.subscription.config.subscription_expire_time = Some(t.clone());
        record.subscription.expires_at = Some(t);
    }
    Ok(Json(record.subscription.clone()))
}

async fn remove(
    State(s): State<Arc<Sandbox>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    require(&s, &headers, &s.dialect().events_delete_scope())?;
    let record = lock(&s.subscriptions)
        .remove(&id)
        .ok_or_else(|| ApiError::not_found(format!("no subscription '{id}'")))?;
    // subscription-ended is sent without being subscribed to.
    let ended = SubscriptionEnded {
        subscription_id: id,
        termination_reason: "SUBSCRIPTION_DELETED".into(),
        termination_description: None,
    };
    let event_type = s.dialect().event_type(EventKind::SubscriptionEnded);
    deliver(
        &s,
        &record,
        &event_type,
        serde_json::to_value(&ended).unwrap_or_default(),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends `data` as a CloudEvent of `kind` to every subscription for `to` and that type.
/// Delivery is awaited, so one caller's events arrive in order.
pub async fn notify(s: &Sandbox, to: &Target<'_>, kind: EventKind, data: &impl serde::Serialize) {
    let event_type = s.dialect().event_type(kind);
    let event_type = event_type.as_str();
    let device_id = to.device_id;
    let targets: Vec<SubscriptionRecord> = lock(&s.subscriptions)
        .values()
        .filter(|r| r.subscription.types.iter().any(|t| t == event_type))
        .filter(|r| to.wants(s, kind, &r.subscription.config.subscription_detail))
        .cloned()
        .collect();
    if targets.is_empty() {
        tracing::debug!(%device_id, %event_type, "no subscriber for event");
    }
    let data = serde_json::to_value(data).unwrap_or_default();
    // The browser phone's stream gets every event of its device (it cannot subscribe a sink).
    if s.streams.receiver_count() > 0
        && let Ok(json) = serde_json::to_string(&cloud_event(s, event_type, data.clone()))
    {
        let _ = s.streams.send((device_id.to_owned(), json));
    }
    for t in targets {
        let mut data = data.clone();
        if let Some(obj) = data.as_object_mut()
            && kind != EventKind::RegistrationEnds
        {
            obj.insert("subscriptionId".into(), t.subscription.id.clone().into());
        }
        deliver(s, &t, event_type, data).await;
    }
}

fn cloud_event(s: &Sandbox, event_type: &str, data: serde_json::Value) -> CloudEvent {
    CloudEvent {
        id: uuid::Uuid::new_v4().to_string(),
        source: s.base_url(),
        event_type: event_type.to_owned(),
        specversion: "1.0".into(),
        datacontenttype: Some("application/json".into()),
        time: clock::format(clock::now()),
        data,
    }
}

async fn deliver(s: &Sandbox, target: &SubscriptionRecord, event_type: &str, data: serde_json::Value) {
    let event = cloud_event(s, event_type, data);
    let mut req = s
        .http
        .post(&target.subscription.sink)
        .header("content-type", "application/cloudevents+json")
        .json(&event);
    if let Some(token) = &target.access_token {
        req = req.bearer_auth(token);
    }
    let counter = match req.send().await {
        Ok(r) if r.status().is_success() => &s.events_delivered,
        Ok(r) => {
            tracing::warn!(status = %r.status(), sink = %target.subscription.sink, "sink refused an event");
            &s.events_failed
        }
        Err(e) => {
            tracing::warn!(error = %e, sink = %target.subscription.sink, "could not deliver an event");
            &s.events_failed
        }
    };
    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}
