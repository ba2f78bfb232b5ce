//! An uploaded workbook: any bytes, read as `上传.xlsx` (a file that does not start with the
//! zip signature takes the CSV path, as an upload would).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    anpei_fuzz::read_upload(data, "上传.xlsx", None);
});
