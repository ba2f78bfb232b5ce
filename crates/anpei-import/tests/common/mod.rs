//! Shared test helpers: a sink that keeps everything, and the demo district's reference.
#![allow(dead_code)]

use anpei_core::demo::{generate, DemoConfig, DemoDistrict};
use anpei_core::ledger::{RowError, SheetHeader, Table};
use anpei_import::{Reference, Row, Sink};

/// Keeps every row, error, warning and sheet header.
#[derive(Debug, Default)]
pub struct Collect {
    pub rows: Vec<(Table, usize, Row)>,
    pub errors: Vec<RowError>,
    pub warnings: Vec<String>,
    pub headers: Vec<SheetHeader>,
}

impl Sink for Collect {
    fn row(&mut self, table: Table, row_no: usize, row: Row, _cells: &[String]) {
        self.rows.push((table, row_no, row));
    }
    fn error(&mut self, err: RowError) {
        self.errors.push(err);
    }
    fn warning(&mut self, message: String) {
        self.warnings.push(message);
    }
    fn header(&mut self, header: SheetHeader) {
        self.headers.push(header);
    }
}

impl Collect {
    /// The records of `table`, in file order.
    pub fn of(&self, table: Table) -> Vec<&Row> {
        self.rows
            .iter()
            .filter(|(t, _, _)| *t == table)
            .map(|(_, _, r)| r)
            .collect()
    }
}

/// Counts rows and keeps errors only: what a benchmark needs.
#[derive(Debug, Default)]
pub struct Count {
    pub rows: usize,
    pub errors: Vec<RowError>,
}

impl Sink for Count {
    fn row(&mut self, _: Table, _: usize, _: Row, _: &[String]) {
        self.rows += 1;
    }
    fn error(&mut self, err: RowError) {
        self.errors.push(err);
    }
    fn warning(&mut self, _: String) {}
}

/// The towns of `data/towns.csv`.
pub const TOWNS: &str = "双龙湖街道 仙桃街道 回兴街道 双凤桥街道 两路街道 宝圣湖街道 龙溪街道 龙山街道 龙塔街道 \
    人和街道 天宫殿街道 翠云街道 大竹林街道 鸳鸯街道 礼嘉街道 悦来街道 康美街道 王家街道 金山街道 石船镇 洛碛镇 \
    龙兴镇 大湾镇 古路镇 统景镇 大盛镇 木耳镇 兴隆镇 茨竹镇 玉峰山镇";

/// The departments of `data/departments.csv` with their industries.
pub const DEPARTMENTS: &[(&str, &str)] = &[
    ("区应急管理局", "非煤矿山;危险化学品;烟花爆竹;金属冶炼;工贸"),
    ("区经济信息委", "工业企业;电力"),
    ("区住房城乡建委", "建筑施工;燃气"),
    ("区交通局", "道路运输;水路运输"),
    ("区市场监管局", "特种设备"),
    ("区商务委", "商贸;成品油流通"),
    ("区教委", "学校"),
    ("区卫生健康委", "医疗机构"),
    ("区城市管理局", "市政设施;城镇燃气管网"),
    ("区农业农村委", "农业机械;渔业船舶"),
    ("区文化旅游委", "文化娱乐场所;旅游景区"),
    ("区公安分局", "民用爆炸物品"),
    ("区消防救援支队", "消防安全"),
];

pub fn towns() -> Vec<String> {
    TOWNS.split_whitespace().map(String::from).collect()
}

pub fn departments() -> Vec<(String, Vec<String>)> {
    DEPARTMENTS
        .iter()
        .map(|(d, i)| (d.to_string(), i.split(';').map(String::from).collect()))
        .collect()
}

pub fn reference() -> Reference {
    Reference::new(towns(), &departments())
}

pub fn district(subjects: usize, persons: usize) -> DemoDistrict {
    let cfg = DemoConfig {
        seed: 7,
        subjects,
        persons,
        ..DemoConfig::default()
    };
    generate(&cfg, &towns(), &departments())
}
