//! Word pools for plausible Chinese names of people, enterprises, institutions, roads.

use super::rng::Rng;

/// Common surnames, roughly by frequency (the weight is the second element).
const SURNAMES: &[(&str, u32)] = &[
    ("王", 72),
    ("李", 70),
    ("张", 67),
    ("刘", 55),
    ("陈", 50),
    ("杨", 34),
    ("黄", 25),
    ("赵", 21),
    ("吴", 20),
    ("周", 20),
    ("徐", 16),
    ("孙", 15),
    ("马", 14),
    ("朱", 13),
    ("胡", 13),
    ("郭", 12),
    ("何", 12),
    ("高", 11),
    ("林", 11),
    ("罗", 11),
    ("郑", 10),
    ("梁", 10),
    ("谢", 8),
    ("宋", 8),
    ("唐", 8),
    ("许", 7),
    ("韩", 7),
    ("冯", 7),
    ("邓", 7),
    ("曹", 7),
    ("彭", 7),
    ("曾", 6),
    ("肖", 6),
    ("田", 6),
    ("董", 6),
    ("袁", 5),
    ("潘", 5),
    ("于", 5),
    ("蒋", 5),
    ("蔡", 5),
    ("余", 5),
    ("杜", 5),
    ("叶", 5),
    ("程", 5),
    ("苏", 4),
    ("魏", 4),
    ("吕", 4),
    ("丁", 4),
    ("任", 4),
    ("沈", 4),
    ("姚", 4),
    ("卢", 4),
    ("姜", 3),
    ("崔", 3),
    ("钟", 3),
    ("谭", 4),
    ("陆", 3),
    ("汪", 3),
    ("范", 3),
    ("金", 3),
    ("石", 3),
    ("廖", 3),
    ("贾", 3),
    ("夏", 3),
    ("韦", 2),
    ("付", 3),
    ("方", 3),
    ("白", 2),
    ("邹", 2),
    ("孟", 2),
    ("熊", 3),
    ("秦", 2),
    ("邱", 2),
    ("江", 2),
    ("尹", 2),
    ("薛", 2),
    ("闫", 2),
    ("段", 2),
    ("雷", 2),
    ("侯", 2),
    ("龙", 2),
    ("史", 2),
    ("陶", 2),
    ("黎", 2),
    ("贺", 2),
    ("顾", 2),
    ("毛", 2),
    ("郝", 2),
    ("冉", 2),
    ("向", 2),
    ("牟", 1),
    ("母", 1),
    ("况", 1),
    ("蒲", 1),
    ("税", 1),
    ("欧阳", 1),
];

const MALE_CHARS: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞",
    "鑫", "波", "宇", "浩", "凯", "健", "俊", "帆", "帅", "旭", "宁", "龙", "林", "洋", "峰", "建",
    "国", "志", "文", "东", "海", "亮", "成", "兵", "彬", "毅", "江", "川", "松", "德", "福", "贵",
    "荣", "晨", "阳", "睿", "博", "然", "永", "胜", "兴", "红", "春", "卫",
];

const FEMALE_CHARS: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀", "玲", "燕", "琳", "婷", "雪", "慧", "颖",
    "倩", "莉", "萍", "红", "梅", "丹", "蓉", "佳", "欣", "悦", "璐", "瑶", "怡", "琴", "兰", "凤",
    "洁", "晶", "妍", "英", "华", "薇", "春", "莹",
];

/// Characters for trade names (字号) and road names.
const TRADE_CHARS: &[&str] = &[
    "华", "鑫", "渝", "通", "兴", "盛", "达", "泰", "源", "恒", "鼎", "锦", "宏", "瑞", "德", "嘉",
    "隆", "顺", "祥", "丰", "安", "康", "合", "创", "博", "辉", "昌", "荣", "信", "诚", "金", "银",
    "天", "龙", "江", "川", "巴", "山", "峰", "宇", "航", "远", "新", "益", "佳", "美", "联", "众",
    "海", "腾", "飞", "永", "立", "正", "和", "明", "光", "中", "成", "凯", "力", "弘", "邦", "汇",
    "润", "捷", "晟", "奥", "科", "宝", "亿", "元", "万", "富", "民",
];

/// Real trunk roads of the district, mixed with generated road names for addresses.
const ROADS: &[&str] = &[
    "金开大道",
    "龙华大道",
    "红锦大道",
    "黄山大道",
    "财富大道",
    "宝圣大道",
    "龙兴大道",
    "空港大道",
    "渝鲁大道",
    "兴科大道",
    "双龙大道",
    "桃源路",
    "松石大道",
    "金石大道",
    "龙山路",
    "龙塔路",
    "新南路",
    "加州路",
    "泰山大道",
    "回兴路",
    "长安路",
    "兰馨大道",
    "青枫北路",
    "星光大道",
];

/// Surname + one or two given-name characters; `surname_weights` from [`surname_weights`].
pub(crate) fn person_name(rng: &mut Rng, male: bool, surname_weights: &[u32]) -> String {
    let mut s = String::with_capacity(9);
    s.push_str(SURNAMES[rng.weighted(surname_weights)].0);
    let pool = if male { MALE_CHARS } else { FEMALE_CHARS };
    let first = *rng.pick(pool);
    s.push_str(first);
    if rng.chance(0.72) {
        let second = *rng.pick(pool);
        // Doubled characters (婷婷) are common in women's names only.
        if second != first || !male {
            s.push_str(second);
        } else {
            s.push_str(rng.pick::<&str>(pool));
        }
    }
    s
}

pub(crate) fn surname_weights() -> Vec<u32> {
    SURNAMES.iter().map(|s| s.1).collect()
}

/// The same person's name with its last character replaced: what a forged or mistyped
/// certificate shows (`王伟` → `王玮`-like).
pub(crate) fn altered_name(rng: &mut Rng, name: &str) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    let last = *chars.last().unwrap_or(&'伟');
    loop {
        let c = rng.pick(MALE_CHARS).chars().next().unwrap_or('伟');
        if c != last {
            if let Some(x) = chars.last_mut() {
                *x = c;
            }
            return chars.into_iter().collect();
        }
    }
}

/// A two-character trade name (字号) of two different characters.
pub(crate) fn trade_name(rng: &mut Rng) -> String {
    let a = rng.index(TRADE_CHARS.len());
    let mut b = rng.index(TRADE_CHARS.len() - 1);
    if b >= a {
        b += 1;
    }
    format!("{}{}", TRADE_CHARS[a], TRADE_CHARS[b])
}

/// The words an enterprise of an industry puts between its 字号 and its legal form.
pub(crate) fn industry_words(industry: &str) -> &'static [&'static str] {
    match industry {
        "危险化学品" => &[
            "化工",
            "精细化工",
            "化学品",
            "石化",
            "工业气体",
            "新材料",
            "涂料",
        ],
        "非煤矿山" => &["矿业", "建材矿业", "石材开采", "砂石", "采石"],
        "烟花爆竹" => &["烟花爆竹", "烟花爆竹经营", "花炮"],
        "金属冶炼" => &["冶金", "铝业", "有色金属", "铸造", "特钢", "金属材料"],
        "煤矿" => &["煤业", "能源开发"],
        "工贸" => &[
            "机械制造",
            "五金制品",
            "家具",
            "食品",
            "纺织",
            "塑胶",
            "包装印务",
            "粮油",
        ],
        "工业企业" => &[
            "汽车零部件",
            "电子科技",
            "机电设备",
            "精密制造",
            "新能源科技",
            "摩托车配件",
        ],
        "电力" => &["电力", "能源", "供电工程", "电力安装"],
        "建筑施工" => &["建筑工程", "建设", "建工", "市政工程", "建筑劳务", "路桥"],
        "燃气" => &["燃气", "天然气", "液化气"],
        "道路运输" => &[
            "道路运输",
            "物流",
            "客运",
            "货运",
            "危货运输",
            "运业",
            "公交",
            "汽车租赁",
        ],
        "水路运输" => &["航运", "港务", "船务"],
        "特种设备" => &["电梯", "起重设备", "锅炉安装", "压力容器"],
        "商贸" => &["商贸", "超市", "百货", "商业管理", "仓储"],
        "成品油流通" => &["石油销售", "能源", "油品"],
        "学校" => &["教育科技", "教育发展", "职业培训"],
        "医疗机构" => &["医院管理", "医疗", "健康管理"],
        "市政设施" => &["市政工程", "市政设施管理", "环境工程"],
        "城镇燃气管网" => &["燃气管网", "燃气工程"],
        "农业机械" => &["农机", "农业机械", "农业开发"],
        "渔业船舶" => &["渔业", "水产"],
        "文化娱乐场所" => &["文化传播", "娱乐", "影院管理", "酒店管理"],
        "旅游景区" => &["旅游开发", "文旅", "景区管理"],
        "民用爆炸物品" => &["民爆器材", "爆破工程"],
        "消防安全" => &["消防工程", "消防技术", "物业管理"],
        _ => &[],
    }
}

/// 重庆 + 字号 + industry word + legal form, e.g. 重庆华鑫建筑工程有限公司.
pub(crate) fn enterprise_name(rng: &mut Rng, industry: &str) -> String {
    let words = industry_words(industry);
    let word = if words.is_empty() {
        industry
    } else {
        rng.pick(words)
    };
    let form = if rng.chance(0.78) {
        "有限公司"
    } else {
        "有限责任公司"
    };
    let city = if rng.chance(0.12) {
        "重庆市"
    } else {
        "重庆"
    };
    format!("{city}{}{word}{form}", trade_name(rng))
}

pub(crate) fn training_institution_name(rng: &mut Rng) -> String {
    let t = trade_name(rng);
    match rng.below(5) {
        0 | 1 => format!("重庆{t}安全技术培训学校"),
        2 => format!("重庆{t}职业培训学校"),
        3 => format!("重庆市渝北区{t}安全生产培训中心"),
        _ => format!("重庆{t}安全技术培训有限公司"),
    }
}

pub(crate) fn exam_site_name(rng: &mut Rng) -> String {
    let t = trade_name(rng);
    match rng.below(3) {
        0 | 1 => format!("渝北区{t}安全技术考试点"),
        _ => format!("渝北区{t}特种作业考试点"),
    }
}

pub(crate) fn exam_institution_name(rng: &mut Rng) -> String {
    let t = trade_name(rng);
    match rng.below(3) {
        0 | 1 => format!("重庆市渝北区{t}安全生产考试中心"),
        _ => format!("重庆{t}安全技能考核中心"),
    }
}

/// 重庆市渝北区{town}{road}{n}号.
pub(crate) fn address(rng: &mut Rng, town: &str) -> String {
    let road = if rng.chance(0.5) {
        (*rng.pick(ROADS)).to_string()
    } else {
        let suffix = ["路", "路", "街", "大道"][rng.index(4)];
        format!("{}{suffix}", trade_name(rng))
    };
    let n = rng.range(1, 399);
    if rng.chance(0.15) {
        format!("重庆市渝北区{town}{road}{n}号{}栋", rng.range(1, 12))
    } else {
        format!("重庆市渝北区{town}{road}{n}号")
    }
}

/// A mainland mobile number: 1, then 3–9, then nine more digits.
pub(crate) fn mobile(rng: &mut Rng) -> String {
    const SECOND: [u32; 7] = [30, 2, 25, 2, 8, 25, 8]; // 3 4 5 6 7 8 9
    let second = 3 + rng.weighted(&SECOND);
    format!("1{second}{:09}", rng.below(1_000_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_numbers_have_eleven_digits_and_a_valid_prefix() {
        let mut r = Rng::new(3);
        for _ in 0..1000 {
            let m = mobile(&mut r);
            assert_eq!(m.len(), 11);
            assert!(m.starts_with('1'));
            assert!((b'3'..=b'9').contains(&m.as_bytes()[1]));
            assert!(m.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn person_names_are_two_to_four_characters() {
        let mut r = Rng::new(5);
        let w = surname_weights();
        for i in 0..1000 {
            let n = person_name(&mut r, i % 2 == 0, &w).chars().count();
            assert!((2..=4).contains(&n));
        }
    }

    #[test]
    fn an_altered_name_differs_only_in_its_last_character() {
        let mut r = Rng::new(8);
        let a = altered_name(&mut r, "王伟");
        assert_ne!(a, "王伟");
        assert!(a.starts_with('王'));
        assert_eq!(a.chars().count(), 2);
    }

    #[test]
    fn enterprise_names_follow_the_usual_pattern() {
        let mut r = Rng::new(13);
        let n = enterprise_name(&mut r, "建筑施工");
        assert!(n.starts_with("重庆"));
        assert!(n.ends_with("有限公司") || n.ends_with("有限责任公司"));
    }
}
