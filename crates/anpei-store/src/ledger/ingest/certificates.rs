//! 证书 rows: attached only to the writer's own row of the holder, under the holder's stored 姓名.

use super::*;

impl Ingest<'_> {
    pub(super) async fn flush_certificates(
        &mut self,
        batch: Vec<Pending<CertificateRecord>>,
    ) -> StoreResult<()> {
        let c = &self.store.crypto;
        self.resolve_persons(
            batch
                .iter()
                .map(|p| c.blind_index(p.rec.id_number.as_str())),
        )
        .await?;
        let keys: Vec<String> = batch
            .iter()
            .map(|p| c.blind_index(&p.rec.cert_no))
            .collect();
        let lookup = if self.empty_at_start.contains(&Table::Certificates) {
            Vec::new()
        } else {
            keys.clone()
        };
        // A certificate row is the holder's row's: the same number recorded by another
        // employer for its own row of the worker is that employer's, and stays as it is.
        let existing: HashMap<(String, i32), certificate::Model> = if lookup.is_empty() {
            Vec::new()
        } else {
            certificate::Entity::find()
                .filter(certificate::Column::CertNoBidx.is_in(lookup))
                .all(&*self.settled().await?)
                .await?
        }
        .into_iter()
        .map(|m| ((m.cert_no_bidx.clone(), m.person_id), m))
        .collect();
        let backend = self.store.backend();
        let mut values: Vec<Value> = Vec::with_capacity(batch.len() * CERTIFICATE_ROWS.params());
        let mut inserted = 0u64;
        for (Pending { row, rec, cells }, key) in batch.into_iter().zip(keys) {
            self.report
                .counts
                .entry(Table::Certificates)
                .or_default()
                .read += 1;
            let mut faults = Vec::new();
            if let Some(first) = self.duplicate(Table::Certificates, &key, row) {
                faults.push(Fault::new(
                    "证书编号",
                    format!("与第{first}行重复，同一证书只应填写一行"),
                ));
            }
            let holder = c.blind_index(rec.id_number.as_str());
            let h = self.certificate_holder(&holder);
            match h {
                None => faults.push(Fault::new(
                    "身份证号",
                    "持证人不在您管辖范围内的人员台账中，应先在“人员”表中登记此人",
                )),
                Some(h) if h.name != rec.name => faults.push(Fault::new(
                    "姓名",
                    format!("与人员台账中该身份证号登记的姓名不一致，应为“{}”", h.name),
                )),
                Some(_) => {}
            }
            let (Some(h), true) = (h, faults.is_empty()) else {
                reject_all(&mut self.report, Table::Certificates, row, faults, cells);
                continue;
            };
            let pid = h.id;
            match existing.get(&(key.clone(), pid)) {
                Some(o) => {
                    let same = o.cert_type == rec.cert_type.code()
                        && o.category == rec.category
                        && o.operation_item == rec.operation_item
                        && o.first_issued == rec.first_issued
                        && o.valid_from == rec.valid_from
                        && o.valid_until == rec.valid_until
                        && o.review_due == rec.review_due
                        && o.reviewed_on == rec.reviewed_on
                        && o.issuer == rec.issuer;
                    if same {
                        self.report
                            .counts
                            .entry(Table::Certificates)
                            .or_default()
                            .unchanged += 1;
                    } else {
                        self.changes.record(
                            format!("证书 {}", o.cert_no_masked),
                            &[
                                (
                                    "证书类型",
                                    label(
                                        CertType::from_code(&o.cert_type).map(CertType::label),
                                        &o.cert_type,
                                    ),
                                    rec.cert_type.label().to_string(),
                                ),
                                ("作业类别", opt(&o.category), opt(&rec.category)),
                                ("操作项目", opt(&o.operation_item), opt(&rec.operation_item)),
                                (
                                    "初领日期",
                                    opt_date(&o.first_issued),
                                    opt_date(&rec.first_issued),
                                ),
                                (
                                    "有效期起",
                                    opt_date(&o.valid_from),
                                    opt_date(&rec.valid_from),
                                ),
                                (
                                    "有效期止",
                                    opt_date(&o.valid_until),
                                    opt_date(&rec.valid_until),
                                ),
                                (
                                    "应复审日期",
                                    opt_date(&o.review_due),
                                    opt_date(&rec.review_due),
                                ),
                                (
                                    "实际复审日期",
                                    opt_date(&o.reviewed_on),
                                    opt_date(&rec.reviewed_on),
                                ),
                                ("发证机关", opt(&o.issuer), opt(&rec.issuer)),
                            ],
                        );
                        let mut am = o.clone().into_active_model();
                        am.cert_type = Set(rec.cert_type.code().into());
                        am.category = Set(rec.category);
                        am.operation_item = Set(rec.operation_item);
                        am.first_issued = Set(rec.first_issued);
                        am.valid_from = Set(rec.valid_from);
                        am.valid_until = Set(rec.valid_until);
                        am.review_due = Set(rec.review_due);
                        am.reviewed_on = Set(rec.reviewed_on);
                        am.issuer = Set(rec.issuer);
                        self.settle().await?;
                        am.update(&*self.txn).await?;
                        self.report
                            .counts
                            .entry(Table::Certificates)
                            .or_default()
                            .updated += 1;
                    }
                }
                None => {
                    // In CERTIFICATE_ROWS order.
                    let [cat_code, cat_text] = usual(&CATEGORIES, rec.category);
                    let [item_code, item_text] = usual(&OPERATION_ITEMS, rec.operation_item);
                    values.extend([
                        Value::Int(Some(pid)),
                        coded(&CERT_TYPES, Some(rec.cert_type.code())),
                        Value::Bytes(Some(Box::new(c.encrypt(&rec.cert_no)))),
                        Value::String(Some(Box::new(mask_id(&rec.cert_no)))),
                        Value::String(Some(Box::new(key))),
                        cat_code,
                        cat_text,
                        item_code,
                        item_text,
                        date(backend, rec.first_issued),
                        date(backend, rec.valid_from),
                        date(backend, rec.valid_until),
                        date(backend, rec.review_due),
                        date(backend, rec.reviewed_on),
                        Value::String(rec.issuer.map(Box::new)),
                        Value::BigInt(Some(self.now)),
                    ]);
                    inserted += 1;
                }
            }
        }
        self.report
            .counts
            .entry(Table::Certificates)
            .or_default()
            .inserted += inserted;
        self.dispatch_values(&CERTIFICATE_ROWS, values).await
    }
}
