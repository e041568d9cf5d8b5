#[cfg(test)]
mod t {
    use crate::index::*;
    #[test]
    #[ignore]
    fn stats() {
        crate::index::debug_stats();
    }
}
