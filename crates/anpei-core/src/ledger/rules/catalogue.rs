//! The rule catalogue: the ten ledger checks, the fifteen checks of the training and exam
//! records and the seven checks of online-training platforms' logs, each with its code,
//! Chinese name, severity, legal basis, definition (the exact semantics, precise enough to
//! implement and test) and the parameters it reads.

use crate::params::Params;
use serde::{Deserialize, Serialize};

/// One of the checks: the ten on the ledger, the fifteen on training and exam records,
/// then the seven on online-training logs. Serialises as its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Rule {
    ManagerCertMissing,
    CertExpired,
    SpecialOpNoCert,
    ReviewOverdue,
    ManagerRetrainShort,
    EmployeeRetrainShort,
    PrejobHoursShort,
    TrainingOverlap,
    HoursExceedDuration,
    CertNotInRegistry,
    ClassHoursShort,
    ClassOverCapacity,
    TeacherDoubleBooked,
    TraineeDoubleBooked,
    UniformScores,
    ExamOutsidePlan,
    ExamVideoMissing,
    ExamVideoShort,
    ExamVideoRetention,
    ProctorNoCredential,
    ProctorAbsent,
    StaffConflict,
    HighRiskPaperExam,
    FacilityInspectionExpired,
    PassRateAnomaly,
    OnlineConcurrent,
    OnlineDeviceShared,
    OnlineDailyExcess,
    OnlineFaceGap,
    OnlineSpeed,
    OnlineHoursUnsupported,
    OnlineExamTooFast,
}

/// How serious a finding is. Serialises as its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    High,
    Medium,
    Low,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::High, Severity::Medium, Severity::Low];

    /// "high", "medium", "low".
    pub fn code(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }

    /// 高, 中, 低.
    pub fn label(self) -> &'static str {
        match self {
            Severity::High => "高",
            Severity::Medium => "中",
            Severity::Low => "低",
        }
    }

    pub fn from_code(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.code() == s)
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

impl Rule {
    /// Every check, in catalogue order: the ledger's, the records', then the online logs'.
    pub const ALL: [Rule; 32] = {
        let mut all = [Rule::ManagerCertMissing; 32];
        let mut i = 0;
        while i < Rule::LEDGER.len() {
            all[i] = Rule::LEDGER[i];
            i += 1;
        }
        let mut j = 0;
        while j < Rule::RECORDS.len() {
            all[i] = Rule::RECORDS[j];
            i += 1;
            j += 1;
        }
        let mut j = 0;
        while j < Rule::ONLINE.len() {
            all[i] = Rule::ONLINE[j];
            i += 1;
            j += 1;
        }
        all
    };

    /// The ten checks on the ledger of persons (台账).
    pub const LEDGER: [Rule; 10] = [
        Rule::ManagerCertMissing,
        Rule::CertExpired,
        Rule::SpecialOpNoCert,
        Rule::ReviewOverdue,
        Rule::ManagerRetrainShort,
        Rule::EmployeeRetrainShort,
        Rule::PrejobHoursShort,
        Rule::TrainingOverlap,
        Rule::HoursExceedDuration,
        Rule::CertNotInRegistry,
    ];

    /// The fifteen checks of training institutions' and exam sites' records.
    pub const RECORDS: [Rule; 15] = [
        Rule::ClassHoursShort,
        Rule::ClassOverCapacity,
        Rule::TeacherDoubleBooked,
        Rule::TraineeDoubleBooked,
        Rule::UniformScores,
        Rule::ExamOutsidePlan,
        Rule::ExamVideoMissing,
        Rule::ExamVideoShort,
        Rule::ExamVideoRetention,
        Rule::ProctorNoCredential,
        Rule::ProctorAbsent,
        Rule::StaffConflict,
        Rule::HighRiskPaperExam,
        Rule::FacilityInspectionExpired,
        Rule::PassRateAnomaly,
    ];

    /// The seven checks of online-training platforms' logs (网络培训).
    pub const ONLINE: [Rule; 7] = [
        Rule::OnlineConcurrent,
        Rule::OnlineDeviceShared,
        Rule::OnlineDailyExcess,
        Rule::OnlineFaceGap,
        Rule::OnlineSpeed,
        Rule::OnlineHoursUnsupported,
        Rule::OnlineExamTooFast,
    ];

    /// One of the fifteen checks on training and exam records (not on persons of the
    /// ledger, not on online-training logs).
    pub fn on_records(self) -> bool {
        (Rule::ClassHoursShort..=Rule::PassRateAnomaly).contains(&self)
    }

    /// One of the seven checks on online-training platforms' logs.
    pub fn on_online(self) -> bool {
        self >= Rule::OnlineConcurrent
    }

    /// The rule's stable code, e.g. `MANAGER_CERT_MISSING`.
    pub fn code(self) -> &'static str {
        match self {
            Rule::ManagerCertMissing => "MANAGER_CERT_MISSING",
            Rule::CertExpired => "CERT_EXPIRED",
            Rule::SpecialOpNoCert => "SPECIAL_OP_NO_CERT",
            Rule::ReviewOverdue => "REVIEW_OVERDUE",
            Rule::ManagerRetrainShort => "MANAGER_RETRAIN_SHORT",
            Rule::EmployeeRetrainShort => "EMPLOYEE_RETRAIN_SHORT",
            Rule::PrejobHoursShort => "PREJOB_HOURS_SHORT",
            Rule::TrainingOverlap => "TRAINING_OVERLAP",
            Rule::HoursExceedDuration => "HOURS_EXCEED_DURATION",
            Rule::CertNotInRegistry => "CERT_NOT_IN_REGISTRY",
            Rule::ClassHoursShort => "CLASS_HOURS_SHORT",
            Rule::ClassOverCapacity => "CLASS_OVER_CAPACITY",
            Rule::TeacherDoubleBooked => "TEACHER_DOUBLE_BOOKED",
            Rule::TraineeDoubleBooked => "TRAINEE_DOUBLE_BOOKED",
            Rule::UniformScores => "UNIFORM_SCORES",
            Rule::ExamOutsidePlan => "EXAM_OUTSIDE_PLAN",
            Rule::ExamVideoMissing => "EXAM_VIDEO_MISSING",
            Rule::ExamVideoShort => "EXAM_VIDEO_SHORT",
            Rule::ExamVideoRetention => "EXAM_VIDEO_RETENTION",
            Rule::ProctorNoCredential => "PROCTOR_NO_CREDENTIAL",
            Rule::ProctorAbsent => "PROCTOR_ABSENT",
            Rule::StaffConflict => "STAFF_CONFLICT",
            Rule::HighRiskPaperExam => "HIGH_RISK_PAPER_EXAM",
            Rule::FacilityInspectionExpired => "FACILITY_INSPECTION_EXPIRED",
            Rule::PassRateAnomaly => "PASS_RATE_ANOMALY",
            Rule::OnlineConcurrent => "ONLINE_CONCURRENT",
            Rule::OnlineDeviceShared => "ONLINE_DEVICE_SHARED",
            Rule::OnlineDailyExcess => "ONLINE_DAILY_EXCESS",
            Rule::OnlineFaceGap => "ONLINE_FACE_GAP",
            Rule::OnlineSpeed => "ONLINE_SPEED",
            Rule::OnlineHoursUnsupported => "ONLINE_HOURS_UNSUPPORTED",
            Rule::OnlineExamTooFast => "ONLINE_EXAM_TOO_FAST",
        }
    }

    pub fn from_code(s: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.code() == s)
    }

    /// The rule's Chinese name (名称), as users see it.
    pub fn name(self) -> &'static str {
        match self {
            Rule::ManagerCertMissing => {
                "高危行业主要负责人/安全管理人员任职满6个月未取得考核合格证"
            }
            Rule::CertExpired => "证书过期",
            Rule::SpecialOpNoCert => "特种作业人员无证上岗",
            Rule::ReviewOverdue => "特种作业操作证逾期未复审",
            Rule::ManagerRetrainShort => "管理人员年度再培训学时不足",
            Rule::EmployeeRetrainShort => "从业人员年度再培训学时不足",
            Rule::PrejobHoursShort => "新上岗人员岗前培训学时不足",
            Rule::TrainingOverlap => "同一人员培训时间重叠",
            Rule::HoursExceedDuration => "学时超过实际时长（压缩学时）",
            Rule::CertNotInRegistry => "证书在登记库中查无此证或信息不符（疑似假证）",
            Rule::ClassHoursShort => "培训班学时不足（压缩学时）",
            Rule::ClassOverCapacity => "培训班超员",
            Rule::TeacherDoubleBooked => "教师同一时间在两处授课",
            Rule::TraineeDoubleBooked => "学员同一时间在两处签到",
            Rule::UniformScores => "成绩雷同或全部满分",
            Rule::ExamOutsidePlan => "考试场次无计划或超出计划",
            Rule::ExamVideoMissing => "考试无录像",
            Rule::ExamVideoShort => "考试录像不完整",
            Rule::ExamVideoRetention => "考试录像未保存满三年",
            Rule::ProctorNoCredential => "考务人员无有效证件",
            Rule::ProctorAbsent => "考务人员未全程在场",
            Rule::StaffConflict => "考试机构（考试点）人员同时在培训机构任职（利益冲突）",
            Rule::HighRiskPaperExam => "高危行业管理人员未使用国家考试系统考试",
            Rule::FacilityInspectionExpired => "考试设施设备检验合格证过期",
            Rule::PassRateAnomaly => "考试通过率异常偏高",
            Rule::OnlineConcurrent => "同一人网络学习时段重叠（挂机/代学）",
            Rule::OnlineDeviceShared => "同一设备多人学习（代学）",
            Rule::OnlineDailyExcess => "单日网络学习时长超限（刷课）",
            Rule::OnlineFaceGap => "人脸核验缺失或未通过（挂机/代学）",
            Rule::OnlineSpeed => "视频进度超过学习时长（倍速/拖动）",
            Rule::OnlineHoursUnsupported => "线上培训学时无学习记录支撑（压缩学时）",
            Rule::OnlineExamTooFast => "在线考试用时过短",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Rule::ManagerCertMissing
            | Rule::SpecialOpNoCert
            | Rule::CertNotInRegistry
            | Rule::HoursExceedDuration => Severity::High,
            Rule::ClassHoursShort
            | Rule::TeacherDoubleBooked
            | Rule::ExamVideoMissing
            | Rule::ExamVideoRetention
            | Rule::ProctorNoCredential
            | Rule::StaffConflict
            | Rule::HighRiskPaperExam => Severity::High,
            Rule::OnlineConcurrent
            | Rule::OnlineDeviceShared
            | Rule::OnlineHoursUnsupported
            | Rule::OnlineExamTooFast => Severity::High,
            Rule::CertExpired | Rule::ReviewOverdue | Rule::TrainingOverlap => Severity::Medium,
            Rule::ClassOverCapacity
            | Rule::TraineeDoubleBooked
            | Rule::UniformScores
            | Rule::ExamOutsidePlan
            | Rule::ExamVideoShort
            | Rule::ProctorAbsent
            | Rule::FacilityInspectionExpired
            | Rule::PassRateAnomaly => Severity::Medium,
            Rule::OnlineDailyExcess | Rule::OnlineFaceGap | Rule::OnlineSpeed => Severity::Medium,
            Rule::ManagerRetrainShort | Rule::EmployeeRetrainShort | Rule::PrejobHoursShort => {
                Severity::Low
            }
        }
    }

    /// The legal basis, in Chinese.
    pub fn basis(self) -> &'static str {
        match self {
            Rule::ManagerCertMissing => "《生产经营单位安全培训规定》第24条",
            Rule::CertExpired => {
                "《安全生产培训管理办法》第25条；《特种作业人员安全技术培训考核管理规定》第19条"
            }
            Rule::SpecialOpNoCert => {
                "《安全生产法》第30条；《特种作业人员安全技术培训考核管理规定》第5条"
            }
            Rule::ReviewOverdue => "《特种作业人员安全技术培训考核管理规定》第21条、第22条",
            Rule::ManagerRetrainShort => "《生产经营单位安全培训规定》第9条",
            Rule::EmployeeRetrainShort => "《生产经营单位安全培训规定》第13条；安委〔2012〕10号",
            Rule::PrejobHoursShort => "《生产经营单位安全培训规定》第13条",
            Rule::TrainingOverlap => "《安全生产法》第28条（如实记录培训的时间、内容、参加人员）",
            Rule::HoursExceedDuration => {
                "AQ 8011-2023（线下每学时45分钟、线上每学时30分钟）；《安全生产法》第28条"
            }
            Rule::CertNotInRegistry => {
                "《特种作业人员安全技术培训考核管理规定》第30条；《安全生产法》第28条"
            }
            Rule::ClassHoursShort => "《安全生产培训管理办法》第11条；AQ 8011-2023；通知二（二）2",
            Rule::ClassOverCapacity => "《安全生产培训管理办法》第7条；通知二（二）1",
            Rule::TeacherDoubleBooked | Rule::TraineeDoubleBooked => {
                "《安全生产培训管理办法》第12条（如实记录培训档案）；通知二（二）2、3"
            }
            Rule::UniformScores => "通知二（二）3、二（三）8、二（四）8（档案造假、参与作弊）",
            Rule::ExamOutsidePlan => "《安全生产资格考试与证书管理暂行办法》第10条；通知二（三）4",
            Rule::ExamVideoMissing | Rule::ExamVideoShort | Rule::ExamVideoRetention => {
                "《安全生产资格考试与证书管理暂行办法》第17条；通知二（三）6"
            }
            Rule::ProctorNoCredential => "通知二（四）6",
            Rule::ProctorAbsent => "通知二（四）7",
            Rule::StaffConflict => {
                "《安全生产资格考试与证书管理暂行办法》第7条；通知二（二）4、二（四）3、二（四）4"
            }
            Rule::HighRiskPaperExam => "通知二（四）2",
            Rule::FacilityInspectionExpired => "通知二（三）2、3",
            Rule::PassRateAnomaly => "通知二（二）4、二（三）5、二（四）8（包过班、参与作弊）",
            Rule::OnlineConcurrent
            | Rule::OnlineDeviceShared
            | Rule::OnlineDailyExcess
            | Rule::OnlineFaceGap
            | Rule::OnlineSpeed
            | Rule::OnlineExamTooFast => "《安全生产培训管理办法》第11条；AQ 8011-2023；通知二（一）8",
            Rule::OnlineHoursUnsupported => {
                "《安全生产培训管理办法》第11条；AQ 8011-2023；通知二（一）8、二（二）2（压缩培训学时）"
            }
        }
    }

    /// When the rule fires, in one Chinese sentence.
    pub fn definition(self) -> &'static str {
        match self {
            Rule::ManagerCertMissing => {
                "高危行业单位的主要负责人或安全生产管理人员，任职日期加6个月已早于检查日，\
                 且未持有在检查日有效的安全生产知识和管理能力考核合格证。"
            }
            Rule::CertExpired => {
                "证书有效期止早于检查日，且本人没有同一证书类型、同一操作项目且在检查日有效的证书\
                 （每张过期证书一条）。"
            }
            Rule::SpecialOpNoCert => {
                "特种作业人员未持有其作业类别的特种作业操作证（无论是否有效）；\
                 未登记作业类别的，未持有任何特种作业操作证。"
            }
            Rule::ReviewOverdue => {
                "特种作业操作证在检查日有效，应复审日期早于检查日，且无实际复审日期。"
            }
            Rule::ManagerRetrainShort => {
                "主要负责人或安全生产管理人员任职日期不晚于检查日前一年之日，\
                 结束于检查日前一年之日（不含）至检查日（含）之间的再培训学时合计低于规定学时。"
            }
            Rule::EmployeeRetrainShort => {
                "特种作业人员或一般从业人员任职日期不晚于检查日前一年之日，\
                 结束于检查日前一年之日（不含）至检查日（含）之间的再培训学时合计低于规定学时。"
            }
            Rule::PrejobHoursShort => {
                "特种作业人员或一般从业人员任职日期晚于检查日前一年之日且不晚于检查日，\
                 结束于检查日或之前的岗前培训学时合计低于规定学时。"
            }
            Rule::TrainingOverlap => {
                "同一人员有两条培训记录的时间相互重叠（一条的开始早于另一条的结束，反之亦然；\
                 首尾相接不算重叠），每人一条。"
            }
            Rule::HoursExceedDuration => {
                "一条培训记录的学时（理论加实操）乘以每学时分钟数（线下45分钟、线上30分钟）\
                 超过其结束时间减开始时间。"
            }
            Rule::CertNotInRegistry => {
                "已导入登记库时，证书编号在登记库中不存在，或登记的持证人身份证号或姓名与本人不符。"
            }
            Rule::ClassHoursShort => {
                "开班日期不晚于检查日的培训班，其各课次计划学时（结束减开始的分钟数除以每学时分钟数，\
                 线下45、线上30）合计低于大纲学时（每班一条）；结业日期不晚于检查日的培训班中，\
                 某学员各课次实到学时（签到至签退与课次时间重叠的分钟数除以每学时分钟数）合计低于\
                 大纲学时（每人一条）。"
            }
            Rule::ClassOverCapacity => {
                "培训班花名册人数超过班级核定人数或所用场地容量，或某一线下课次签到人数超过场地容量\
                 （每班一条）。"
            }
            Rule::TeacherDoubleBooked => {
                "同一身份证号的教师有两个课次时间相互重叠（一个的开始早于另一个的结束，反之亦然；\
                 首尾相接不算），不论是否同一机构；每对课次、每个涉及的机构一条。"
            }
            Rule::TraineeDoubleBooked => {
                "同一身份证号的学员在两个时间相互重叠的课次都有签到记录，不论是否同一机构；\
                 每对课次、每个涉及的机构一条。"
            }
            Rule::UniformScores => {
                "一个培训班（学员考核成绩）或一个考试场次（考生成绩），有成绩的人数不少于最少人数，\
                 且全部为满分、全部相同，或成绩的总体标准差低于阈值。"
            }
            Rule::ExamOutsidePlan => {
                "开始时间不晚于检查日的考试场次没有考试计划，或考试点与计划不符，\
                 或开始早于计划开始、结束晚于计划结束。"
            }
            Rule::ExamVideoMissing => "开始时间不晚于检查日的考试场次没有任何录像记录。",
            Rule::ExamVideoShort => {
                "有录像记录的考试场次，各录像时长合计加上允许误差仍短于场次时长（结束减开始）。"
            }
            Rule::ExamVideoRetention => {
                "一条考试录像已删除或丢失（记有删除日期），且删除日期早于场次日期加保存年限之日\
                 （保存期限届满前删除）。"
            }
            Rule::ProctorNoCredential => {
                "考试场次的巡考员、监考员或考评员，在任何考试机构或考试点的证件中都没有\
                 与其角色相符且在考试日期有效（有效期起 ≤ 考试日期 ≤ 有效期止）的证件。"
            }
            Rule::ProctorAbsent => {
                "考试场次的考务人员未登记在场时间，或到场晚于场次开始、离场早于场次结束。"
            }
            Rule::StaffConflict => {
                "考试机构或考试点的人员（证件持有人或考务人员）与培训机构的教师或台账人员身份证号相同\
                 （确认），或身份证号不同但联系电话相同（疑似）；考试一方与培训一方各一条。"
            }
            Rule::HighRiskPaperExam => {
                "开始时间不晚于检查日、考生为高危行业主要负责人或安全生产管理人员的考试场次，\
                 未使用国家考试系统。"
            }
            Rule::FacilityInspectionExpired => "考试点设施设备的检验合格证有效期止早于检查日。",
            Rule::PassRateAnomaly => {
                "统计检查日前一年内（不含前一年之日，含检查日）开始的考试场次。对每个考试机构、考试点\
                 （按其组织或承办的场次）和培训机构（按其学员的考试结果，以身份证号关联）与每个考试类别：\
                 本单位考生数 n₁ 与全区其余考生数 n₀ 均不少于最少样本量，通过率之差 p₁ − p₀ 不低于\
                 最小差值，且单侧双比例 z 检验 z = (p₁ − p₀) / √(p̄(1 − p̄)(1/n₁ + 1/n₀))（p̄ 为合并通过率）\
                 不低于临界值。"
            }
            Rule::OnlineConcurrent => {
                "同一人员（台账人员）的两个网络学习时段时间相互重叠（一个的开始早于另一个的结束，\
                 反之亦然；首尾相接不算），不论平台、设备、课程；按人员和日期各一条，日期为重叠两时段中\
                 较晚开始者的开始日期，记在该日各重叠时段对所涉时段中开始最早者的单位\
                 （上传日志的培训机构，无则为用人单位）名下。"
            }
            Rule::OnlineDeviceShared => {
                "同一设备（设备标识非空）在某日：不同人员的两个学习时段相互重叠（日期为较晚开始者的\
                 开始日期），或开始于该日的学习时段涉及不少于［同设备每日人数］名不同人员；按设备和日期\
                 各一条，记在所涉时段（该日各重叠时段对的时段；人数达到时另含该日在该设备开始的\
                 全部时段）中开始最早者的单位名下。"
            }
            Rule::OnlineDailyExcess => {
                "同一人员各网络学习时段落在某一自然日（0时至次日0时）内的时长之和（重叠部分不合并，\
                 跨零点的时段分别计入两日）超过［每日上限］小时；按人员和日期各一条，记在当日计入时长的\
                 时段中开始最早者的单位名下。"
            }
            Rule::OnlineFaceGap => {
                "对每个学习时段，取同一人员、同一平台、时间在时段开始至结束之间（含两端）的人脸核验：\
                 时段长于［须核验时长］分钟，而开始后［首次核验］分钟内（含）无通过的核验，或自开始起每\
                 ［核验间隔］分钟的完整区间（含两端，只计结束不晚于时段结束的区间）中有一个无通过的核验；\
                 或（不论时长）有未通过的核验，而其后（严格晚于）至时段结束无通过的核验。每个时段一条。"
            }
            Rule::OnlineSpeed => {
                "学习时段的视频进度秒数乘以100，大于时段时长（结束减开始的整秒数）乘以\
                 （100 + ［允许误差］）。每个时段一条。"
            }
            Rule::OnlineHoursUnsupported => {
                "台账中培训形式为线上的培训记录，其人员在平台日志中有学习时段、且日志覆盖记录期间的（该人\
                 最早的学习时段开始不晚于记录结束，最晚的学习时段结束不早于记录开始）：开始不早于记录开始、\
                 结束不晚于记录结束的各学习时段的有效学习秒数（时段时长与视频进度的较小者，进度为负按0计）\
                 合计，除以每学时秒数（线上每学时［每学时分钟数］分钟）为有记录支撑的学时；记录学时大于\
                 支撑学时乘以（1 + ［允许误差］%）。平台日志中没有学习时段、或日志未覆盖记录期间的，不作\
                 判断。每条培训记录一条。"
            }
            Rule::OnlineExamTooFast => {
                "在线考试试题数不少于［最少题数］，用时（结束减开始的秒数）少于试题数乘以\
                 ［每题最少秒数］，且成绩不低于合格分数。每场考试一条。"
            }
        }
    }

    /// The parameters the rule reads, with their current values, in Chinese.
    pub fn parameters(self, p: &Params) -> String {
        let high_risk = format!("高危行业：{}", p.high_risk_industries.join("、"));
        let pair = |what: &str, (normal, high): (f64, f64)| {
            format!(
                "{what}不少于 {} 学时，高危行业不少于 {} 学时",
                fmt_hours(normal),
                fmt_hours(high)
            )
        };
        let validity = format!(
            "考核合格证有效期 {} 年、特种作业操作证有效期 {} 年（有效期止缺失时据此推算）",
            p.manager_cert_validity_years, p.special_cert_validity_years
        );
        match self {
            Rule::ManagerCertMissing => format!(
                "任职后期限 {} 个月；{high_risk}；考核合格证有效期 {} 年（有效期止缺失时据此推算）",
                p.manager_cert_deadline_months, p.manager_cert_validity_years
            ),
            Rule::CertExpired => validity,
            Rule::SpecialOpNoCert => "无数值参数（按人员登记的作业类别比对证书的作业类别）".into(),
            Rule::ReviewOverdue => format!(
                "复审周期 {} 年（应复审日期缺失时据此推算）；特种作业操作证有效期 {} 年",
                p.special_cert_review_years, p.special_cert_validity_years
            ),
            Rule::ManagerRetrainShort => format!(
                "{}；统计检查日前一年；{high_risk}",
                pair("每年再培训", p.manager_retrain_hours)
            ),
            Rule::EmployeeRetrainShort => format!(
                "{}；统计检查日前一年；{high_risk}",
                pair("每年再培训", p.employee_retrain_hours)
            ),
            Rule::PrejobHoursShort => format!(
                "{}；任职一年内为新上岗；{high_risk}",
                pair("岗前培训", p.prejob_hours)
            ),
            Rule::TrainingOverlap => "无数值参数".into(),
            Rule::HoursExceedDuration => format!(
                "每学时线下 {} 分钟、线上 {} 分钟",
                p.class_hour_minutes.0, p.class_hour_minutes.1
            ),
            Rule::CertNotInRegistry => {
                "须已导入登记库；比对证书编号（T+身份证号与身份证号为同一编号）、持证人身份证号和姓名"
                    .into()
            }
            Rule::ClassHoursShort => format!(
                "每学时线下 {} 分钟、线上 {} 分钟",
                p.class_hour_minutes.0, p.class_hour_minutes.1
            ),
            Rule::ClassOverCapacity
            | Rule::TeacherDoubleBooked
            | Rule::TraineeDoubleBooked
            | Rule::ExamOutsidePlan
            | Rule::ExamVideoMissing
            | Rule::ProctorNoCredential
            | Rule::ProctorAbsent
            | Rule::FacilityInspectionExpired => "无数值参数".into(),
            Rule::UniformScores => format!(
                "最少 {} 个成绩；满分 100 分；总体标准差低于 {} 分",
                p.uniform_scores_min_count,
                fmt_hours(p.uniform_scores_max_sd)
            ),
            Rule::ExamVideoShort => format!(
                "允许误差 {} 秒",
                p.exam_video_tolerance_secs
            ),
            Rule::ExamVideoRetention => format!(
                "录像保存 {} 年",
                p.exam_video_retention_years
            ),
            Rule::StaffConflict => "比对身份证号（确认）和联系电话（疑似）".into(),
            Rule::HighRiskPaperExam => format!("{high_risk}；须使用国家考试系统"),
            Rule::PassRateAnomaly => format!(
                "最少样本量 {} 人（本单位和全区其余均需达到）；通过率差值不低于 {} 个百分点；\
                 z 临界值 {}（单侧）",
                p.pass_rate_min_candidates,
                fmt_hours(p.pass_rate_min_gap * 100.0),
                fmt_hours(p.pass_rate_z)
            ),
            Rule::OnlineConcurrent => "无数值参数（首尾相接不算重叠）".into(),
            Rule::OnlineDeviceShared => format!(
                "同设备每日人数 {} 人（或不同人员时段重叠）",
                p.online_device_persons_per_day
            ),
            Rule::OnlineDailyExcess => format!(
                "每日上限 {} 小时",
                fmt_hours(p.online_daily_max_hours)
            ),
            Rule::OnlineFaceGap => format!(
                "须核验时长超过 {} 分钟；首次核验在开始后 {} 分钟内；核验间隔 {} 分钟",
                p.online_face_session_minutes,
                p.online_face_first_minutes,
                p.online_face_window_minutes
            ),
            Rule::OnlineSpeed => format!("允许误差 {}%", p.online_speed_tolerance_pct),
            Rule::OnlineHoursUnsupported => format!(
                "每学时线上 {} 分钟；允许误差 {}%",
                p.class_hour_minutes.1, p.online_hours_tolerance_pct
            ),
            Rule::OnlineExamTooFast => format!(
                "最少题数 {} 道；每题最少 {} 秒；合格分数 {} 分",
                p.online_exam_min_questions,
                p.online_exam_min_secs_per_question,
                p.exam_pass_score
            ),
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// Hours for people: at most four decimals, trailing zeros dropped (12, 11.9, 0.75).
pub(super) fn fmt_hours(h: f64) -> String {
    let s = format!("{h:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// Hours as a measured amount: like `fmt_hours` but with at least one decimal (8.0, 11.95).
pub(super) fn fmt_amount(h: f64) -> String {
    let s = fmt_hours(h);
    if s.contains('.') || !h.is_finite() {
        s
    } else {
        format!("{s}.0")
    }
}
