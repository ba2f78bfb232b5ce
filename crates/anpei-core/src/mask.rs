//! Masking of personal data for every page, API response and export.

/// `500***********123X`: keeps the first three and the last four characters.
pub fn mask_id(s: &str) -> String {
    mask_middle(s, 3, 4)
}

/// `138****1234`: keeps the first three and the last four digits.
pub fn mask_phone(s: &str) -> String {
    mask_middle(s, 3, 4)
}

fn mask_middle(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.extend(std::iter::repeat_n('*', chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn masks_an_id_number_as_the_design_shows() {
        assert_eq!(mask_id("50011219800101123X"), "500***********123X");
    }

    #[test]
    fn masks_a_phone_number_as_the_design_shows() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
    }

    #[test]
    fn masks_short_values_completely() {
        assert_eq!(mask_phone("1234567"), "*******");
    }

    proptest! {
        #[test]
        fn a_mask_never_reveals_the_middle(s in "[0-9X]{8,20}") {
            let m = mask_id(&s);
            prop_assert_eq!(m.chars().count(), s.chars().count());
            prop_assert!(m[3..m.len() - 4].chars().all(|c| c == '*'));
        }
    }
}
