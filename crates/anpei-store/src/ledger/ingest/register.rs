//! 登记库 rows: the authority's certificate register, imported by district users only.

use super::*;

impl Ingest<'_> {
    pub(super) async fn flush_registry(
        &mut self,
        batch: Vec<Pending<CertificateRecord>>,
    ) -> StoreResult<()> {
        let c = &self.store.crypto;
        let keys: Vec<String> = batch
            .iter()
            .map(|p| c.blind_index(&p.rec.cert_no))
            .collect();
        let lookup = if self.empty_at_start.contains(&Table::Registry) {
            Vec::new()
        } else {
            keys.clone()
        };
        let existing: HashMap<String, registry::Model> = if lookup.is_empty() {
            Vec::new()
        } else {
            registry::Entity::find()
                .filter(registry::Column::CertNoBidx.is_in(lookup))
                .all(&*self.settled().await?)
                .await?
        }
        .into_iter()
        .map(|m| (m.cert_no_bidx.clone(), m))
        .collect();
        let backend = self.store.backend();
        let mut values: Vec<Value> = Vec::with_capacity(batch.len() * REGISTRY_ROWS.params());
        let mut inserted = 0u64;
        for (Pending { row, rec, cells }, key) in batch.into_iter().zip(keys) {
            self.report.counts.entry(Table::Registry).or_default().read += 1;
            if !self.scope.is_district_level() {
                reject(
                    &mut self.report,
                    Table::Registry,
                    row,
                    "",
                    "只有区级用户可以导入证书登记库，请删除“登记库”工作表后再导入".into(),
                    cells,
                );
                continue;
            }
            if let Some(first) = self.duplicate(Table::Registry, &key, row) {
                reject(
                    &mut self.report,
                    Table::Registry,
                    row,
                    "证书编号",
                    format!("与第{first}行重复，同一证书只应填写一行"),
                    cells,
                );
                continue;
            }
            let holder = c.blind_index(rec.id_number.as_str());
            match existing.get(&key) {
                Some(o) => {
                    let same = o.holder_bidx == holder
                        && o.name == rec.name
                        && o.cert_type == rec.cert_type.code()
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
                            .entry(Table::Registry)
                            .or_default()
                            .unchanged += 1;
                    } else {
                        let mut am = o.clone().into_active_model();
                        am.holder_bidx = Set(holder);
                        am.holder_masked = Set(rec.id_number.masked());
                        am.name = Set(rec.name);
                        am.cert_type = Set(rec.cert_type.code().into());
                        am.category = Set(rec.category);
                        am.operation_item = Set(rec.operation_item);
                        am.first_issued = Set(rec.first_issued);
                        am.valid_from = Set(rec.valid_from);
                        am.valid_until = Set(rec.valid_until);
                        am.review_due = Set(rec.review_due);
                        am.reviewed_on = Set(rec.reviewed_on);
                        am.issuer = Set(rec.issuer);
                        am.updated_at = Set(self.now);
                        self.settle().await?;
                        am.update(&*self.txn).await?;
                        self.report
                            .counts
                            .entry(Table::Registry)
                            .or_default()
                            .updated += 1;
                    }
                }
                None => {
                    // In REGISTRY_ROWS order.
                    let [cat_code, cat_text] = usual(&CATEGORIES, rec.category);
                    let [item_code, item_text] = usual(&OPERATION_ITEMS, rec.operation_item);
                    values.extend([
                        coded(&CERT_TYPES, Some(rec.cert_type.code())),
                        Value::Bytes(Some(Box::new(c.encrypt(&rec.cert_no)))),
                        Value::String(Some(Box::new(key))),
                        Value::String(Some(Box::new(mask_id(&rec.cert_no)))),
                        Value::String(Some(Box::new(holder))),
                        Value::String(Some(Box::new(rec.id_number.masked()))),
                        Value::String(Some(Box::new(rec.name))),
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
                        Value::BigInt(Some(self.now)),
                    ]);
                    inserted += 1;
                }
            }
        }
        self.report
            .counts
            .entry(Table::Registry)
            .or_default()
            .inserted += inserted;
        self.dispatch_values(&REGISTRY_ROWS, values).await
    }
}
