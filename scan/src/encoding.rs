//! How a script file's bytes become text and back, without losing a byte.
//!
//! Windows PowerShell scripts come as UTF-8 (with or without a byte order mark), UTF-16 with a
//! byte order mark ("Unicode" in the ISE and Notepad), or a legacy 8-bit code page. Text that is
//! not valid UTF-8 and has no byte order mark is read as Latin-1, one character per byte: the
//! parser only needs the ASCII syntax, and writing the text back gives the same bytes.

/// The encoding a script was read with, and is written back with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 without a byte order mark.
    Utf8,
    /// UTF-8 with a byte order mark.
    Utf8Bom,
    /// UTF-16 little endian with a byte order mark.
    Utf16Le,
    /// UTF-16 big endian with a byte order mark.
    Utf16Be,
    /// Not UTF-8 and no byte order mark: one character per byte.
    Latin1,
}

/// Bytes that start with a UTF-16 byte order mark but are not valid UTF-16.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidUtf16;

/// Decodes a file's bytes.
pub fn decode(bytes: &[u8]) -> Result<(String, TextEncoding), InvalidUtf16> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return Ok(match std::str::from_utf8(rest) {
            Ok(text) => (text.to_string(), TextEncoding::Utf8Bom),
            // A BOM followed by invalid UTF-8: keep every byte, BOM included, as Latin-1.
            Err(_) => (latin1(bytes), TextEncoding::Latin1),
        });
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes).map(|t| (t, TextEncoding::Utf16Le));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes).map(|t| (t, TextEncoding::Utf16Be));
    }
    Ok(match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_string(), TextEncoding::Utf8),
        Err(_) => (latin1(bytes), TextEncoding::Latin1),
    })
}

/// Encodes text as it was read. Text decoded by [`decode`] and changed only by inserting ASCII
/// gives back the original bytes around the insertions.
pub fn encode(text: &str, encoding: TextEncoding) -> Vec<u8> {
    match encoding {
        TextEncoding::Utf8 => text.as_bytes().to_vec(),
        TextEncoding::Utf8Bom => {
            let mut out = vec![0xEF, 0xBB, 0xBF];
            out.extend_from_slice(text.as_bytes());
            out
        }
        TextEncoding::Utf16Le => {
            let mut out = vec![0xFF, 0xFE];
            text.encode_utf16()
                .for_each(|u| out.extend_from_slice(&u.to_le_bytes()));
            out
        }
        TextEncoding::Utf16Be => {
            let mut out = vec![0xFE, 0xFF];
            text.encode_utf16()
                .for_each(|u| out.extend_from_slice(&u.to_be_bytes()));
            out
        }
        // Every character came from one byte; inserted text is ASCII.
        TextEncoding::Latin1 => text
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
            .collect(),
    }
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, InvalidUtf16> {
    if bytes.len() % 2 != 0 {
        return Err(InvalidUtf16);
    }
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| InvalidUtf16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_round_trips() {
        let text = "Send-MailMessage -To 'jürgen@contoso.com' # ✓\r\n";
        for encoding in [
            TextEncoding::Utf8,
            TextEncoding::Utf8Bom,
            TextEncoding::Utf16Le,
            TextEncoding::Utf16Be,
        ] {
            let bytes = encode(text, encoding);
            assert_eq!(decode(&bytes), Ok((text.to_string(), encoding)));
        }
    }

    #[test]
    fn invalid_utf8_is_read_byte_for_byte() {
        let bytes = b"$Subject = 'Gr\xfc\xdfe' # Windows-1252\n".to_vec();
        let (text, encoding) = decode(&bytes).unwrap();
        assert_eq!(encoding, TextEncoding::Latin1);
        assert!(text.contains("Gr\u{fc}\u{df}e"));
        assert_eq!(encode(&text, encoding), bytes);
    }

    #[test]
    fn broken_utf16_is_an_error() {
        assert_eq!(decode(&[0xFF, 0xFE, 0x41]), Err(InvalidUtf16));
        assert_eq!(decode(&[0xFF, 0xFE, 0x00, 0xD8]), Err(InvalidUtf16));
    }
}
