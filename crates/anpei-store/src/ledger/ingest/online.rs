//! Rows of an online-training platform's logs (学习记录, 人脸核验, 课程, 在线考试). A row about a
//! person names someone on the ledger, in the importer's reach: a supervisor's (or an
//! enterprise's own) workers by their employer, a training institution's trainees — the
//! persons on its class rosters or whose training records name it. Natural keys decide insert,
//! update or unchanged, so a platform's log imported twice changes nothing.

use super::*;
use crate::entity::{
    online_course as course, online_exam as exam, online_face_check as face,
    online_session as session, training_trainee,
};
use anpei_core::ledger::{CourseRecord, FaceCheckRecord, OnlineExamRecord, SessionRecord};
use anpei_core::SubjectKind;
use sea_orm::{ConnectionTrait, Statement};

/// How session rows are inserted (`COPY` on PostgreSQL; see `flush_sessions` for a row's values).
pub(super) static SESSION_ROWS: LazyLock<Shape> = LazyLock::new(|| {
    Shape::plain(
        "online_sessions",
        &[
            "platform",
            "id_bidx",
            "person_id",
            "subject_id",
            "provider_id",
            "course_no",
            "start_at",
            "end_at",
            "progress_secs",
            "device",
            "ip",
            "created_at",
        ],
    )
});

/// How face-check rows are inserted (see `flush_face_checks`).
pub(super) static FACE_ROWS: LazyLock<Shape> = LazyLock::new(|| {
    Shape::plain(
        "online_face_checks",
        &[
            "platform",
            "id_bidx",
            "person_id",
            "subject_id",
            "provider_id",
            "at",
            "passed",
            "similarity",
            "created_at",
        ],
    )
});

/// Said of a row about a person the importer may not report on.
const NOT_YOURS: &str = "此人不在您管辖范围内的人员台账中，应先在“人员”表中登记";
/// Said of a row about a person who is not a training institution's trainee.
const NOT_A_TRAINEE: &str =
    "此人不是本机构的学员（不在本机构培训班花名册中，培训记录也未填写本机构），不能导入其记录";

/// Who an import of logs reports for: a training institution (its trainees, and the
/// findings about the sessions are its own) or a supervisor or enterprise (persons in reach).
#[derive(Debug, Clone, Default)]
pub(super) struct Provider {
    /// The institution's subject id, when a training institution imports.
    pub(super) id: Option<i32>,
    /// Blind indexes of the institution's trainees, read on first use.
    trainees: Option<HashSet<String>>,
    /// The natural keys of the rows read so far, per table, as 128-bit hashes (16 bytes a row
    /// whatever the key's length), with the row that had each.
    seen: HashMap<Table, HashMap<u128, u32>>,
}

/// A 128-bit hash of a natural key's parts (two SipHash runs with different prefixes).
fn key_hash(parts: &[&str]) -> u128 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let half = |salt: u8| {
        let mut h = DefaultHasher::new();
        salt.hash(&mut h);
        parts.hash(&mut h);
        h.finish()
    };
    u128::from(half(0)) << 64 | u128::from(half(1))
}

impl Provider {
    /// The training institution the scope is, if it is one.
    pub(super) async fn of(store: &Store, scope: &Scope) -> StoreResult<Provider> {
        let id = match scope.reach() {
            Reach::Subject(s) => subject::Entity::find_by_id(s)
                .one(&store.db)
                .await?
                .filter(|x| x.kind == SubjectKind::TrainingInstitution)
                .map(|x| x.id),
            _ => None,
        };
        Ok(Provider {
            id,
            ..Provider::default()
        })
    }
}

impl Ingest<'_> {
    /// The institution's trainees, read once: the blind indexes on its rosters and of the
    /// persons whose training records name it as their 培训机构.
    async fn trainees(&mut self) -> StoreResult<()> {
        let Some(pid) = self.provider.id else {
            return Ok(());
        };
        if self.provider.trainees.is_some() {
            return Ok(());
        }
        let txn = self.settled().await?;
        let mut set: HashSet<String> = training_trainee::Entity::find()
            .select_only()
            .column(training_trainee::Column::IdBidx)
            .filter(training_trainee::Column::SubjectId.eq(pid))
            .into_tuple::<String>()
            .all(&*txn)
            .await?
            .into_iter()
            .collect();
        let name: Option<String> = subject::Entity::find_by_id(pid)
            .select_only()
            .column(subject::Column::Name)
            .into_tuple()
            .one(&*txn)
            .await?;
        if let Some(name) = name {
            let backend = self.store.backend();
            let sql = match backend {
                sea_orm::DbBackend::Postgres => {
                    "SELECT DISTINCT p.id_bidx FROM trainings t JOIN persons p \
                     ON p.id = t.person_id WHERE t.institution = $1"
                }
                _ => {
                    "SELECT DISTINCT p.id_bidx FROM trainings t JOIN persons p \
                     ON p.id = t.person_id WHERE t.institution = ?"
                }
            };
            for r in txn
                .query_all(Statement::from_sql_and_values(backend, sql, [name.into()]))
                .await?
            {
                set.insert(r.try_get_by_index::<String>(0)?);
            }
        }
        self.provider.trainees = Some(set);
        Ok(())
    }

    /// The row that had the same natural key earlier in this import, if one did.
    fn repeat(&mut self, table: Table, parts: &[&str], row: usize) -> Option<usize> {
        let seen = self.provider.seen.entry(table).or_default();
        match seen.entry(key_hash(parts)) {
            std::collections::hash_map::Entry::Occupied(e) => Some(*e.get() as usize),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(row as u32);
                None
            }
        }
    }

    /// The stored rows of `E` whose blind index (`col`) is among `keys` (none when the table
    /// was empty as this import began).
    async fn stored_of<E: EntityTrait>(
        &mut self,
        table: Table,
        keys: &[String],
        col: E::Column,
    ) -> StoreResult<Vec<E::Model>> {
        if self.empty_at_start.contains(&table) {
            // Only this import's own rows could share a key, and `repeat` catches those.
            return Ok(Vec::new());
        }
        let distinct: Vec<String> = keys
            .iter()
            .cloned()
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let txn = self.settled().await?;
        let mut out = Vec::new();
        for chunk in distinct.chunks(900) {
            out.extend(
                E::find()
                    .filter(col.is_in(chunk.to_vec()))
                    .all(&*txn)
                    .await?,
            );
        }
        Ok(out)
    }

    /// Whether the importer may report on the person whose ID has blind index `bidx`.
    fn may_report(&self, bidx: &str) -> bool {
        self.provider
            .trainees
            .as_ref()
            .is_none_or(|t| t.contains(bidx))
    }

    /// The employer `uscc` if a row may name it: any registered one for an institution (its
    /// trainees come from many), else one in the importer's scope.
    fn log_employer(&self, uscc: &str) -> Option<i32> {
        let &(sid, town, dep) = self.subjects.get(uscc)?;
        (self.provider.id.is_some() || self.subject_in_scope(town, dep, Some(sid))).then_some(sid)
    }

    /// The ledger row a log row without an employer (a face check, an exam) is about: the
    /// latest recorded row of that ID number the importer reaches, or why there is none.
    fn log_person(&self, bidx: &str) -> Result<Holder, &'static str> {
        let h = self
            .persons
            .get(bidx)
            .and_then(|rows| {
                rows.iter()
                    .filter(|h| self.provider.id.is_some() || self.person_in_scope(h.subject))
                    .max_by_key(|h| h.id)
            })
            .ok_or(NOT_YOURS)?;
        if !self.may_report(bidx) {
            return Err(NOT_A_TRAINEE);
        }
        Ok(h.clone())
    }

    /// Blind indexes of a batch's ID numbers, in row order, the person index resolved for
    /// them and, for an institution, its trainees read.
    async fn log_keys<T>(
        &mut self,
        batch: &[Pending<T>],
        id: impl Fn(&T) -> &str,
    ) -> StoreResult<Vec<String>> {
        let c = &self.store.crypto;
        // Rows come grouped by person: one blind index for each run of one ID number.
        let mut keys: Vec<String> = Vec::with_capacity(batch.len());
        let mut last: Option<&str> = None;
        for p in batch {
            let n = id(&p.rec);
            match (last, keys.last()) {
                (Some(l), Some(k)) if l == n => {
                    let k = k.clone();
                    keys.push(k);
                }
                _ => keys.push(c.blind_index(n)),
            }
            last = Some(n);
        }
        self.resolve_persons(keys.iter().cloned()).await?;
        self.trainees().await?;
        Ok(keys)
    }

    fn add_counts(&mut self, table: Table, c: Counts) {
        let total = self.report.counts.entry(table).or_default();
        total.read += c.read;
        total.inserted += c.inserted;
        total.updated += c.updated;
        total.unchanged += c.unchanged;
    }

    pub(super) async fn flush_sessions(
        &mut self,
        batch: Vec<Pending<SessionRecord>>,
    ) -> StoreResult<()> {
        const T: Table = Table::Sessions;
        let keys = self.log_keys(&batch, |r| r.id_number.as_str()).await?;
        let existing: HashMap<(String, String, String, NaiveDateTime), session::Model> = self
            .stored_of::<session::Entity>(T, &keys, session::Column::IdBidx)
            .await?
            .into_iter()
            .map(|m| {
                let k = (
                    m.id_bidx.clone(),
                    m.platform.clone(),
                    m.course_no.clone(),
                    m.start_at,
                );
                (k, m)
            })
            .collect();
        let mut counts = Counts::default();
        let mut values: Vec<Value> = Vec::with_capacity(batch.len() * SESSION_ROWS.params());
        for (Pending { row, rec, cells }, bidx) in batch.into_iter().zip(keys) {
            counts.read += 1;
            let Some(sid) = self.log_employer(rec.employer.as_str()) else {
                reject(
                    &mut self.report,
                    T,
                    row,
                    "统一社会信用代码",
                    format!("{NO_SUCH_EMPLOYER}：{}{EMPLOYER_EXPECTED}", rec.employer),
                    cells,
                );
                continue;
            };
            let Some(h) = self.holder_at(&bidx, sid).cloned() else {
                reject(
                    &mut self.report,
                    T,
                    row,
                    "身份证号",
                    "学员不在该单位的人员台账中，应先在“人员”表中把此人登记在该单位".into(),
                    cells,
                );
                continue;
            };
            if !self.may_report(&bidx) {
                reject(
                    &mut self.report,
                    T,
                    row,
                    "身份证号",
                    NOT_A_TRAINEE.into(),
                    cells,
                );
                continue;
            }
            let mut faults = Vec::new();
            if h.name != rec.name {
                faults.push(Fault::new(
                    "姓名",
                    format!("与人员台账中该身份证号登记的姓名不一致，应为“{}”", h.name),
                ));
            }
            let start = rec.start.to_string();
            if let Some(first) =
                self.repeat(T, &[&bidx, &rec.platform, &rec.course_no, &start], row)
            {
                faults.push(Fault::new(
                    "开始时间",
                    format!("与第{first}行重复（同一平台、身份证号、课程编号和开始时间的学习记录只能有一条）"),
                ));
            }
            if !faults.is_empty() {
                reject_all(&mut self.report, T, row, faults, cells);
                continue;
            }
            let provider = self.provider.id;
            let old = if existing.is_empty() {
                None
            } else {
                existing.get(&(
                    bidx.clone(),
                    rec.platform.clone(),
                    rec.course_no.clone(),
                    rec.start,
                ))
            };
            match old {
                Some(o) => {
                    let same = o.end_at == rec.end
                        && o.progress_secs == rec.progress_secs
                        && o.device == rec.device
                        && o.ip == rec.ip
                        && o.person_id == h.id
                        && o.subject_id == sid;
                    if same {
                        counts.unchanged += 1;
                        continue;
                    }
                    self.changes.record(
                        format!("学习记录 {} {} {}", rec.name, rec.course_no, rec.start),
                        &[
                            ("结束时间", o.end_at.to_string(), rec.end.to_string()),
                            (
                                "视频进度秒数",
                                o.progress_secs.to_string(),
                                rec.progress_secs.to_string(),
                            ),
                            ("设备标识", opt(&o.device), opt(&rec.device)),
                            ("IP地址", opt(&o.ip), opt(&rec.ip)),
                        ],
                    );
                    let mut am = o.clone().into_active_model();
                    am.end_at = Set(rec.end);
                    am.progress_secs = Set(rec.progress_secs);
                    am.device = Set(rec.device);
                    am.ip = Set(rec.ip);
                    am.person_id = Set(h.id);
                    am.subject_id = Set(sid);
                    am.provider_id = Set(provider.or(o.provider_id));
                    self.settle().await?;
                    am.update(&*self.txn).await?;
                    counts.updated += 1;
                }
                None => {
                    // In SESSION_ROWS order.
                    let backend = self.store.backend();
                    values.extend([
                        Value::String(Some(Box::new(rec.platform))),
                        Value::String(Some(Box::new(bidx))),
                        Value::Int(Some(h.id)),
                        Value::Int(Some(sid)),
                        Value::Int(provider),
                        Value::String(Some(Box::new(rec.course_no))),
                        datetime(backend, rec.start),
                        datetime(backend, rec.end),
                        Value::BigInt(Some(rec.progress_secs)),
                        Value::String(rec.device.map(Box::new)),
                        Value::String(rec.ip.map(Box::new)),
                        Value::BigInt(Some(self.now)),
                    ]);
                    counts.inserted += 1;
                }
            }
        }
        self.add_counts(T, counts);
        self.dispatch_values(&SESSION_ROWS, values).await
    }

    pub(super) async fn flush_face_checks(
        &mut self,
        batch: Vec<Pending<FaceCheckRecord>>,
    ) -> StoreResult<()> {
        const T: Table = Table::FaceChecks;
        let keys = self.log_keys(&batch, |r| r.id_number.as_str()).await?;
        let existing: HashMap<(String, String, NaiveDateTime), face::Model> = self
            .stored_of::<face::Entity>(T, &keys, face::Column::IdBidx)
            .await?
            .into_iter()
            .map(|m| ((m.id_bidx.clone(), m.platform.clone(), m.at), m))
            .collect();
        let mut counts = Counts::default();
        let mut values: Vec<Value> = Vec::with_capacity(batch.len() * FACE_ROWS.params());
        for (Pending { row, rec, cells }, bidx) in batch.into_iter().zip(keys) {
            counts.read += 1;
            let h = match self.log_person(&bidx) {
                Ok(h) => h,
                Err(why) => {
                    reject(&mut self.report, T, row, "身份证号", why.into(), cells);
                    continue;
                }
            };
            let at = rec.at.to_string();
            if let Some(first) = self.repeat(T, &[&bidx, &rec.platform, &at], row) {
                reject(
                    &mut self.report,
                    T,
                    row,
                    "核验时间",
                    format!("与第{first}行重复（同一平台、身份证号和核验时间的核验只能有一条）"),
                    cells,
                );
                continue;
            }
            let old = if existing.is_empty() {
                None
            } else {
                existing.get(&(bidx.clone(), rec.platform.clone(), rec.at))
            };
            match old {
                Some(o) if o.passed == rec.passed && o.similarity == rec.similarity => {
                    counts.unchanged += 1;
                }
                Some(o) => {
                    let result = |p: bool| if p { "通过" } else { "不通过" }.to_string();
                    self.changes.record(
                        format!("人脸核验 {} {}", h.name, rec.at),
                        &[
                            ("核验结果", result(o.passed), result(rec.passed)),
                            (
                                "比对相似度",
                                opt_num(&o.similarity),
                                opt_num(&rec.similarity),
                            ),
                        ],
                    );
                    let mut am = o.clone().into_active_model();
                    am.passed = Set(rec.passed);
                    am.similarity = Set(rec.similarity);
                    self.settle().await?;
                    am.update(&*self.txn).await?;
                    counts.updated += 1;
                }
                None => {
                    // In FACE_ROWS order.
                    values.extend([
                        Value::String(Some(Box::new(rec.platform))),
                        Value::String(Some(Box::new(bidx))),
                        Value::Int(Some(h.id)),
                        Value::Int(Some(h.subject)),
                        Value::Int(self.provider.id),
                        datetime(self.store.backend(), rec.at),
                        Value::Bool(Some(rec.passed)),
                        Value::Double(rec.similarity),
                        Value::BigInt(Some(self.now)),
                    ]);
                    counts.inserted += 1;
                }
            }
        }
        self.add_counts(T, counts);
        self.dispatch_values(&FACE_ROWS, values).await
    }

    pub(super) async fn flush_courses(
        &mut self,
        batch: Vec<Pending<CourseRecord>>,
    ) -> StoreResult<()> {
        const T: Table = Table::Courses;
        let platforms: Vec<String> = batch
            .iter()
            .map(|p| p.rec.platform.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let txn = self.settled().await?;
        let existing: HashMap<(String, String), course::Model> = course::Entity::find()
            .filter(course::Column::Platform.is_in(platforms))
            .all(&*txn)
            .await?
            .into_iter()
            .map(|m| ((m.platform.clone(), m.course_no.clone()), m))
            .collect();
        let mut counts = Counts::default();
        let mut rows = Vec::new();
        for Pending { row, rec, cells } in batch {
            counts.read += 1;
            if let Some(first) = self.repeat(T, &[&rec.platform, &rec.course_no], row) {
                reject(
                    &mut self.report,
                    T,
                    row,
                    "课程编号",
                    format!("与第{first}行重复（同一平台的课程编号只能出现一次）"),
                    cells,
                );
                continue;
            }
            match existing.get(&(rec.platform.clone(), rec.course_no.clone())) {
                Some(o)
                    if o.title == rec.title
                        && o.video_secs == rec.video_secs
                        && o.hours == rec.hours =>
                {
                    counts.unchanged += 1;
                }
                Some(o) => {
                    self.changes.record(
                        format!("课程 {} {}", rec.platform, rec.course_no),
                        &[
                            ("课程名称", o.title.clone(), rec.title.clone()),
                            (
                                "视频时长秒数",
                                o.video_secs.to_string(),
                                rec.video_secs.to_string(),
                            ),
                            ("学时", o.hours.to_string(), rec.hours.to_string()),
                        ],
                    );
                    let mut am = o.clone().into_active_model();
                    am.title = Set(rec.title);
                    am.video_secs = Set(rec.video_secs);
                    am.hours = Set(rec.hours);
                    self.settle().await?;
                    am.update(&*self.txn).await?;
                    counts.updated += 1;
                }
                None => {
                    rows.push(course::ActiveModel {
                        id: NotSet,
                        platform: Set(rec.platform),
                        course_no: Set(rec.course_no),
                        title: Set(rec.title),
                        video_secs: Set(rec.video_secs),
                        hours: Set(rec.hours),
                        provider_id: Set(self.provider.id),
                        created_at: Set(self.now),
                    });
                    counts.inserted += 1;
                }
            }
        }
        self.add_counts(T, counts);
        self.dispatch(rows).await
    }

    pub(super) async fn flush_online_exams(
        &mut self,
        batch: Vec<Pending<OnlineExamRecord>>,
    ) -> StoreResult<()> {
        const T: Table = Table::OnlineExams;
        let keys = self.log_keys(&batch, |r| r.id_number.as_str()).await?;
        let existing: HashMap<(String, String, String), exam::Model> = self
            .stored_of::<exam::Entity>(T, &keys, exam::Column::IdBidx)
            .await?
            .into_iter()
            .map(|m| {
                (
                    (m.id_bidx.clone(), m.platform.clone(), m.exam_no.clone()),
                    m,
                )
            })
            .collect();
        let mut counts = Counts::default();
        let mut rows = Vec::new();
        for (Pending { row, rec, cells }, bidx) in batch.into_iter().zip(keys) {
            counts.read += 1;
            let h = match self.log_person(&bidx) {
                Ok(h) => h,
                Err(why) => {
                    reject(&mut self.report, T, row, "身份证号", why.into(), cells);
                    continue;
                }
            };
            if let Some(first) = self.repeat(T, &[&bidx, &rec.platform, &rec.exam_no], row) {
                reject(
                    &mut self.report,
                    T,
                    row,
                    "考试编号",
                    format!("与第{first}行重复（同一平台、身份证号和考试编号的考试只能有一条）"),
                    cells,
                );
                continue;
            }
            match existing.get(&(bidx.clone(), rec.platform.clone(), rec.exam_no.clone())) {
                Some(o)
                    if o.start_at == rec.start
                        && o.end_at == rec.end
                        && o.questions == rec.questions
                        && o.score == rec.score =>
                {
                    counts.unchanged += 1;
                }
                Some(o) => {
                    self.changes.record(
                        format!("在线考试 {} {}", h.name, rec.exam_no),
                        &[
                            ("开始时间", o.start_at.to_string(), rec.start.to_string()),
                            ("结束时间", o.end_at.to_string(), rec.end.to_string()),
                            ("题量", o.questions.to_string(), rec.questions.to_string()),
                            ("成绩", o.score.to_string(), rec.score.to_string()),
                        ],
                    );
                    let mut am = o.clone().into_active_model();
                    am.start_at = Set(rec.start);
                    am.end_at = Set(rec.end);
                    am.questions = Set(rec.questions);
                    am.score = Set(rec.score);
                    self.settle().await?;
                    am.update(&*self.txn).await?;
                    counts.updated += 1;
                }
                None => {
                    rows.push(exam::ActiveModel {
                        id: NotSet,
                        platform: Set(rec.platform),
                        id_bidx: Set(bidx),
                        person_id: Set(h.id),
                        subject_id: Set(h.subject),
                        provider_id: Set(self.provider.id),
                        exam_no: Set(rec.exam_no),
                        start_at: Set(rec.start),
                        end_at: Set(rec.end),
                        questions: Set(rec.questions),
                        score: Set(rec.score),
                        created_at: Set(self.now),
                    });
                    counts.inserted += 1;
                }
            }
        }
        self.add_counts(T, counts);
        self.dispatch(rows).await
    }
}
