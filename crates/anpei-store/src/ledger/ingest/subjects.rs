//! 单位 rows: a subject is created or changed only within the importer's scope, and a subject
//! account changes nothing but its own name, address and contacts.

use super::*;

impl Ingest<'_> {
    pub(super) async fn flush_subjects(
        &mut self,
        batch: Vec<Pending<SubjectRecord>>,
    ) -> StoreResult<()> {
        // Subjects are few and their ids are read back at once: no overlap needed.
        self.settle().await?;
        let usccs: Vec<String> = batch.iter().map(|p| p.rec.uscc.to_string()).collect();
        let existing: HashMap<String, subject::Model> = subject::Entity::find()
            .filter(subject::Column::Uscc.is_in(usccs))
            .all(&*self.txn)
            .await?
            .into_iter()
            .map(|m| (m.uscc.clone(), m))
            .collect();
        let mut inserts = Vec::new();
        for Pending { row, rec, cells } in batch {
            self.report.counts.entry(Table::Subjects).or_default().read += 1;
            let uscc = rec.uscc.to_string();
            // Each check on its own, so that the row lists every problem at once.
            let mut faults = Vec::new();
            if let Some(first) = self.duplicate(Table::Subjects, &uscc, row) {
                faults.push(Fault::new(
                    "统一社会信用代码",
                    format!("与第{first}行重复，同一单位只应填写一行"),
                ));
            }
            let placed = match self.names.place(&rec.town, rec.district.as_deref()) {
                Ok(p) => Some(p),
                Err(message) => {
                    faults.push(Fault::new("所属镇街", message));
                    None
                }
            };
            let town = placed.map(|(t, _)| t);
            let dep = placed.and_then(|(_, district)| {
                self.names.department_for(
                    district,
                    rec.department.as_deref(),
                    rec.industry.as_deref(),
                )
            });
            if dep.is_none() {
                faults.push(Fault::new(
                    "行业主管部门",
                    "无法确定行业主管部门，应填写本区的部门，或填写有主管部门的行业",
                ));
            }
            let (Some(town), Some(dep), true) = (town, dep, faults.is_empty()) else {
                reject_all(&mut self.report, Table::Subjects, row, faults, cells);
                continue;
            };
            let old = existing.get(&uscc);
            if !self.subject_in_scope(town, dep, old.map(|o| o.id))
                || old
                    .is_some_and(|o| !self.subject_in_scope(o.town_id, o.department_id, Some(o.id)))
            {
                reject(
                    &mut self.report,
                    Table::Subjects,
                    row,
                    "统一社会信用代码",
                    "该单位不在您的管辖范围内，应只导入您管辖范围内的单位".into(),
                    cells,
                );
                continue;
            }
            // A subject keeps its own contact details; where it is supervised, and as what,
            // is for its supervisors to change.
            if let (Reach::Subject(_), Some(o)) = (self.scope.reach(), old) {
                let town_name = |id: i32| self.names.town_name(id).unwrap_or_default();
                let dep_name = |id: i32| self.names.department_name(id).unwrap_or_default();
                let moved = [
                    ("单位类型", o.kind != rec.kind, o.kind.label().to_string()),
                    ("所属镇街", o.town_id != town, town_name(o.town_id)),
                    ("行业", o.industry != rec.industry, opt(&o.industry)),
                    (
                        "行业主管部门",
                        o.department_id != dep,
                        dep_name(o.department_id),
                    ),
                ];
                let faults: Vec<Fault> = moved
                    .into_iter()
                    .filter(|m| m.1)
                    .map(|(column, _, was)| {
                        let keep = if was.is_empty() {
                            "空".to_string()
                        } else {
                            format!("“{was}”")
                        };
                        Fault::new(
                            column,
                            format!("只能由监管部门变更，单位用户不能修改，应保持为{keep}"),
                        )
                    })
                    .collect();
                if !faults.is_empty() {
                    reject_all(&mut self.report, Table::Subjects, row, faults, cells);
                    continue;
                }
            }
            let phone = rec.contact_phone.clone();
            match old {
                Some(o) => {
                    let old_phone = o
                        .contact_phone_enc
                        .as_deref()
                        .and_then(|e| self.store.crypto.decrypt(e).ok());
                    let same = o.name == rec.name
                        && o.kind == rec.kind
                        && o.industry == rec.industry
                        && o.department_id == dep
                        && o.town_id == town
                        && o.address == rec.address
                        && o.contact_name == rec.contact_name
                        && old_phone == phone;
                    if same {
                        self.report
                            .counts
                            .entry(Table::Subjects)
                            .or_default()
                            .unchanged += 1;
                    } else {
                        let town_name = |id: i32| self.names.town_name(id).unwrap_or_default();
                        let dep_name = |id: i32| self.names.department_name(id).unwrap_or_default();
                        self.changes.record(
                            format!("单位 {}", o.uscc),
                            &[
                                ("单位名称", o.name.clone(), rec.name.clone()),
                                (
                                    "单位类型",
                                    o.kind.label().to_string(),
                                    rec.kind.label().to_string(),
                                ),
                                ("行业", opt(&o.industry), opt(&rec.industry)),
                                ("行业主管部门", dep_name(o.department_id), dep_name(dep)),
                                ("所属镇街", town_name(o.town_id), town_name(town)),
                                ("地址", opt(&o.address), opt(&rec.address)),
                                ("联系人", opt(&o.contact_name), opt(&rec.contact_name)),
                                (
                                    "联系电话",
                                    old_phone.as_deref().map(mask_phone).unwrap_or_default(),
                                    phone.as_deref().map(mask_phone).unwrap_or_default(),
                                ),
                            ],
                        );
                        let mut am = o.clone().into_active_model();
                        am.name = Set(rec.name);
                        am.kind = Set(rec.kind);
                        am.industry = Set(rec.industry);
                        am.department_id = Set(dep);
                        am.town_id = Set(town);
                        am.address = Set(rec.address);
                        am.contact_name = Set(rec.contact_name);
                        am.contact_phone_enc =
                            Set(phone.as_deref().map(|p| self.store.crypto.encrypt(p)));
                        am.contact_phone_masked = Set(phone.as_deref().map(mask_phone));
                        am.updated_at = Set(self.now);
                        self.settle().await?;
                        am.update(&*self.txn).await?;
                        self.subjects.insert(uscc, (o.id, town, dep));
                        self.report
                            .counts
                            .entry(Table::Subjects)
                            .or_default()
                            .updated += 1;
                    }
                }
                None => {
                    inserts.push(subject::ActiveModel {
                        id: NotSet,
                        uscc: Set(uscc),
                        name: Set(rec.name),
                        kind: Set(rec.kind),
                        industry: Set(rec.industry),
                        department_id: Set(dep),
                        town_id: Set(town),
                        address: Set(rec.address),
                        contact_name: Set(rec.contact_name),
                        contact_phone_enc: Set(phone
                            .as_deref()
                            .map(|p| self.store.crypto.encrypt(p))),
                        contact_phone_masked: Set(phone.as_deref().map(mask_phone)),
                        status: Set(crate::enforcement::Qualification::Normal),
                        created_at: Set(self.now),
                        updated_at: Set(self.now),
                    });
                }
            }
        }
        let n = inserts.len() as u64;
        let new_usccs: Vec<String> = inserts
            .iter()
            .filter_map(|a| a.uscc.try_as_ref().cloned())
            .collect();
        self.dispatch(inserts).await?;
        self.report
            .counts
            .entry(Table::Subjects)
            .or_default()
            .inserted += n;
        if n > 0 {
            let ids = subject::Entity::find()
                .select_only()
                .columns([
                    subject::Column::Uscc,
                    subject::Column::Id,
                    subject::Column::TownId,
                    subject::Column::DepartmentId,
                ])
                .filter(subject::Column::Uscc.is_in(new_usccs))
                .into_tuple::<(String, i32, i32, i32)>()
                .all(&*self.settled().await?)
                .await?;
            for (u, id, t, d) in ids {
                self.subjects.insert(u, (id, t, d));
            }
        }
        Ok(())
    }
}
