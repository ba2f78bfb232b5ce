//! Streaming text decoding: a `Read` adapter that turns GB18030 (or UTF-16) bytes into
//! UTF-8 chunk by chunk, so that a large CSV is never decoded whole.

use encoding_rs::{CoderResult, Decoder, Encoding};
use std::io::{self, Read};

const CHUNK: usize = 64 * 1024;

/// Decodes `inner` from `encoding` to UTF-8 as it is read. Malformed sequences become
/// U+FFFD (the row that holds one is then rejected by its validation, never silently fixed
/// into another valid value).
pub(crate) struct DecodeReader<R> {
    inner: R,
    decoder: Decoder,
    input: Box<[u8]>,
    in_pos: usize,
    in_len: usize,
    eof: bool,
    finished: bool,
    output: Box<[u8]>,
    out_pos: usize,
    out_len: usize,
}

impl<R: Read> DecodeReader<R> {
    pub(crate) fn new(inner: R, encoding: &'static Encoding) -> Self {
        Self {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            input: vec![0; CHUNK].into_boxed_slice(),
            in_pos: 0,
            in_len: 0,
            eof: false,
            finished: false,
            // Room for any one decode step's output (a 4-byte sequence at most per input byte).
            output: vec![0; CHUNK * 3 + 16].into_boxed_slice(),
            out_pos: 0,
            out_len: 0,
        }
    }

    /// Decodes the next chunk into `output`; leaves it empty only at the end.
    fn fill(&mut self) -> io::Result<()> {
        self.out_pos = 0;
        self.out_len = 0;
        while self.out_len == 0 && !self.finished {
            if self.in_pos == self.in_len && !self.eof {
                self.in_pos = 0;
                self.in_len = loop {
                    match self.inner.read(&mut self.input) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        other => break other?,
                    }
                };
                self.eof = self.in_len == 0;
            }
            let (result, read, written, _) = self.decoder.decode_to_utf8(
                &self.input[self.in_pos..self.in_len],
                &mut self.output,
                self.eof,
            );
            self.in_pos += read;
            self.out_len = written;
            if self.eof && result == CoderResult::InputEmpty {
                self.finished = true;
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for DecodeReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_pos == self.out_len {
            self.fill()?;
        }
        let n = buf.len().min(self.out_len - self.out_pos);
        buf[..n].copy_from_slice(&self.output[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out one byte at a time, to split every multi-byte sequence.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), buf.is_empty()) {
                (Some((b, rest)), false) => {
                    buf[0] = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn decodes_gb18030_split_at_any_byte() {
        let text = "姓名,身份证号\n张三,11010519491231002X\n".repeat(3000);
        let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
        let mut out = String::new();
        DecodeReader::new(Trickle(&bytes), encoding_rs::GB18030)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, text);
    }

    #[test]
    fn a_truncated_sequence_at_the_end_becomes_a_replacement_character() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("张三");
        let mut out = String::new();
        DecodeReader::new(&bytes[..3], encoding_rs::GB18030)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "张\u{fffd}");
    }
}
