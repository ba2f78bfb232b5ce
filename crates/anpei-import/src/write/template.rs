//! The template workbook users download and fill in: one sheet per table with its header,
//! a realistic example row and drop-down lists, a 说明 sheet, and the lists themselves on a
//! hidden 下拉选项 sheet (a list written into the validation itself is limited to 255
//! characters, too few for the towns of a district).

use super::{column_letter, Formats};
use crate::cells::to_excel_serial;
use crate::schema::{
    certificate as cc, columns, person as pc, required_columns, subject as sc, training as tc,
};
use crate::{ImportError, Reference};
use anpei_core::ids::{IdNumber, Uscc};
use anpei_core::kinds::{
    CertType, Post, SubjectKind, TrainingForm, TrainingType, SPECIAL_OP_CATEGORIES,
};
use anpei_core::ledger::Table;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use rust_xlsxwriter::{DataValidation, Format, Formula, Workbook, Worksheet, XlsxError};

const LISTS_SHEET: &str = "下拉选项";
/// The last row (0-based) the drop-down lists and column formats cover.
const LAST_ROW: u32 = 1_048_575;

/// An example cell.
enum Example {
    Text(String),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    Number(f64),
}

/// The template workbook users download: sheets 单位, 人员, 证书 and 培训, each with its header
/// row, one realistic example row (valid check digits; town and industry taken from
/// `reference`, so the example re-imports cleanly when the reference has a town and an
/// industry) and drop-down lists for the enumerated columns (单位类型, 行业, 所属镇街,
/// 行业主管部门, 岗位类别, 作业类别, 证书类型, 培训类型, 培训形式); ID columns are formatted as
/// text so that Excel keeps all 18 characters, date columns as dates. A 说明 sheet explains
/// the columns and the date forms in Chinese.
pub fn template_workbook(reference: &Reference) -> Result<Vec<u8>, ImportError> {
    let mut workbook = Workbook::new();
    let lists = Lists::new(reference);
    let examples = Examples::new(reference);
    for table in [
        Table::Subjects,
        Table::Persons,
        Table::Certificates,
        Table::Trainings,
    ] {
        let ws = workbook.add_worksheet();
        ws.set_name(table.sheet())?;
        data_sheet(ws, table, &examples, &lists)?;
    }
    explain(workbook.add_worksheet())?;
    let ws = workbook.add_worksheet();
    ws.set_name(LISTS_SHEET)?;
    lists.write(ws)?;
    ws.set_hidden(true);
    Ok(workbook.save_to_buffer()?)
}

/// The enumerations, each a column of the hidden 下拉选项 sheet.
struct Lists {
    columns: Vec<(&'static str, Vec<String>)>,
}

impl Lists {
    fn new(reference: &Reference) -> Self {
        let sorted = |it: &mut dyn Iterator<Item = &String>| {
            let mut v: Vec<String> = it.cloned().collect();
            v.sort();
            v
        };
        let labels = |all: &[&'static str]| all.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let kinds: Vec<&str> = SubjectKind::ALL.iter().map(|k| k.label()).collect();
        let posts: Vec<&str> = Post::ALL.iter().map(|k| k.label()).collect();
        let certs: Vec<&str> = CertType::ALL.iter().map(|k| k.label()).collect();
        let types: Vec<&str> = TrainingType::ALL.iter().map(|k| k.label()).collect();
        let forms: Vec<&str> = TrainingForm::ALL.iter().map(|k| k.label()).collect();
        let categories: Vec<&str> = SPECIAL_OP_CATEGORIES.iter().map(|c| c.name).collect();
        Self {
            columns: vec![
                ("单位类型", labels(&kinds)),
                ("行业", sorted(&mut reference.industries.keys())),
                ("所属镇街", sorted(&mut reference.towns.iter())),
                ("所属区县", sorted(&mut reference.districts.keys())),
                ("行业主管部门", sorted(&mut reference.departments.iter())),
                ("岗位类别", labels(&posts)),
                ("作业类别", labels(&categories)),
                ("证书类型", labels(&certs)),
                ("培训类型", labels(&types)),
                ("培训形式", labels(&forms)),
            ],
        }
    }

    /// The drop-down of the column named `column`, if it is enumerated.
    fn validation(&self, column: &str) -> Option<DataValidation> {
        let (i, (_, values)) = self
            .columns
            .iter()
            .enumerate()
            .find(|(_, (name, _))| *name == column)?;
        if values.is_empty() {
            return None;
        }
        let letter = column_letter(i);
        let range = format!(
            "='{LISTS_SHEET}'!${letter}$2:${letter}${}",
            values.len() + 1
        );
        let mut v = DataValidation::new().allow_list_formula(Formula::new(range));
        if let Ok(with_message) = v
            .clone()
            .set_error_message(format!("请从下拉列表中选择{column}"))
        {
            v = with_message;
        }
        Some(v)
    }

    fn write(&self, ws: &mut Worksheet) -> Result<(), XlsxError> {
        for (c, (name, values)) in self.columns.iter().enumerate() {
            ws.write_string(0, c as u16, *name)?;
            for (r, v) in values.iter().enumerate() {
                ws.write_string(r as u32 + 1, c as u16, v)?;
            }
        }
        Ok(())
    }
}

/// A coherent example: one enterprise, one safety manager, his certificate and a class.
struct Examples {
    subject: Vec<Example>,
    person: Vec<Example>,
    certificate: Vec<Example>,
    training: Vec<Example>,
}

impl Examples {
    fn new(reference: &Reference) -> Self {
        let first = |set: &mut dyn Iterator<Item = &String>| {
            let mut v: Vec<&String> = set.collect();
            v.sort();
            v.first().map(|s| s.to_string()).unwrap_or_default()
        };
        let industry = if reference.industries.contains_key("危险化学品") {
            "危险化学品".to_string()
        } else {
            first(&mut reference.industries.keys())
        };
        let department = reference
            .department_of(&industry)
            .unwrap_or_default()
            .to_string();
        let town = if reference.towns.contains("龙兴镇") {
            "龙兴镇".to_string()
        } else {
            first(&mut reference.towns.iter())
        };
        // Codes of a made-up enterprise and person in 渝北区 (500112), check digits computed.
        let uscc_body = "91500112MA5U7L3K0";
        let uscc = format!("{uscc_body}{}", Uscc::check_char(uscc_body).unwrap_or('0'));
        let id_body = "50011219850312451";
        let id = format!("{id_body}{}", IdNumber::check_char(id_body).unwrap_or('0'));
        let t = |s: &str| Example::Text(s.to_string());
        let date = |y, m, d| Example::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default());
        let at = |y, m, d, h| {
            Example::DateTime(
                NaiveDate::from_ymd_opt(y, m, d)
                    .unwrap_or_default()
                    .and_time(NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default()),
            )
        };
        Self {
            subject: vec![
                t(&uscc),
                t("重庆渝兴精细化工有限公司"),
                t(SubjectKind::Enterprise.label()),
                t(&industry),
                t(&town),
                t(&department),
                t(&format!("重庆市渝北区{town}兴业大道88号")),
                t("王建国"),
                t("13983012345"),
                t(""),
            ],
            person: vec![
                t(&uscc),
                t("王建国"),
                t(&id),
                t("13983012345"),
                t(Post::SafetyManager.label()),
                t(""),
                date(2023, 3, 1),
            ],
            certificate: vec![
                t(&id),
                t("王建国"),
                t(CertType::ManagerCompetency.label()),
                t("渝安管A2023051234"),
                t(""),
                t(""),
                date(2023, 5, 20),
                date(2023, 5, 20),
                date(2026, 5, 19),
                t(""),
                t(""),
                t("重庆市应急管理局"),
            ],
            training: vec![
                t(&uscc),
                t(&id),
                t("王建国"),
                t(TrainingType::Retraining.label()),
                t(TrainingForm::Offline.label()),
                at(2024, 3, 5, 9),
                at(2024, 3, 6, 17),
                Example::Number(12.0),
                Example::Number(4.0),
                t("重庆市安全生产培训中心"),
                Example::Number(92.0),
                t("合格"),
            ],
        }
    }

    fn of(&self, table: Table) -> &[Example] {
        match table {
            Table::Subjects => &self.subject,
            Table::Persons => &self.person,
            Table::Certificates | Table::Registry => &self.certificate,
            Table::Trainings => &self.training,
            // The online logs have no sheet in the ledger's template.
            Table::Sessions | Table::FaceChecks | Table::Courses | Table::OnlineExams => &[],
        }
    }
}

fn is_id_column(name: &str) -> bool {
    matches!(
        name,
        "统一社会信用代码" | "身份证号" | "证书编号" | "手机号" | "联系电话"
    )
}

fn is_date_column(table: Table, col: usize) -> bool {
    match table {
        Table::Persons => col == pc::APPOINTED,
        Table::Certificates | Table::Registry => (cc::FIRST_ISSUED..=cc::REVIEWED).contains(&col),
        _ => false,
    }
}

fn is_datetime_column(table: Table, col: usize) -> bool {
    table == Table::Trainings && (col == tc::START || col == tc::END)
}

fn data_sheet(
    ws: &mut Worksheet,
    table: Table,
    examples: &Examples,
    lists: &Lists,
) -> Result<(), XlsxError> {
    let formats = Formats::new();
    let text = Format::new().set_num_format("@");
    let required_header = formats
        .header
        .clone()
        .set_font_color(rust_xlsxwriter::Color::RGB(0xC00000));
    let required = required_columns(table);
    for (c, name) in columns(table).iter().enumerate() {
        let col = c as u16;
        let head = if required.contains(name) {
            &required_header
        } else {
            &formats.header
        };
        ws.write_string_with_format(0, col, *name, head)?;
        let wide = name.chars().count() * 2 + 4;
        let width = if is_id_column(name) {
            22
        } else if is_datetime_column(table, c) {
            18
        } else {
            wide.clamp(10, 30)
        };
        ws.set_column_width(col, width as f64)?;
        if is_id_column(name) {
            ws.set_column_format(col, &text)?;
        } else if is_datetime_column(table, c) {
            ws.set_column_format(col, &formats.datetime)?;
        } else if is_date_column(table, c) {
            ws.set_column_format(col, &formats.date)?;
        }
        if let Some(v) = lists.validation(name) {
            ws.add_data_validation(1, col, LAST_ROW, col, &v)?;
        }
    }
    for (c, example) in examples.of(table).iter().enumerate() {
        let col = c as u16;
        match example {
            Example::Text(s) if s.is_empty() => {}
            Example::Text(s) if is_id_column(columns(table)[c]) => {
                ws.write_string_with_format(1, col, s, &text)?;
            }
            Example::Text(s) => {
                ws.write_string(1, col, s)?;
            }
            Example::Date(d) => {
                ws.write_number_with_format(
                    1,
                    col,
                    to_excel_serial(d.and_time(NaiveTime::MIN)),
                    &formats.date,
                )?;
            }
            Example::DateTime(dt) => {
                ws.write_number_with_format(1, col, to_excel_serial(*dt), &formats.datetime)?;
            }
            Example::Number(v) => {
                ws.write_number(1, col, *v)?;
            }
        }
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// The 说明 sheet: what each sheet and column holds.
fn explain(ws: &mut Worksheet) -> Result<(), XlsxError> {
    ws.set_name("说明")?;
    let formats = Formats::new();
    let wrap = Format::new().set_text_wrap();
    let general = [
        "填写说明",
        "1. 第一行是表头，请勿修改列名；列的顺序可以调整，多余的列会被忽略。红色列名为必填列。第二行是示例，导入前请删除或改成真实数据。",
        "2. 单位、人员、证书、培训四张表可以放在同一个工作簿中一起导入，也可以分别另存为CSV（UTF-8或GBK/GB18030编码均可）逐表导入。",
        "3. 身份证号、统一社会信用代码、证书编号请按文本填写（模板中这些列已设为文本格式），否则Excel会把18位号码变成科学计数法并丢失末几位。身份证号末位的小写x会自动改为大写X。",
        "4. 日期可写作 2021-03-05、2021/3/5、2021.3.5、2021年3月5日 或 20210305，也可使用Excel日期单元格；不存在的日期（如2021-02-30）会被拒绝，不会自动顺延。",
        "5. 培训的开始、结束时间写到分钟，如 2021-03-05 09:00、2021/3/5 9:00 或 2021年3月5日 9:00；只写日期时，开始时间按当天0:00、结束时间按当天23:59:59计。",
        "6. 单元格前后的空格（包括全角空格）会被自动去掉。有问题的行不会导入，一行中的所有问题会一次列出。下载的错误报告保留您的工作表和表头，只含未导入的行，最后一列“错误原因”写明每个问题及应填的内容；按原因改好后可直接上传该文件，“错误原因”列会被忽略。",
        "7. 同一人员、证书、单位、培训记录重复导入不会重复保存：单位按统一社会信用代码、人员按身份证号、证书按证书编号（T加身份证号与身份证号视为同一编号）、培训按身份证号+开始时间+结束时间+培训类型识别，内容有变化时更新。",
    ];
    ws.set_column_width(0, 12)?;
    ws.set_column_width(1, 18)?;
    ws.set_column_width(2, 10)?;
    ws.set_column_width(3, 90)?;
    ws.write_string_with_format(0, 0, general[0], &formats.header)?;
    let mut r = 1u32;
    for line in &general[1..] {
        ws.merge_range(r, 0, r, 3, line, &wrap)?;
        ws.set_row_height(r, 33)?;
        r += 1;
    }
    r += 1;
    for (c, h) in ["工作表", "列名", "是否必填", "说明"].iter().enumerate() {
        ws.write_string_with_format(r, c as u16, *h, &formats.header)?;
    }
    r += 1;
    for table in [
        Table::Subjects,
        Table::Persons,
        Table::Certificates,
        Table::Trainings,
    ] {
        for (i, name) in columns(table).iter().enumerate() {
            let required = if required_columns(table).contains(name) {
                "必填"
            } else {
                "选填"
            };
            ws.write_string(r, 0, table.sheet())?;
            ws.write_string(r, 1, *name)?;
            ws.write_string(r, 2, required)?;
            ws.write_string_with_format(r, 3, column_note(table, i), &wrap)?;
            r += 1;
        }
    }
    Ok(())
}

fn column_note(table: Table, col: usize) -> &'static str {
    match (table, col) {
        (Table::Subjects, sc::USCC) => "18位统一社会信用代码，校验位须正确",
        (Table::Subjects, sc::NAME) => "营业执照上的单位全称",
        (Table::Subjects, sc::KIND) => "生产经营单位、安全培训机构、考试点或考试机构",
        (Table::Subjects, sc::INDUSTRY) => {
            "从下拉列表选择；生产经营单位必填，培训机构、考试点、考试机构可不填"
        }
        (Table::Subjects, sc::TOWN) => "从下拉列表选择本区的镇街",
        (Table::Subjects, sc::DEPARTMENT) => "从下拉列表选择；不填时为该行业的主管部门",
        (Table::Subjects, sc::ADDRESS) => "生产经营地址",
        (Table::Subjects, sc::CONTACT) => "安全生产联系人姓名",
        (Table::Subjects, sc::PHONE) => "11位手机号，或带区号的固定电话，如023-67824066",
        (Table::Subjects, sc::DISTRICT) => {
            "区县名称或6位行政区划代码，如 渝北区 或 500112；全市部署中镇街名称在多个区县重复（如城关镇）时必填，其余可不填"
        }
        (Table::Persons, pc::USCC) => {
            "所在单位的统一社会信用代码，须是已导入或同一工作簿“单位”表中的单位"
        }
        (Table::Persons, pc::NAME) => "与身份证一致",
        (Table::Persons, pc::ID) => "18位居民身份证号码，出生日期和校验位须正确",
        (Table::Persons, pc::PHONE) => "11位手机号",
        (Table::Persons, pc::POST) => "主要负责人、安全生产管理人员、特种作业人员或一般从业人员",
        (Table::Persons, pc::CATEGORY) => "特种作业人员的作业类别，从下拉列表选择",
        (Table::Persons, pc::APPOINTED) => "任现岗位的日期",
        (Table::Certificates, cc::ID) => "持证人身份证号",
        (Table::Certificates, cc::NAME) => "持证人姓名",
        (Table::Certificates, cc::TYPE) => "安全生产知识和管理能力考核合格证或特种作业操作证",
        (Table::Certificates, cc::NUMBER) => {
            "证书上的编号；特种作业操作证编号为T加身份证号，写不写T均可"
        }
        (Table::Certificates, cc::CATEGORY) => "特种作业操作证的作业类别，从下拉列表选择",
        (Table::Certificates, cc::ITEM) => "特种作业操作证的操作项目，如低压电工作业",
        (Table::Certificates, cc::FIRST_ISSUED) => "有效期起、初领日期、有效期止至少填写一项",
        (Table::Certificates, cc::VALID_FROM) => "证书有效期的起始日期",
        (Table::Certificates, cc::VALID_UNTIL) => "证书有效期的截止日期，不得早于有效期起",
        (Table::Certificates, cc::REVIEW_DUE) => "特种作业操作证应复审的日期",
        (Table::Certificates, cc::REVIEWED) => "实际复审的日期，未复审不填",
        (Table::Certificates, cc::ISSUER) => "发证机关全称",
        (Table::Trainings, tc::USCC) => "参训人员所在单位的统一社会信用代码",
        (Table::Trainings, tc::ID) => "参训人员身份证号",
        (Table::Trainings, tc::NAME) => "参训人员姓名",
        (Table::Trainings, tc::TYPE) => {
            "初次培训、岗前培训、再培训、复审培训、转岗培训、三级教育或其他"
        }
        (Table::Trainings, tc::FORM) => "线下或线上（线下1学时为45分钟，线上为30分钟）",
        (Table::Trainings, tc::START) => "培训开始时间，写到分钟",
        (Table::Trainings, tc::END) => "培训结束时间，不得早于开始时间",
        (Table::Trainings, tc::THEORY) => "理论学时，不小于0的数字",
        (Table::Trainings, tc::PRACTICAL) => "实操学时，不小于0的数字；没有实操可不填（按0计）",
        (Table::Trainings, tc::INSTITUTION) => "承担培训的机构；单位自行组织的可填本单位名称",
        (Table::Trainings, tc::SCORE) => "考核成绩，0到100",
        (Table::Trainings, tc::RESULT) => "考核结果，如合格、不合格",
        _ => "",
    }
}

/// The template of an online-training platform's logs: the sheets 学习记录, 人脸核验, 课程 and
/// 在线考试, each with its columns and one example row that imports as it is once the example
/// person is on the ledger (valid check characters; moments with their time of day). Cells are
/// text, so that Excel keeps the 18 characters of the codes.
pub fn online_template_workbook() -> Result<Vec<u8>, ImportError> {
    let uscc_body = "91500112MA5U7L3K0";
    let uscc = format!("{uscc_body}{}", Uscc::check_char(uscc_body).unwrap_or('0'));
    let id_body = "50011219850312451";
    let id = format!("{id_body}{}", IdNumber::check_char(id_body).unwrap_or('0'));
    let platform = "渝培在线";
    let examples: [Vec<&str>; 4] = [
        vec![
            platform,
            &uscc,
            &id,
            "王建国",
            "K01",
            "2026-03-02 19:00:00",
            "2026-03-02 19:45:00",
            "2565",
            "PC-0101",
            "10.20.3.17",
        ],
        vec![platform, &id, "2026-03-02 19:02:00", "通过", "93.5"],
        vec![platform, "K01", "安全生产法律法规", "2700", "1.5"],
        vec![
            platform,
            &id,
            "EX-2026-01",
            "2026-03-09 10:00:00",
            "2026-03-09 10:45:00",
            "100",
            "86",
        ],
    ];
    let sheets: Vec<crate::sheets::Sheet> = Table::ONLINE
        .into_iter()
        .zip(examples)
        .map(|(t, example)| {
            let header = columns(t).iter().map(|c| c.to_string()).collect();
            let row = example.into_iter().map(String::from).collect();
            (t.sheet().to_string(), vec![header, row])
        })
        .collect();
    crate::sheets::write_sheets(&sheets).map_err(|e| ImportError::Io(std::io::Error::other(e)))
}
