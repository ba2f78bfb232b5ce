//! The automated checks of RULES.md §3 (the rule engine).
