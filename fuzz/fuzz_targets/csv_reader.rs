//! An uploaded CSV: the first byte chooses the table (单位, 人员, 证书, 培训, 登记库), the rest
//! is the file, in whatever encoding (UTF-8 with or without BOM, GB18030, UTF-16).
#![no_main]

use anpei_core::ledger::Table;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let table = Table::ALL[usize::from(selector) % Table::ALL.len()];
    anpei_fuzz::read_upload(file, &format!("{}.csv", table.sheet()), None);
});
