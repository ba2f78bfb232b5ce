//! 催办: a supervisor reminds each unit of a list that has not done something (a
//! self-inspection not submitted, rectifications overdue, tip-offs past their deadline, a
//! summary report not sent). Every account of each unit gets an inbox message; a unit is
//! reminded of one matter at most once a day (the dedupe key carries the day), and the whole
//! 催办 is one transaction, audited with its counts.

use crate::platform::audit::{self, Actor, Event};
use crate::platform::inbox::{self, NewMessage};
use crate::{Store, StoreResult};
use serde::Serialize;

/// What a 催办 did: units reminded, and units already reminded of the same matter today.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Urged {
    pub units: u64,
    pub already_today: u64,
}

/// Most units one 催办 reaches (a district has far fewer subjects).
pub const MAX_UNITS: u64 = 20_000;

/// The reminder of one unit.
#[derive(Debug, Clone)]
pub struct Reminder {
    /// The unit, as the dedupe key names it (`subject:12`, `town:3`).
    pub unit: String,
    /// Its active accounts.
    pub recipients: Vec<i32>,
    pub title: String,
    pub body: String,
    pub link: String,
}

/// What is urged: the inbox kind of the messages, the matter in the dedupe keys and the
/// audit (`self_inspection:4`), and the audit's target (`campaign:4`).
#[derive(Debug, Clone, Copy)]
pub struct Matter<'a> {
    pub kind: &'a str,
    pub key: &'a str,
    pub target: &'a str,
}

/// Sends the reminders (a unit without accounts is skipped) and audits the 催办 as
/// `urge` with the matter and the counts, in one transaction.
pub async fn send(
    store: &Store,
    actor: &Actor,
    matter: Matter<'_>,
    reminders: Vec<Reminder>,
) -> StoreResult<Urged> {
    let today = store.today();
    let txn = store.write().await?;
    let now = store.now();
    let mut urged = Urged::default();
    for r in reminders {
        let msgs: Vec<NewMessage> = r
            .recipients
            .iter()
            .map(|uid| NewMessage {
                user_id: *uid,
                kind: matter.kind.into(),
                title: r.title.clone(),
                body: r.body.clone(),
                link: r.link.clone(),
                dedupe_key: format!("urge:{}:{}:{today}:{uid}", matter.key, r.unit),
            })
            .collect();
        if msgs.is_empty() {
            continue;
        }
        if inbox::send_many(&*txn, now, msgs).await?.is_empty() {
            urged.already_today += 1;
        } else {
            urged.units += 1;
        }
    }
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("campaign.urge", matter.target).with_detail(format!(
            "matter={} units={} already_today={}",
            matter.key, urged.units, urged.already_today
        )),
    )
    .await?;
    txn.commit().await?;
    Ok(urged)
}

/// Whether `scope` is a supervisor's (district, department, town): only they urge.
pub fn may_urge(scope: &crate::Scope) -> StoreResult<()> {
    use crate::Reach;
    match scope.reach() {
        Reach::All
        | Reach::District(_)
        | Reach::Town(_)
        | Reach::Department(_)
        | Reach::CityDepartment(_) => Ok(()),
        _ => Err(crate::StoreError::Forbidden),
    }
}
