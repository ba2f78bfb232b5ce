//! 培训 rows: duplicate keys within the file, and the rows attached to the writer's own row of the
//! trainee.

use super::*;
use std::hash::BuildHasherDefault;

/// The natural keys (person, start, end, type) of the training rows of this import, each
/// with the row that had it first. A key packs into 128 bits when its times are whole
/// seconds from 1900 on (all but odd ones), which hashes in one go and takes a third of
/// the room of the whole key; the others are kept whole.
///
/// Memory stays bounded: past [`SEEN_TRAININGS_MAX`] keys it keeps the keys of the current
/// batch only, and the batches after look earlier rows up among the rows this import stored.
pub(super) struct SeenTrainings {
    packed: HashMap<u128, usize, BuildHasherDefault<PackedKeyHasher>>,
    whole: HashMap<(i32, NaiveDateTime, NaiveDateTime, TrainingType), usize>,
    full: bool,
    max: usize,
}

impl Default for SeenTrainings {
    fn default() -> Self {
        SeenTrainings::with_max(SEEN_TRAININGS_MAX)
    }
}

/// Why a repeated training row is refused, after the row it repeats.
const SAME_TRAINING: &str = "（同一人员、同一时间、同一培训类型），同一次培训只应填写一行";

/// Training keys an import remembers at most (about 40 bytes each).
pub(super) const SEEN_TRAININGS_MAX: usize = 4_000_000;

/// Hashes a packed key with one multiplication (the standard SipHash costs more than the
/// rest of a row's duplicate check). Keys come from the importer's own file, so a crafted
/// file could at worst slow its own import.
#[derive(Default)]
pub(super) struct PackedKeyHasher(u64);

impl std::hash::Hasher for PackedKeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn write_u128(&mut self, n: u128) {
        let x = (n as u64) ^ ((n >> 64) as u64).rotate_left(29) ^ self.0;
        let h = x.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 32);
    }
}

impl SeenTrainings {
    pub(super) fn with_max(max: usize) -> SeenTrainings {
        SeenTrainings {
            packed: HashMap::default(),
            whole: HashMap::new(),
            full: false,
            max,
        }
    }

    /// A batch begins: once full, only its own keys are kept.
    pub(super) fn start_batch(&mut self) {
        if self.full {
            self.packed.clear();
            self.whole.clear();
        }
    }

    /// Whether earlier batches' keys have been let go (they are looked up instead).
    pub(super) fn is_full(&self) -> bool {
        self.full
    }

    /// The row that first had this key; none if this is the first (which `row` now is).
    pub(super) fn first(
        &mut self,
        person: i32,
        start: NaiveDateTime,
        end: NaiveDateTime,
        ty: TrainingType,
        row: usize,
    ) -> Option<usize> {
        use std::collections::hash_map::Entry;
        if self.packed.len() + self.whole.len() >= self.max {
            self.full = true;
        }
        match pack_training_key(person, start, end, ty) {
            Some(k) => match self.packed.entry(k) {
                Entry::Occupied(e) => Some(*e.get()),
                Entry::Vacant(e) => {
                    e.insert(row);
                    None
                }
            },
            None => match self.whole.entry((person, start, end, ty)) {
                Entry::Occupied(e) => Some(*e.get()),
                Entry::Vacant(e) => {
                    e.insert(row);
                    None
                }
            },
        }
    }
}

/// person (32 bits) | type (8) | start (44) | end (44), the times in whole seconds from
/// 1900-01-01; none for a time with a fraction of a second or outside 1900 … 559,000.
pub(super) fn pack_training_key(
    person: i32,
    start: NaiveDateTime,
    end: NaiveDateTime,
    ty: TrainingType,
) -> Option<u128> {
    const FROM_1900: i64 = 2_208_988_800;
    let secs = |t: NaiveDateTime| -> Option<u128> {
        let s = t.and_utc().timestamp().checked_add(FROM_1900)?;
        (t.nanosecond() == 0 && (0..1 << 44).contains(&s)).then_some(s as u128)
    };
    let ty = TrainingType::ALL.iter().position(|t| *t == ty)? as u128;
    Some(u128::from(person as u32) << 96 | (ty & 0xff) << 88 | secs(start)? << 44 | secs(end)?)
}

impl Ingest<'_> {
    pub(super) async fn flush_trainings(
        &mut self,
        batch: Vec<Pending<TrainingRecord>>,
    ) -> StoreResult<()> {
        let c = &self.store.crypto;
        // Rows come grouped by person: the blind index is computed once for each run of
        // rows with the same ID number, and each row refers to its run's key.
        let mut keys: Vec<String> = Vec::new();
        let mut key_of = Vec::with_capacity(batch.len());
        let mut last_id: Option<&str> = None;
        for p in &batch {
            let id = p.rec.id_number.as_str();
            if last_id != Some(id) {
                keys.push(c.blind_index(id));
                last_id = Some(id);
            }
            key_of.push(keys.len() - 1);
        }
        self.resolve_persons(keys.iter().cloned()).await?;
        // The trainings stored for the rows of these ID numbers, whoever recorded them:
        // only the row of the training's employer is ever matched below.
        let mut existing: HashMap<
            (i32, chrono::NaiveDateTime, chrono::NaiveDateTime, String),
            training::Model,
        > = HashMap::new();
        self.seen_trainings.start_batch();
        if self.seen_trainings.is_full() && !self.trainings_analyzed {
            // The batches from now on look their rows up by trainee: the planner needs to
            // know how many rows this import stored (else it reads the whole table).
            self.analyze("trainings").await?;
            self.trainings_analyzed = true;
        }
        if !self.empty_at_start.contains(&Table::Trainings) || self.seen_trainings.is_full() {
            let pids: Vec<i32> = keys
                .iter()
                .filter_map(|k| self.persons.get(k))
                .flatten()
                .map(|h| h.id)
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            if !pids.is_empty() {
                self.settle().await?;
            }
            for chunk in pids.chunks(900) {
                for m in training::Entity::find()
                    .filter(training::Column::PersonId.is_in(chunk.to_vec()))
                    .all(&*self.txn)
                    .await?
                {
                    existing.insert(
                        (m.person_id, m.start_at, m.end_at, m.training_type.clone()),
                        m,
                    );
                }
            }
        }
        let backend = self.store.backend();
        let mut counts = Counts::default();
        let mut values: Vec<Value> = Vec::with_capacity(batch.len() * TRAINING_ROWS.params());
        // The employer of the previous row (rows of one person share it).
        let mut employer: Option<(String, Option<i32>)> = None;
        for (Pending { row, rec, cells }, k) in batch.into_iter().zip(key_of) {
            counts.read += 1;
            let uscc = rec.employer.as_str();
            let subject = match &employer {
                Some((u, s)) if u == uscc => *s,
                _ => {
                    let s = self
                        .subjects
                        .get(uscc)
                        .filter(|&&(sid, town, dep)| self.subject_in_scope(town, dep, Some(sid)))
                        .map(|&(sid, _, _)| sid);
                    employer = Some((uscc.to_string(), s));
                    s
                }
            };
            let Some(sid) = subject else {
                reject(
                    &mut self.report,
                    Table::Trainings,
                    row,
                    "统一社会信用代码",
                    format!("{NO_SUCH_EMPLOYER}：{}{EMPLOYER_EXPECTED}", rec.employer),
                    cells,
                );
                continue;
            };
            // The trainee is the employer's own row of him: a worker another employer
            // recorded is not this one's to train until it records him in its ledger.
            let Some(h) = self.holder_at(&keys[k], sid) else {
                reject(
                    &mut self.report,
                    Table::Trainings,
                    row,
                    "身份证号",
                    "学员不在该单位的人员台账中，应先在“人员”表中把此人登记在该单位".into(),
                    cells,
                );
                continue;
            };
            let pid = h.id;
            let mut faults = Vec::new();
            if h.name != rec.name {
                faults.push(Fault::new(
                    "姓名",
                    format!("与人员台账中该身份证号登记的姓名不一致，应为“{}”", h.name),
                ));
            }
            let first = self
                .seen_trainings
                .first(pid, rec.start, rec.end, rec.training_type, row);
            if let Some(first) = first {
                faults.push(Fault::new(
                    "开始时间",
                    format!("与第{first}行重复{SAME_TRAINING}"),
                ));
            }
            if !faults.is_empty() {
                reject_all(&mut self.report, Table::Trainings, row, faults, cells);
                continue;
            }
            let old = if existing.is_empty() {
                None
            } else {
                existing.get(&(
                    pid,
                    rec.start,
                    rec.end,
                    rec.training_type.code().to_string(),
                ))
            };
            match old {
                // A row this import stored: an earlier row of the file had the same key
                // (one whose number is no longer remembered).
                Some(o) if o.id > self.trainings_before => {
                    reject(
                        &mut self.report,
                        Table::Trainings,
                        row,
                        "开始时间",
                        format!("与本文件中前面的一行重复{SAME_TRAINING}"),
                        cells,
                    );
                }
                Some(o) => {
                    let same = o.form == rec.form.code()
                        && o.theory_hours == rec.theory_hours
                        && o.practical_hours == rec.practical_hours
                        && o.institution == rec.institution
                        && o.score == rec.score
                        && o.result == rec.result;
                    if same {
                        counts.unchanged += 1;
                    } else {
                        self.changes.record(
                            format!("培训记录 {} {}", rec.name, o.start_at),
                            &[
                                (
                                    "培训形式",
                                    label(
                                        TrainingForm::from_code(&o.form).map(TrainingForm::label),
                                        &o.form,
                                    ),
                                    rec.form.label().to_string(),
                                ),
                                (
                                    "理论学时",
                                    o.theory_hours.to_string(),
                                    rec.theory_hours.to_string(),
                                ),
                                (
                                    "实操学时",
                                    o.practical_hours.to_string(),
                                    rec.practical_hours.to_string(),
                                ),
                                ("培训机构", opt(&o.institution), opt(&rec.institution)),
                                ("成绩", opt_num(&o.score), opt_num(&rec.score)),
                                ("考核结果", opt(&o.result), opt(&rec.result)),
                            ],
                        );
                        let mut am = o.clone().into_active_model();
                        am.form = Set(rec.form.code().into());
                        am.theory_hours = Set(rec.theory_hours);
                        am.practical_hours = Set(rec.practical_hours);
                        am.institution = Set(rec.institution);
                        am.score = Set(rec.score);
                        am.result = Set(rec.result);
                        self.settle().await?;
                        am.update(&*self.txn).await?;
                        counts.updated += 1;
                    }
                }
                None => {
                    // In TRAINING_ROWS order.
                    let [result_code, result_text] = usual(&USUAL_RESULTS, rec.result);
                    values.extend([
                        Value::Int(Some(pid)),
                        Value::Int(Some(sid)),
                        coded(&TRAINING_TYPES, Some(rec.training_type.code())),
                        coded(&TRAINING_FORMS, Some(rec.form.code())),
                        datetime(backend, rec.start),
                        datetime(backend, rec.end),
                        Value::Double(Some(rec.theory_hours)),
                        Value::Double(Some(rec.practical_hours)),
                        Value::String(rec.institution.map(Box::new)),
                        Value::Double(rec.score),
                        result_code,
                        result_text,
                        Value::BigInt(Some(self.now)),
                    ]);
                    counts.inserted += 1;
                }
            }
        }
        let total = self.report.counts.entry(Table::Trainings).or_default();
        total.read += counts.read;
        total.inserted += counts.inserted;
        total.updated += counts.updated;
        total.unchanged += counts.unchanged;
        self.dispatch_values(&TRAINING_ROWS, values).await
    }
}
