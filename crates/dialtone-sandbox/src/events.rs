//! webrtc-events: subscriptions, and CloudEvents POSTed to each subscriber's sink.

use crate::auth::require;
use crate::clock;
use crate::errors::{ApiError, ApiResult, parse_json};
use crate::state::{Sandbox, SubscriptionRecord, lock};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use dialtone_core::signaling::camara::wire::{
    CloudEvent, EVENTS_BASE, Subscription, SubscriptionEnded, SubscriptionRequest, event_types, scopes,
};
use std::sync::Arc;

pub fn routes() -> axum::Router<Arc<Sandbox>> {
    axum::Router::new()
        .route(&format!("{EVENTS_BASE}/subscriptions"), post(create).get(list))
        .route(
            &format!("{EVENTS_BASE}/subscriptions/{{subscriptionId}}"),
            get(read).delete(remove),
        )
}

/// The sandbox accepts `http://` sinks on loopback only (the spec asks for https).
fn check_sink(sink: &str) -> ApiResult<()> {
    let ok = sink.starts_with("https://")
        || ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"]
            .iter()
            .any(|p| sink.starts_with(p));
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
    let req: SubscriptionRequest = parse_json(&body)?;
    if req.types.len() != 1 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "MULTIEVENT_SUBSCRIPTION_NOT_SUPPORTED",
            "Multi event types subscription not managed",
        ));
    }
    let event_type = &req.types[0];
    if !event_types::SUBSCRIBABLE.contains(&event_type.as_str()) {
        return Err(ApiError::invalid(format!("unknown event type '{event_type}'")));
    }
    require(&s, &headers, &scopes::events_create(event_type))?;
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
    let device = &req.config.subscription_detail.device_id;
    let registered = lock(&s.registrations).values().any(|r| &r.device_id == device);
    if !registered {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "SERVICE_NOT_APPLICABLE",
            format!("device '{device}' has no active registration"),
        ));
    }
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
    require(&s, &headers, scopes::EVENTS_READ)?;
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
    require(&s, &headers, scopes::EVENTS_READ)?;
    lock(&s.subscriptions)
        .get(&id)
        .map(|r| Json(r.subscription.clone()))
        .ok_or_else(|| ApiError::not_found(format!("no subscription '{id}'")))
}

async fn remove(
    State(s): State<Arc<Sandbox>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    require(&s, &headers, scopes::EVENTS_DELETE)?;
    let record = lock(&s.subscriptions)
        .remove(&id)
        .ok_or_else(|| ApiError::not_found(format!("no subscription '{id}'")))?;
    // subscription-ended is sent without being subscribed to.
    let ended = SubscriptionEnded {
        subscription_id: id,
        termination_reason: "SUBSCRIPTION_DELETED".into(),
        termination_description: None,
    };
    deliver(
        &s,
        &record,
        event_types::SUBSCRIPTION_ENDED,
        serde_json::to_value(&ended).unwrap_or_default(),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends `data` as a CloudEvent of `event_type` to every subscription of `device_id`
/// for that type. Delivery is awaited, so one caller's events arrive in order.
pub async fn notify(s: &Sandbox, device_id: &str, event_type: &str, data: &impl serde::Serialize) {
    let targets: Vec<SubscriptionRecord> = lock(&s.subscriptions)
        .values()
        .filter(|r| r.subscription.config.subscription_detail.device_id == device_id)
        .filter(|r| r.subscription.types.iter().any(|t| t == event_type))
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
            && event_type != event_types::REGISTRATION_ENDS
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
