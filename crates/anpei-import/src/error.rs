//! Failures that stop a whole import or export (a bad row is never one: it is a `RowError`
//! given to the sink). Every message is Chinese and tells the user what to do; the library
//! error behind it, in English, is kept as the `source` for logs only.

use std::path::PathBuf;

/// Why a file could not be read or written at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Reading the file or writing a report failed.
    #[error("读写文件失败：{}", io_reason(.0))]
    Io(#[from] std::io::Error),
    /// The file has no bytes.
    #[error("“{file}”是空文件")]
    Empty { file: String },
    /// Neither a zip (xlsx) nor text: an image, a PDF …
    #[error("“{file}”不是xlsx工作簿或CSV文件，请上传Excel工作簿（.xlsx）或CSV文件")]
    NotSpreadsheet { file: String },
    /// An Excel 97–2003 (.xls) file, which the user must save as .xlsx.
    #[error("“{file}”是旧版Excel（.xls）文件，请在Excel中“另存为”Excel工作簿（.xlsx）后再导入")]
    LegacyXls { file: String },
    /// A zip that calamine cannot read as a workbook (damaged, or a .docx …).
    #[error("“{file}”无法作为xlsx工作簿读取（文件可能已损坏），请在Excel中打开后重新保存")]
    Workbook {
        file: String,
        #[source]
        source: calamine::XlsxError,
    },
    /// A CSV record that cannot be split.
    #[error("“{file}”第{row}行无法按CSV格式解析，请检查引号是否成对")]
    Csv {
        file: String,
        row: usize,
        #[source]
        source: csv::Error,
    },
    /// A CSV whose table neither the caller nor its file name tells.
    #[error("无法判断CSV文件“{file}”是哪张表，请指明（{tables}之一），或把文件命名为表名，如“{example}.csv”", example = .tables.split('、').next().unwrap_or_default())]
    UnknownCsvTable { file: String, tables: String },
    /// A sheet (or CSV) lacks required columns: all of them are named.
    #[error("工作表“{sheet}”缺少必填列：{}，请在表头行加上这些列（列名可对照导入模板）", .columns.join("、"))]
    MissingColumns { sheet: String, columns: Vec<String> },
    /// No sheet of the workbook is named after a table.
    #[error("工作簿中没有可导入的工作表（应为{tables}），实有：{}", .found.join("、"))]
    NoKnownSheet { found: Vec<String>, tables: String },
    /// An error report path that ends neither in .xlsx nor .csv.
    #[error("错误报告只能保存为.xlsx或.csv文件：{}", .0.display())]
    ReportFormat(PathBuf),
    /// rust_xlsxwriter failed (a temporary file could not be written …).
    #[error("生成Excel文件失败")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// The Chinese words for the I/O failures a user can act on.
fn io_reason(e: &std::io::Error) -> &'static str {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "文件或目录不存在",
        K::PermissionDenied => "没有读写权限",
        K::AlreadyExists => "文件已存在",
        K::UnexpectedEof => "文件不完整",
        K::InvalidData => "文件内容无效",
        K::StorageFull => "磁盘空间不足",
        _ => "系统错误，请稍后重试或联系管理员",
    }
}
