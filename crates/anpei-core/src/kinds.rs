//! The closed vocabularies of the notice and the regulations: kinds of subject, posts,
//! certificate types, training types and forms, special-operation categories. Each has a
//! stable English `code` (API, database) and the Chinese `label` users read and import.

use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $code:literal, $label:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[cfg_attr(feature = "sea-orm", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
        #[cfg_attr(feature = "sea-orm", sea_orm(rs_type = "String", db_type = "Text"))]
        pub enum $name { $(#[cfg_attr(feature = "sea-orm", sea_orm(string_value = $code))] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code used in the database and the API.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The Chinese name users read and write in spreadsheets.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn from_code(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == s)
            }

            pub fn from_label(s: &str) -> Option<Self> {
                let s = crate::ids::trim_cell(s);
                Self::ALL.iter().copied().find(|v| v.label() == s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

vocabulary! {
    /// The four kinds of supervised subject (监管对象) of notice §二.
    SubjectKind {
        Enterprise => "enterprise", "生产经营单位";
        TrainingInstitution => "training_institution", "安全培训机构";
        ExamSite => "exam_site", "考试点";
        ExamInstitution => "exam_institution", "考试机构";
    }
}

vocabulary! {
    /// The post (岗位类别) a person holds at his employer.
    Post {
        PrincipalManager => "principal_manager", "主要负责人";
        SafetyManager => "safety_manager", "安全生产管理人员";
        SpecialOperator => "special_operator", "特种作业人员";
        Employee => "employee", "一般从业人员";
    }
}

impl Post {
    /// "Manager" in the ledger checks (the rule catalogue): 主要负责人 or 安全生产管理人员.
    pub fn is_manager(self) -> bool {
        matches!(self, Post::PrincipalManager | Post::SafetyManager)
    }
}

vocabulary! {
    /// The two certificates the regulations know.
    CertType {
        ManagerCompetency => "manager_competency", "安全生产知识和管理能力考核合格证";
        SpecialOperation => "special_operation", "特种作业操作证";
    }
}

vocabulary! {
    /// 培训类型.
    TrainingType {
        Initial => "initial", "初次培训";
        PreJob => "pre_job", "岗前培训";
        Retraining => "retraining", "再培训";
        Review => "review", "复审培训";
        Transfer => "transfer", "转岗培训";
        ThreeLevel => "three_level", "三级教育";
        Other => "other", "其他";
    }
}

vocabulary! {
    /// 培训形式: one 学时 is 45 minutes offline and 30 online (AQ 8011-2023).
    TrainingForm {
        Offline => "offline", "线下";
        Online => "online", "线上";
    }
}

/// A special-operation category (特种作业类别) with examples of its 操作项目.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecialOpCategory {
    pub name: &'static str,
    pub items: &'static [&'static str],
}

pub const SPECIAL_OP_CATEGORIES: &[SpecialOpCategory] = &[
    SpecialOpCategory {
        name: "电工作业",
        items: &[
            "高压电工作业",
            "低压电工作业",
            "防爆电气作业",
            "电力电缆作业",
            "继电保护作业",
            "电气试验作业",
        ],
    },
    SpecialOpCategory {
        name: "焊接与热切割作业",
        items: &["熔化焊接与热切割作业", "压力焊作业", "钎焊作业"],
    },
    SpecialOpCategory {
        name: "高处作业",
        items: &["登高架设作业", "高处安装、维护、拆除作业"],
    },
    SpecialOpCategory {
        name: "制冷与空调作业",
        items: &["制冷与空调设备运行操作作业", "制冷与空调设备安装修理作业"],
    },
    SpecialOpCategory {
        name: "煤矿安全作业",
        items: &["煤矿井下电气作业", "煤矿瓦斯检查作业"],
    },
    SpecialOpCategory {
        name: "金属非金属矿山安全作业",
        items: &[
            "金属非金属矿井通风作业",
            "金属非金属矿山爆破作业",
            "露天矿山作业",
        ],
    },
    SpecialOpCategory {
        name: "石油天然气安全作业",
        items: &["司钻作业"],
    },
    SpecialOpCategory {
        name: "冶金（有色）生产安全作业",
        items: &["煤气作业"],
    },
    SpecialOpCategory {
        name: "危险化学品安全作业",
        items: &[
            "光气及光气化工艺作业",
            "氯碱电解工艺作业",
            "氯化工艺作业",
            "硝化工艺作业",
            "合成氨工艺作业",
            "裂解（裂化）工艺作业",
            "氟化工艺作业",
            "加氢工艺作业",
            "重氮化工艺作业",
            "氧化工艺作业",
            "过氧化工艺作业",
            "胺基化工艺作业",
            "磺化工艺作业",
            "聚合工艺作业",
            "烷基化工艺作业",
            "化工自动化控制仪表作业",
        ],
    },
    SpecialOpCategory {
        name: "烟花爆竹安全作业",
        items: &[
            "烟火药制造作业",
            "黑火药制造作业",
            "引火线制造作业",
            "烟花爆竹产品涉药作业",
            "烟花爆竹储存作业",
        ],
    },
];

pub fn special_op_category(name: &str) -> Option<&'static SpecialOpCategory> {
    let name = crate::ids::trim_cell(name);
    SPECIAL_OP_CATEGORIES.iter().find(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vocabulary_round_trips_through_code_and_label() {
        for k in SubjectKind::ALL {
            assert_eq!(SubjectKind::from_code(k.code()), Some(*k));
            assert_eq!(SubjectKind::from_label(k.label()), Some(*k));
        }
        for p in Post::ALL {
            assert_eq!(Post::from_label(p.label()), Some(*p));
        }
        assert_eq!(
            TrainingType::from_label(" 复审培训 "),
            Some(TrainingType::Review)
        );
        assert_eq!(
            CertType::from_label("特种作业操作证"),
            Some(CertType::SpecialOperation)
        );
    }

    #[test]
    fn managers_are_the_principal_and_safety_managers() {
        assert!(Post::PrincipalManager.is_manager());
        assert!(Post::SafetyManager.is_manager());
        assert!(!Post::SpecialOperator.is_manager());
        assert!(!Post::Employee.is_manager());
    }

    #[test]
    fn finds_special_op_categories_by_name() {
        assert!(special_op_category("电工作业")
            .unwrap()
            .items
            .contains(&"低压电工作业"));
        assert!(special_op_category("魔法作业").is_none());
    }
}

/// Industry names that mean one industry of the reference list: the road-transport trade
/// was listed three times (交通运输, 道路运输, 道路交通) under two departments, and a subject
/// landed in one or the other by the word its clerk chose. Old imports and forms that use
/// the other names are read as 道路运输.
pub const INDUSTRY_ALIASES: &[(&str, &str)] = &[
    ("交通运输", "道路运输"),
    ("道路交通", "道路运输"),
    ("道路交通运输", "道路运输"),
    ("公路运输", "道路运输"),
];

/// The reference list's name of an industry given by one of its other names, or the name
/// itself.
pub fn canonical_industry(name: &str) -> &str {
    let name = name.trim();
    INDUSTRY_ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, canonical)| canonical)
}

#[cfg(test)]
mod industry_tests {
    use super::canonical_industry;

    #[test]
    fn the_road_transport_names_are_one_industry() {
        for n in ["交通运输", "道路交通", " 道路运输 ", "道路交通运输"] {
            assert_eq!(canonical_industry(n), "道路运输", "{n}");
        }
        assert_eq!(canonical_industry("水路运输"), "水路运输");
        assert_eq!(canonical_industry("危险化学品"), "危险化学品");
    }
}
