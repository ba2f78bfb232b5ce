//! What a user types into a cell or a form: identifiers, phone numbers, certificate numbers,
//! dates, numbers. Parsers never panic, and what they accept re-parses to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        anpei_fuzz::check_cell(s);
    }
    if let Ok(bytes) = <[u8; 8]>::try_from(data) {
        anpei_fuzz::check_serial(f64::from_le_bytes(bytes));
    }
});
