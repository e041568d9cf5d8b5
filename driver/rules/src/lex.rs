//! Splitting rule and trace lines into words that remember their column, for errors that
//! point at file:line:column.

/// A whitespace-separated word and its 1-based character column.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tok<'a> {
    pub s: &'a str,
    pub col: u32,
}

/// The line's words, up to a `comment` character if one is given.
pub(crate) fn tokens(line: &str, comment: Option<char>) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut start: Option<(usize, u32)> = None;
    let mut col = 0u32;
    for (byte, ch) in line.char_indices() {
        col += 1;
        let is_comment = Some(ch) == comment;
        if is_comment || ch.is_whitespace() {
            if let Some((b, c)) = start.take() {
                out.push(Tok {
                    s: &line[b..byte],
                    col: c,
                });
            }
            if is_comment {
                return out;
            }
        } else if start.is_none() {
            start = Some((byte, col));
        }
    }
    if let Some((b, c)) = start {
        out.push(Tok {
            s: &line[b..],
            col: c,
        });
    }
    out
}
