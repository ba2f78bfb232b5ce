//! How each table's rows are bound for the batched inserts, and the code lists whose values are
//! stored as codes.

use super::*;

/// How training rows are inserted (see `flush_trainings` for the values of a row).
pub(super) static TRAINING_ROWS: LazyLock<Shape> = LazyLock::new(|| {
    Shape::new(
        "trainings",
        vec![
            ("person_id", Bind::Value),
            ("subject_id", Bind::Value),
            ("training_type", Bind::Coded(TRAINING_TYPES.to_vec())),
            ("form", Bind::Coded(TRAINING_FORMS.to_vec())),
            ("start_at", Bind::Value),
            ("end_at", Bind::Value),
            ("theory_hours", Bind::Value),
            ("practical_hours", Bind::Value),
            ("institution", Bind::Value),
            ("score", Bind::Value),
            ("result", Bind::Usual(USUAL_RESULTS.to_vec())),
            ("created_at", Bind::Value),
        ],
    )
});

/// How person rows are inserted (see `flush_persons`).
pub(super) static PERSON_ROWS: LazyLock<Shape> = LazyLock::new(|| {
    Shape::new(
        "persons",
        vec![
            ("subject_id", Bind::Value),
            ("name", Bind::Value),
            ("id_enc", Bind::Value),
            ("id_bidx", Bind::Value),
            ("id_masked", Bind::Value),
            ("phone_enc", Bind::Value),
            ("phone_masked", Bind::Value),
            ("post", Bind::Coded(POSTS.clone())),
            ("special_category", Bind::Usual(CATEGORIES.clone())),
            ("appointed_on", Bind::Value),
            ("created_at", Bind::Value),
            ("updated_at", Bind::Value),
        ],
    )
});

/// How certificate rows are inserted (see `flush_certificates`).
pub(super) static CERTIFICATE_ROWS: LazyLock<Shape> = LazyLock::new(|| {
    Shape::new(
        "certificates",
        vec![
            ("person_id", Bind::Value),
            ("cert_type", Bind::Coded(CERT_TYPES.clone())),
            ("cert_no_enc", Bind::Value),
            ("cert_no_masked", Bind::Value),
            ("cert_no_bidx", Bind::Value),
            ("category", Bind::Usual(CATEGORIES.clone())),
            ("operation_item", Bind::Usual(OPERATION_ITEMS.clone())),
            ("first_issued", Bind::Value),
            ("valid_from", Bind::Value),
            ("valid_until", Bind::Value),
            ("review_due", Bind::Value),
            ("reviewed_on", Bind::Value),
            ("issuer", Bind::Value),
            ("created_at", Bind::Value),
        ],
    )
});

/// How registry rows are inserted (see `flush_registry`).
pub(super) static REGISTRY_ROWS: LazyLock<Shape> = LazyLock::new(|| {
    Shape::new(
        "registry_entries",
        vec![
            ("cert_type", Bind::Coded(CERT_TYPES.clone())),
            ("cert_no_enc", Bind::Value),
            ("cert_no_bidx", Bind::Value),
            ("cert_no_masked", Bind::Value),
            ("holder_bidx", Bind::Value),
            ("holder_masked", Bind::Value),
            ("name", Bind::Value),
            ("category", Bind::Usual(CATEGORIES.clone())),
            ("operation_item", Bind::Usual(OPERATION_ITEMS.clone())),
            ("first_issued", Bind::Value),
            ("valid_from", Bind::Value),
            ("valid_until", Bind::Value),
            ("review_due", Bind::Value),
            ("reviewed_on", Bind::Value),
            ("issuer", Bind::Value),
            ("created_at", Bind::Value),
            ("updated_at", Bind::Value),
        ],
    )
});

pub(super) static POSTS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| Post::ALL.iter().map(|p| p.code()).collect());
pub(super) static CERT_TYPES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| CertType::ALL.iter().map(|t| t.code()).collect());
/// The special-operation categories (作业类别) and their 操作项目, as imports store them.
pub(super) static CATEGORIES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| SPECIAL_OP_CATEGORIES.iter().map(|c| c.name).collect());
pub(super) static OPERATION_ITEMS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut items: Vec<&'static str> = SPECIAL_OP_CATEGORIES
        .iter()
        .flat_map(|c| c.items.iter().copied())
        .collect();
    items.sort_unstable();
    items.dedup();
    items
});
pub(super) static TRAINING_TYPES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| TrainingType::ALL.iter().map(|t| t.code()).collect());
pub(super) static TRAINING_FORMS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| TrainingForm::ALL.iter().map(|t| t.code()).collect());
/// 考核结果 as ledgers mostly write it.
pub(super) const USUAL_RESULTS: [&str; 2] = ["合格", "不合格"];
