//! 人员 rows: one employer's record of a worker. The person index (an ID number's blind index to
//! the rows of every employer that recorded him) and the scope checks of rows that refer to a
//! person.

use super::*;

/// One employer's row of a worker, as the import resolves references to it.
#[derive(Debug, Clone)]
pub(super) struct Holder {
    pub(super) id: i32,
    pub(super) subject: i32,
    pub(super) name: String,
}

/// Adds `h` to the rows of its ID number unless that row is there already.
pub(super) fn add_holder(persons: &mut HashMap<String, Vec<Holder>>, bidx: String, h: Holder) {
    let rows = persons.entry(bidx).or_default();
    match rows.iter_mut().find(|r| r.id == h.id) {
        Some(r) => *r = h,
        None => rows.push(h),
    }
}

/// Persons whose whole index an import reads into memory at most (about 150 bytes each);
/// beyond, each batch looks up its own.
pub(super) const PERSON_INDEX_MAX: usize = 1_000_000;

impl Ingest<'_> {
    /// Looks up persons by blind index: the cache first; then, for the first batch that
    /// misses, the database by those keys; for later ones (a big import) the whole person
    /// index once, so that later batches need no round trip and their inserts overlap.
    /// A key whose rows this import inserted counts as missing until their ids are read.
    pub(super) async fn resolve_persons(
        &mut self,
        bidxs: impl Iterator<Item = String>,
    ) -> StoreResult<()> {
        if !self.person_index_fits && self.persons.len() > self.person_index_max {
            // A cache only: what it forgets is looked up again.
            self.persons.clear();
        }
        let missing: Vec<String> = bidxs
            .filter(|b| !self.persons.contains_key(b) || self.unresolved.contains(b))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        if self.persons_loaded {
            // Only persons inserted since the index was read can be found now.
            let recent: Vec<String> = std::mem::take(&mut self.unresolved).into_iter().collect();
            return self.lookup_persons(recent).await;
        }
        self.person_lookups += 1;
        if self.person_lookups == 2 {
            // Whether the whole index fits: a city's ledger of millions of persons does not,
            // and its batches look their persons up one batch at a time instead.
            let txn = self.settled().await?;
            self.person_index_fits =
                person::Entity::find().count(&*txn).await? <= self.person_index_max as u64;
            if !self.person_index_fits {
                self.analyze("persons").await?;
            }
        }
        if self.person_lookups < 2 || !self.person_index_fits {
            let mut keys: HashSet<String> = missing.into_iter().collect();
            keys.extend(std::mem::take(&mut self.unresolved));
            return self.lookup_persons(keys.into_iter().collect()).await;
        }
        let txn = self.settled().await?;
        if self.store.backend() == sea_orm::DbBackend::Sqlite {
            // The driver's per-row hand-off costs more than the row: chunks come as strings.
            let cols = ["id_bidx", "id", "subject_id", "name"];
            let rows = crate::ledger::facts::sqlite_bulk_rows(&*txn, "persons", &cols, "").await?;
            self.persons.reserve(rows.estimate());
            for r in rows.rows() {
                let mut f = r.split('\u{1f}');
                if let (Some(b), Some(Ok(id)), Some(Ok(subject)), Some(name)) = (
                    f.next(),
                    f.next().map(str::parse::<i32>),
                    f.next().map(str::parse::<i32>),
                    f.next(),
                ) {
                    let name = name.to_string();
                    add_holder(
                        &mut self.persons,
                        b.to_string(),
                        Holder { id, subject, name },
                    );
                }
            }
        } else {
            let all = person::Entity::find()
                .select_only()
                .columns([
                    person::Column::IdBidx,
                    person::Column::Id,
                    person::Column::SubjectId,
                    person::Column::Name,
                ])
                .into_tuple::<(String, i32, i32, String)>()
                .all(&*txn)
                .await?;
            for (b, id, subject, name) in all {
                add_holder(&mut self.persons, b, Holder { id, subject, name });
            }
        }
        self.unresolved.clear();
        self.persons_loaded = true;
        Ok(())
    }

    pub(super) async fn lookup_persons(&mut self, keys: Vec<String>) -> StoreResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let txn = self.settled().await?;
        for chunk in keys.chunks(900) {
            let found = person::Entity::find()
                .select_only()
                .columns([
                    person::Column::IdBidx,
                    person::Column::Id,
                    person::Column::SubjectId,
                    person::Column::Name,
                ])
                .filter(person::Column::IdBidx.is_in(chunk.to_vec()))
                .into_tuple::<(String, i32, i32, String)>()
                .all(&*txn)
                .await?;
            for (b, id, subject, name) in found {
                add_holder(&mut self.persons, b, Holder { id, subject, name });
            }
        }
        Ok(())
    }

    /// The row of `bidx` recorded by employer `subject`, if any.
    pub(super) fn holder_at(&self, bidx: &str, subject: i32) -> Option<&Holder> {
        self.persons
            .get(bidx)?
            .iter()
            .find(|h| h.subject == subject)
    }

    /// The row a certificate of `bidx` belongs to: the one this import's person rows name,
    /// else the most recently recorded row in the importer's scope.
    pub(super) fn certificate_holder(&self, bidx: &str) -> Option<&Holder> {
        if let Some(&sid) = self.imported_persons.get(bidx) {
            return self.holder_at(bidx, sid);
        }
        self.persons
            .get(bidx)?
            .iter()
            .filter(|h| self.person_in_scope(h.subject))
            .max_by_key(|h| h.id)
    }

    pub(super) async fn flush_persons(
        &mut self,
        batch: Vec<Pending<PersonRecord>>,
    ) -> StoreResult<()> {
        let c = &self.store.crypto;
        let bidxs: Vec<String> = batch
            .iter()
            .map(|p| c.blind_index(p.rec.id_number.as_str()))
            .collect();
        let lookup = if self.empty_at_start.contains(&Table::Persons) {
            Vec::new()
        } else {
            bidxs.clone()
        };
        // Each employer's own row of the worker: rows other employers recorded are neither
        // read nor changed by this import.
        let existing: HashMap<(String, i32), person::Model> = if lookup.is_empty() {
            Vec::new()
        } else {
            person::Entity::find()
                .filter(person::Column::IdBidx.is_in(lookup))
                .all(&*self.settled().await?)
                .await?
        }
        .into_iter()
        .map(|m| ((m.id_bidx.clone(), m.subject_id), m))
        .collect();
        let backend = self.store.backend();
        let mut values: Vec<Value> = Vec::with_capacity(batch.len() * PERSON_ROWS.params());
        let mut new: Vec<String> = Vec::new();
        for (Pending { row, rec, cells }, bidx) in batch.into_iter().zip(bidxs) {
            self.report.counts.entry(Table::Persons).or_default().read += 1;
            let employer = self
                .subjects
                .get(rec.employer.as_str())
                .copied()
                .filter(|&(sid, town, dep)| self.subject_in_scope(town, dep, Some(sid)));
            let Some((sid, _, _)) = employer else {
                reject(
                    &mut self.report,
                    Table::Persons,
                    row,
                    "统一社会信用代码",
                    format!("{NO_SUCH_EMPLOYER}：{}{EMPLOYER_EXPECTED}", rec.employer),
                    cells,
                );
                continue;
            };
            let mut faults = Vec::new();
            if let Some(first) = self.duplicate(Table::Persons, &format!("{bidx}@{sid}"), row) {
                faults.push(Fault::new(
                    "身份证号",
                    format!("与第{first}行重复（同一单位、同一身份证号），同一人员只应填写一行"),
                ));
            }
            let phone = rec.phone.clone();
            let old = existing.get(&(bidx.clone(), sid));
            if let Some(o) = old.filter(|o| o.name != rec.name) {
                faults.push(Fault::new(
                    "姓名",
                    format!(
                        "与本单位台账中该身份证号登记的姓名不一致，应为“{}”（如登记有误，请联系监管部门更正）",
                        o.name
                    ),
                ));
            }
            if !faults.is_empty() {
                reject_all(&mut self.report, Table::Persons, row, faults, cells);
                continue;
            }
            match old {
                Some(o) => {
                    let old_phone = o.phone_enc.as_deref().and_then(|e| c.decrypt(e).ok());
                    let same = o.post == rec.post.code()
                        && o.special_category == rec.special_category
                        && o.appointed_on == rec.appointed_on
                        && old_phone == phone;
                    if same {
                        self.report
                            .counts
                            .entry(Table::Persons)
                            .or_default()
                            .unchanged += 1;
                    } else {
                        self.changes.record(
                            format!("人员 {} {}", o.name, o.id_masked),
                            &[
                                (
                                    "岗位",
                                    label(Post::from_code(&o.post).map(Post::label), &o.post),
                                    rec.post.label().to_string(),
                                ),
                                (
                                    "作业类别",
                                    opt(&o.special_category),
                                    opt(&rec.special_category),
                                ),
                                (
                                    "任职日期",
                                    o.appointed_on.to_string(),
                                    rec.appointed_on.to_string(),
                                ),
                                (
                                    "联系电话",
                                    old_phone.as_deref().map(mask_phone).unwrap_or_default(),
                                    phone.as_deref().map(mask_phone).unwrap_or_default(),
                                ),
                            ],
                        );
                        let mut am = o.clone().into_active_model();
                        am.post = Set(rec.post.code().into());
                        am.special_category = Set(rec.special_category);
                        am.appointed_on = Set(rec.appointed_on);
                        am.phone_enc = Set(phone.as_deref().map(|p| c.encrypt(p)));
                        am.phone_masked = Set(phone.as_deref().map(mask_phone));
                        am.updated_at = Set(self.now);
                        self.settle().await?;
                        am.update(&*self.txn).await?;
                        self.report
                            .counts
                            .entry(Table::Persons)
                            .or_default()
                            .updated += 1;
                    }
                    let h = Holder {
                        id: o.id,
                        subject: sid,
                        name: o.name.clone(),
                    };
                    add_holder(&mut self.persons, bidx.clone(), h);
                    self.imported_persons.insert(bidx, sid);
                }
                None => {
                    // In PERSON_ROWS order.
                    let [cat_code, cat_text] = usual(&CATEGORIES, rec.special_category);
                    values.extend([
                        Value::Int(Some(sid)),
                        Value::String(Some(Box::new(rec.name))),
                        Value::Bytes(Some(Box::new(c.encrypt(rec.id_number.as_str())))),
                        Value::String(Some(Box::new(bidx.clone()))),
                        Value::String(Some(Box::new(rec.id_number.masked()))),
                        Value::Bytes(phone.as_deref().map(|p| Box::new(c.encrypt(p)))),
                        Value::String(phone.as_deref().map(|p| Box::new(mask_phone(p)))),
                        coded(&POSTS, Some(rec.post.code())),
                        cat_code,
                        cat_text,
                        date(backend, Some(rec.appointed_on)),
                        Value::BigInt(Some(self.now)),
                        Value::BigInt(Some(self.now)),
                    ]);
                    self.imported_persons.insert(bidx.clone(), sid);
                    new.push(bidx);
                }
            }
        }
        self.report
            .counts
            .entry(Table::Persons)
            .or_default()
            .inserted += new.len() as u64;
        self.dispatch_values(&PERSON_ROWS, values).await?;
        // Their ids are read when certificates or trainings first need them.
        self.unresolved.extend(new);
        Ok(())
    }

    pub(super) fn person_in_scope(&self, subject_id: i32) -> bool {
        match self.scope.reach() {
            Reach::All => true,
            Reach::Subject(s) => s == subject_id,
            _ => self
                .subjects
                .values()
                .any(|&(id, t, d)| id == subject_id && self.subject_in_scope(t, d, Some(id))),
        }
    }
}
