//! Between byte offsets (what `cordon-lang` speaks) and the protocol's line and UTF-16 column
//! positions. Positions outside the text are clamped to it: a request about a place that is not
//! there answers about the nearest place that is.

use cordon_lang::syntax::Span;
use tower_lsp_server::gen_lsp_types::{Position, Range};

/// Where each line of a text starts.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(index, _)| index + 1))
            .collect();
        LineIndex { text, starts }
    }

    /// The position of a byte offset.
    pub fn position(&self, offset: u32) -> Position {
        let mut offset = (offset as usize).min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|start| *start <= offset) - 1;
        let column = self.text[self.starts[line]..offset].encode_utf16().count();
        Position {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            character: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }

    /// The byte offset of a position.
    pub fn offset(&self, position: Position) -> u32 {
        let Some(start) = self.starts.get(position.line as usize).copied() else {
            return u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        };
        let end = self
            .starts
            .get(position.line as usize + 1)
            .map_or(self.text.len(), |next| next - 1);
        let mut units = 0;
        let mut offset = start;
        for character in self.text[start..end].chars() {
            if units >= position.character as usize || character == '\r' {
                break;
            }
            units += character.len_utf16();
            offset += character.len_utf8();
        }
        u32::try_from(offset).unwrap_or(u32::MAX)
    }

    pub fn range(&self, span: Span) -> Range {
        Range {
            start: self.position(span.start),
            end: self.position(span.end.max(span.start)),
        }
    }

    pub fn span(&self, range: Range) -> Span {
        let start = self.offset(range.start);
        let end = self.offset(range.end).max(start);
        Span { start, end }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_clamps() {
        let index = LineIndex::new("ab\nçé€x\n");
        // After `€` (three bytes, one UTF-16 unit).
        let position = index.position(10);
        assert_eq!((position.line, position.character), (1, 3));
        assert_eq!(index.offset(position), 10);
        assert_eq!(
            index.offset(Position {
                line: 7,
                character: 0
            }),
            12
        );
        assert_eq!(
            index.offset(Position {
                line: 0,
                character: 99
            }),
            2
        );
        // Inside a multi-byte character: the start of the character.
        assert_eq!(index.position(4).character, 0);
        assert_eq!(index.position(500).line, 2);
    }
}
